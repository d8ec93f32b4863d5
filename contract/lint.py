"""Defects a Swagger 2.0 spec can have that break testing tools or mislead clients.

Each rule is a small function yielding `Problem`s; `lint(spec)` runs them all. The suite runs
them on whatever spec it is given (ours must be clean; the published one is not), so a
defective spec is reported rather than crashing the run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import jsonschema

from contract.fields import JsonObject
from contract.spec import to_json_schema

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Misspellings seen in the wild in operation ids; a correct id contains none of them.
MISSPELLINGS = re.compile(r"Unqiue|^lis[A-Z]|Gird|Entites|Recieve|Adress")


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.message}"


def operations(spec: JsonObject) -> Iterator[tuple[str, str, JsonObject, list[JsonObject]]]:
    """(method, path, operation, parameters incl. path-level ones, refs resolved)."""
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                op = item[method]
                params = [_resolve(spec, p) for p in [*shared, *op.get("parameters", [])]]
                yield method.upper(), path, op, params


def _resolve(spec: JsonObject, node: JsonObject) -> JsonObject:
    if "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        resolved: JsonObject = spec.get(section, {}).get(name, {})
        return resolved
    return node


def unique_operation_ids(spec: JsonObject) -> Iterator[Problem]:
    ids = Counter(op.get("operationId") for _, _, op, _ in operations(spec))
    for method, path, op, _ in operations(spec):
        oid = op.get("operationId")
        if not oid:
            yield Problem("operation-id", f"{method} {path}", "no operationId")
        elif ids[oid] > 1:
            yield Problem("operation-id", f"{method} {path}", f"operationId {oid!r} is reused")
        elif MISSPELLINGS.search(oid):
            yield Problem("operation-id", f"{method} {path}", f"operationId {oid!r} is misspelt")


def path_parameters_declared(spec: JsonObject) -> Iterator[Problem]:
    for method, path, _, params in operations(spec):
        declared = {p.get("name") for p in params if p.get("in") == "path"}
        for name in re.findall(r"{([^}]+)}", path):
            if name not in declared:
                yield Problem("path-parameter", f"{method} {path}",
                              f"path parameter {{{name}}} is not declared")
            else:
                param = next(p for p in params if p.get("in") == "path" and p["name"] == name)
                if "type" not in param:
                    yield Problem("path-parameter", f"{method} {path}", f"{{{name}}} has no type")


def tagged(spec: JsonObject) -> Iterator[Problem]:
    for method, path, op, _ in operations(spec):
        if not op.get("tags"):
            yield Problem("tag", f"{method} {path}", "operation has no tag")


def success_has_schema(spec: JsonObject) -> Iterator[Problem]:
    for method, path, op, _ in operations(spec):
        for code, response in op.get("responses", {}).items():
            response = _resolve(spec, response)
            if code.startswith("2") and code != "204" and not response.get("schema"):
                yield Problem("response-schema", f"{method} {path}",
                              f"{code} answer has no schema")


def secured(spec: JsonObject) -> Iterator[Problem]:
    default = spec.get("security")
    for method, path, op, _ in operations(spec):
        if not op.get("security", default):
            yield Problem("security", f"{method} {path}", "operation has no security entry")


def examples_valid(spec: JsonObject) -> Iterator[Problem]:
    definitions = spec.get("definitions", {})
    for name, schema in definitions.items():
        if "example" in schema:
            yield from _check_example(f"definitions/{name}", schema["example"], schema,
                                      definitions)
    for method, path, op, _ in operations(spec):
        for code, response in op.get("responses", {}).items():
            response = _resolve(spec, response)
            for example in response.get("examples", {}).values():
                yield from _check_example(f"{method} {path} {code}", example,
                                          response.get("schema", {}), definitions)


def _check_example(where: str, example: object, schema: JsonObject,
                   definitions: JsonObject) -> Iterator[Problem]:
    try:
        jsonschema.validate(example, to_json_schema(schema, definitions))
    except jsonschema.ValidationError as exc:
        yield Problem("example", where, f"example breaks its schema: {exc.message}")


RULES: tuple[Callable[[JsonObject], Iterator[Problem]], ...] = (
    unique_operation_ids, path_parameters_declared, tagged, success_has_schema, secured,
    examples_valid,
)


def lint(spec: JsonObject) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(spec)]
