"""The spec's own request examples work: each one, sent as Dredd or Prism sends it, gets the
operation's documented success answer from the embedded mock.

Every operation with an example (a path parameter's `x-example`, a body's `example`) is sent
once, in the spec's order, to one fresh mock workspace (so a delete must not remove what a
later example names), and must answer its one documented success status.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from workspace.app import create_app
from workspace.testing import JsonClient

SPEC = json.loads((Path(__file__).resolve().parent.parent / "flexie-api.json").read_text())
METHODS = ("get", "put", "post", "patch", "delete")


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _body_example(param: dict) -> Any:
    schema = param["schema"]
    return schema["example"] if "example" in schema else _resolve(schema).get("example")


def examples() -> list[tuple[str, str, dict, Any]]:
    """(method, concrete path, operation, body) for each operation with an example."""
    out = []
    for path, item in SPEC["paths"].items():
        for method in (m for m in item if m in METHODS):
            op = item[method]
            params = op.get("parameters", [])
            values = {p["name"]: p["x-example"] for p in params
                      if p.get("in") == "path" and "x-example" in p}
            body = next((_body_example(p) for p in params if p.get("in") == "body"), None)
            if not values and body is None:
                continue
            concrete = re.sub(r"\{(\w+)\}", lambda m, v=values: str(v[m.group(1)]), path)
            out.append((method.upper(), concrete, op, body))
    return out


def test_every_path_parameter_has_an_example():
    missing = [f"{m.upper()} {path} {p['name']}" for path, item in SPEC["paths"].items()
               for m, op in item.items() if m in METHODS
               for p in op.get("parameters", []) if p.get("in") == "path"
               and "x-example" not in p]
    assert not missing, missing


def test_body_examples_match_their_schemas():
    wrong = []
    for method, path, op, body in examples():
        param = next((p for p in op.get("parameters", []) if p.get("in") == "body"), None)
        if param is None or body is None:
            continue
        schema = {**param["schema"], "definitions": SPEC["definitions"]}
        schema.pop("example", None)
        errors = [e.message for e in jsonschema_rs.Draft4Validator(schema).iter_errors(body)]
        if errors:
            wrong.append(f"{method} {path}: {errors[0]}")
    assert not wrong, wrong


def test_every_example_gets_its_documented_success_answer():
    client = JsonClient(create_app())
    refused = []
    for method, path, op, body in examples():
        success = [int(code) for code in op["responses"] if code.startswith("2")]
        answer = client.call(method, path, body)
        if answer.status not in success:
            error = answer.body.get("error", {}) if isinstance(answer.body, dict) else {}
            refused.append(f"{method} {path} -> {answer.status} (documented {success}): "
                           f"{error.get('message') or answer.data[:120]!r}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("name", ["filter-input", "search-input", "identify-input"])
def test_shared_bodies_carry_no_example_of_one_resource(name):
    """A body several resources share has per-operation examples, none of its own (the
    contacts example was refused by deals, cases, custom entities and the collections)."""
    assert "example" not in SPEC["definitions"][name]
