"""Assemble flexie-api.json from the resource and operation descriptions.

`python -m contract.build` rewrites the file; `python -m contract.build --check` exits 1 when
the committed file differs from what the descriptions give (CI runs it through the tests).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from contract.examples import body_example, path_example
from contract.fields import JsonObject
from contract.operations import OPERATIONS, Operation
from contract.resources import GROUPS, NOTE_TYPES, TAGS
from contract.schemas import (
    IDENTIFIER_PATTERN,
    MAX_ID,
    MAX_PAGE_SIZE,
    TABLE_NAME_PATTERN,
    definitions,
    ref,
)

SPEC_PATH = Path(__file__).resolve().parent.parent / "flexie-api.json"
SECURITY: list[dict[str, list[str]]] = [{"apikeyHeader": []}, {"apikeyQuery": []}, {"oauth2": []}]

PATH_PARAMS: dict[str, JsonObject] = {
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "The record's id."},
    "entityId": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                 "description": "The id of the record."},
    "tableName": {"type": "string", "pattern": TABLE_NAME_PATTERN,
                  "description": "The custom-entity table, as named in the account."},
    "entityType": {"type": "string", "enum": list(NOTE_TYPES),
                   "description": "What kind of record the note belongs to."},
    "identifier": {"type": "string", "pattern": IDENTIFIER_PATTERN,
                   "description": "The case's identifier, such as REF-1042."},
}
_PAGING = ["limit", "start", "search", "orderBy", "orderByDir"]
_QUERY_SETS = {"paging": _PAGING, "listing": [*_PAGING, "entityList"]}
_QUERY_PARAMS: dict[str, JsonObject] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
              "description": f"Records per page (at most {MAX_PAGE_SIZE})."},
    "start": {"type": "integer", "minimum": 0, "maximum": MAX_ID,
              "description": "How many records to skip."},
    "search": {"type": "string", "description": "Free text matched against the records."},
    "orderBy": {"type": "string", "minLength": 1, "description": "The field to order by."},
    "orderByDir": {"type": "string", "enum": ["ASC", "DESC"]},
    "entityList": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                   "description": "Only the members of this static list."},
}
_ERRORS = {
    "400": "The request was malformed: bad JSON, a wrong type, an unknown alias.",
    "401": "No API key or token, or one that is unknown, expired or revoked.",
    "403": "The role of the user this key belongs to forbids the action.",
    "404": "No record matched.",
    "429": "Too many requests: wait and send again (Flexie's own integration keeps 1.5 s "
           "between requests).",
}


def _parameters(op: Operation) -> list[JsonObject]:
    """Path parameters carry an example naming a demo record (`x-example`, which Dredd and
    Prism send); a body shared by several resources refers to this resource's copy of it,
    which carries this resource's example (`filter-input.deals`, contract/examples.py)."""
    params = [{"name": name, "in": "path", "required": True, **PATH_PARAMS[name],
               "x-example": path_example(op, name)} for name in op.path_params]
    params += [{"$ref": f"#/parameters/query-{q}"} for q in _QUERY_SETS.get(op.query or "", [])]
    if op.body:
        name = op.body if body_example(op) is None else f"{op.body}.{op.resource}"
        params.append({"name": "body", "in": "body", "required": op.body_required,
                       "schema": ref(name)})
    return params


def _responses(op: Operation) -> JsonObject:
    ok: JsonObject = {"description": op.summary + "."}
    if op.response:
        ok["schema"] = ref(op.response)
    else:
        ok["description"] = "Done; the answer has no body."
    responses = {str(op.success): ok}
    responses.update({code: {"$ref": f"#/responses/error-{code}"} for code in _ERRORS})
    if op.conflict:  # valid data the workspace's state refuses: not a rejection of the data
        responses["409"] = {"description": op.conflict, "schema": ref("error")}
    responses["500"] = {"description": "Something went wrong on Flexie's side."}
    return responses


def _operation(op: Operation) -> JsonObject:
    out = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [TAGS[op.group]],
        "parameters": _parameters(op),
        "responses": _responses(op),
        "security": SECURITY,
        "x-flexie": {"resource": op.resource, "action": op.action, "effect": op.effect,
                     "onPage": op.on_page, "inPublishedSpec": op.in_published_spec},
    }
    if op.description:
        out["description"] = op.description
    if not out["parameters"]:
        del out["parameters"]
    return out


def _example_definitions(shared: JsonObject) -> JsonObject:
    """Per-resource copies of the bodies several resources share, each with its example:
    a `$ref` cannot carry an example beside it (Dredd and Schemathesis ignore it)."""
    copies = {}
    for op in OPERATIONS:
        example = body_example(op)
        if example is not None and op.body is not None:
            copies[f"{op.body}.{op.resource}"] = {**shared[op.body], "example": example}
    return copies


def build_spec() -> JsonObject:
    paths: dict[str, JsonObject] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "swagger": "2.0",
        "info": {
            "title": "Flexie",
            "version": "1.0.1",
            "description": "The Flexie CRM REST API as flexie-conformance tests it: every "
                           "endpoint of Flexie's API page and of its published spec.",
        },
        "basePath": "/api",
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "apikeyHeader": {"type": "apiKey", "in": "header", "name": "apikey"},
            "apikeyQuery": {"type": "apiKey", "in": "query", "name": "apikey"},
            "oauth2": {
                "type": "oauth2", "flow": "accessCode",
                "authorizationUrl": "https://your-subdomain.flexie.io/oauth2/authorize",
                "tokenUrl": "https://your-subdomain.flexie.io/oauth2/token",
                "description": "Authorization code flow at https://{subdomain}.flexie.io"
                               "/oauth2/authorize and /oauth2/token; the token goes in "
                               "`Authorization: Bearer` or the `access_token` query "
                               "parameter. Refresh tokens and client credentials work too.",
                "scopes": {"api": "Read and write the workspace's data."},
            },
        },
        "tags": [{"name": TAGS[g]} for g in GROUPS],
        "parameters": {
            **{f"path-{n}": {"name": n, "in": "path", "required": True, **s}
               for n, s in PATH_PARAMS.items()},
            **{f"query-{n}": {"name": n, "in": "query", "required": False, **s}
               for n, s in _QUERY_PARAMS.items()},
        },
        "responses": {f"error-{code}": {"description": text, "schema": ref("error")}
                      for code, text in _ERRORS.items()},
        "definitions": dict(sorted({**definitions(),
                                    **_example_definitions(definitions())}.items())),
        "paths": paths,
    }


def render() -> str:
    return json.dumps(build_spec(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = SPEC_PATH.read_text() if SPEC_PATH.exists() else ""
        if current != text:
            print(f"{SPEC_PATH.name} is stale: run `python -m contract.build`", file=sys.stderr)
            return 1
        return 0
    SPEC_PATH.write_text(text)
    print(f"wrote {SPEC_PATH} ({len(OPERATIONS)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
