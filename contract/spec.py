"""Load a Swagger 2.0 spec and validate JSON against its schemas with jsonschema.

Swagger 2.0 schemas are close to JSON Schema draft 4; the differences that matter here are
`x-nullable` and references into `#/definitions`. `to_json_schema` removes both so plain
jsonschema validators can be used by the tests, the mock's self-checks and the suite.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

from contract.build import SPEC_PATH
from contract.fields import JsonObject


class SpecError(Exception):
    """The spec file is missing, not JSON or not a valid Swagger 2.0 document."""


def load_spec(path: str | Path = SPEC_PATH) -> JsonObject:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(f"spec not found: {path}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"spec is not valid JSON: {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("swagger") != "2.0" or "paths" not in raw:
        raise SpecError(f"spec is not a Swagger 2.0 document: {path}")
    return raw


def to_json_schema(schema: JsonObject, definitions: JsonObject) -> JsonObject:
    """Inline `#/definitions` references and turn `x-nullable` into a null alternative."""

    def convert(node: object, seen: tuple[str, ...]) -> object:
        if isinstance(node, list):
            return [convert(item, seen) for item in node]
        return convert_object(node, seen) if isinstance(node, dict) else node

    def convert_object(node: JsonObject, seen: tuple[str, ...]) -> JsonObject:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:  # recursive definition: accept anything below this depth
                return {}
            return convert_object(definitions[name], (*seen, name))
        out = {k: convert(v, seen) for k, v in node.items()
               if k not in ("x-nullable", "example", "discriminator") and not k.startswith("x-")}
        if node.get("x-nullable"):
            return {"anyOf": [out, {"type": "null"}]}
        return out

    return convert_object(schema, ())


@lru_cache(maxsize=8)
def _spec_cached(path: str) -> JsonObject:
    return load_spec(path)


def response_schema(spec: JsonObject, method: str, path: str, status: int) -> JsonObject | None:
    """The JSON Schema of an answer, or None when the spec documents no body for it."""
    op = spec["paths"][path][method.lower()]
    response = op["responses"].get(str(status))
    if response is None:
        raise KeyError(f"{method.upper()} {path} documents no {status} answer")
    if "$ref" in response:
        response = spec["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema = response.get("schema")
    return None if schema is None else to_json_schema(schema, spec.get("definitions", {}))


def validate_response(method: str, path: str, status: int, body: object,
                      spec_path: str | Path = SPEC_PATH) -> None:
    """Raise jsonschema.ValidationError when `body` breaks the documented schema."""
    spec = _spec_cached(str(spec_path))
    schema = response_schema(spec, method, path, status)
    if schema is not None:
        jsonschema.validate(body, schema)
