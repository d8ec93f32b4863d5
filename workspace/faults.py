"""The fault catalogue: named, deliberate deviations from the contract.

A conformance suite proves its worth by catching each of these. The app keeps the enabled
names in a frozenset, so every check is one set lookup; most faults are applied by the HTTP
layer after a faithful handler has answered (see `workspace.responses`), a few (persistence
and evaluation faults) by the handlers. The state model never consults this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    breaks: str  # the part of the contract it breaks
    notice: str  # how a conformance suite should notice it


_CATALOGUE: tuple[Fault, ...] = (
    Fault("create-status-200", "Creates answer 200 where the contract says 201.",
          "success status of create operations",
          "compare the status of every create with the operation's documented success"),
    Fault("delete-status-200", "DELETE answers 200 with a JSON body instead of 204 and no body.",
          "success status and empty body of delete operations",
          "assert status 204 and an empty body after DELETE"),
    Fault("envelope-renamed", "The single-record envelope key becomes \"data\".",
          "single-record envelopes (single-* definitions)",
          "validate single-record answers against the schema (required envelope key)"),
    Fault("list-total-string", "The \"total\" of listings is a string.",
          "list envelopes: total is an integer",
          "schema validation of any listing"),
    Fault("id-as-string", "Record ids are JSON strings.",
          "record schemas: id is an integer >= 1",
          "schema validation of any record answer"),
    Fault("field-renamed", "first_name is returned as firstname.",
          "standard field aliases of contacts and leads",
          "round-trip: first_name written is not read back; schema types still pass"),
    Fault("auth-ignored", "Requests without any key are served as the acme account.",
          "security: a missing key answers 401",
          "send a request with no credentials and expect 401"),
    Fault("wrong-key-accepted", "An unknown key is served as acme; a missing key is still 401.",
          "security: an unknown key answers 401",
          "send a request with a made-up key and expect 401"),
    Fault("error-not-json", "Error answers are text/html pages.",
          "error responses: JSON body with the error definition",
          "check Content-Type and parse every 4xx body as the error schema"),
    Fault("error-without-message", "Error bodies lack \"message\".",
          "error definition: error.code and error.message are required",
          "validate every 4xx body against the error schema"),
    Fault("update-not-persisted", "PUT/PATCH answer with the new values but store nothing.",
          "update semantics: the change is durable",
          "GET the record after an update and compare with what was written"),
    Fault("patch-replaces", "An update clears every field it did not send.",
          "update semantics: only the fields sent change",
          "update one field, GET, and check the other fields kept their values"),
    Fault("delete-not-persisted", "DELETE answers 204 but the record stays.",
          "delete semantics: the record is gone (404 afterwards)",
          "GET the record after DELETE and expect 404"),
    Fault("list-add-not-persisted", "Adding to a static list answers success, stores nothing.",
          "static-list membership is durable",
          "after add, GET {id}/lists or list with entityList must show the record"),
    Fault("list-remove-not-persisted", "Removing from a static list answers success, "
          "the record stays a member.", "static-list membership is durable",
          "after remove, GET {id}/lists must no longer show the list"),
    Fault("edit-creates", "/edit creates a record when nothing matches.",
          "/edit never creates: 404 when nothing matches",
          "call /edit with an unused unique value and expect 404, then check no record appeared"),
    Fault("edit-ignores-unique", "/edit updates the most recent record whatever the unique "
          "value.", "/edit picks the record by its unique field",
          "edit by the unique value of an older record and check which record changed"),
    Fault("pagination-off-by-one", "start skips one extra record.",
          "paging: start is the number of records skipped",
          "page through a known set and compare with the unpaged listing"),
    Fault("limit-ignored", "limit is not applied to listings.",
          "paging: at most limit records per page",
          "list with limit=1 where more records exist and count the page"),
    Fault("total-counts-page", "total is the page's length, not the number of all matches.",
          "list envelopes: total counts all matches over all pages",
          "list with a small limit and compare total with the count over all pages"),
    Fault("filter-ignored", "filter-input filters are ignored.",
          "POST listing with filter-input narrows the result",
          "filter on a value only one created record has and expect just that record"),
    Fault("search-or-as-and", "OR groups of a search rule set are evaluated as AND.",
          "search rule sets: OR groups match when any rule matches",
          "search with an OR of two exclusive rules and expect both records"),
    Fault("cross-account-leak", "Get by id ignores the account the key belongs to.",
          "account isolation: another account's id answers 404",
          "create a record as one account and GET it with another account's key"),
    Fault("server-error-on-unicode", "A string value with non-ASCII characters answers 500.",
          "robustness: unicode values are ordinary input",
          "create a record with a non-ASCII name and expect 2xx, never 500"),
    Fault("bad-json-500", "Malformed JSON answers 500 instead of 400.",
          "bad input answers 400 with a JSON error",
          "send a truncated JSON body and expect 400"),
    Fault("unknown-alias-accepted", "Unknown field aliases are silently dropped (2xx).",
          "bad input: an unknown alias answers 400 naming it",
          "create with a made-up alias and expect 400 whose message names it"),
    Fault("wrong-type-accepted", "number, boolean and date fields accept any string.",
          "field types: a wrongly typed value answers 400",
          "send \"abc\" to a number field and expect 400"),
    Fault("not-found-200", "Unknown ids answer 200 with a null envelope.",
          "404 for unknown ids",
          "GET a deleted or never-created id and expect 404"),
    Fault("content-type-text", "Success answers are sent as text/plain.",
          "produces: application/json",
          "check the Content-Type of every 2xx answer with a body"),
    Fault("task-complete-noop", "complete/incomplete do not change is_completed.",
          "task completion changes is_completed",
          "complete a task and check is_completed in the answer and a later GET"),
    Fault("deleted-in-listing", "Deleted records still appear in listings and search.",
          "delete semantics: deleted records are gone from listings",
          "delete a record, then list or search for it and expect it absent"),
    Fault("ordering-ignored", "Listings accept orderBy and orderByDir but list in id order.",
          "listings are ordered by orderBy in the direction orderByDir",
          "write records whose values sort against their ids, list ordered both ways"),
    Fault("membership-read-500", "A record's lists ({id}/lists) answer 500.",
          "a record's lists are readable (200, a lists listing)",
          "fail the membership check on that read; never confirm a remove by an empty answer"),
)

FAULTS: dict[str, Fault] = {f.name: f for f in _CATALOGUE}


def resolve(names: Iterable[str]) -> frozenset[str]:
    """Check fault names and freeze them; unknown names raise ValueError listing the known."""
    chosen = frozenset(names)
    unknown = sorted(chosen - FAULTS.keys())
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(unknown)}; known faults: "
                         f"{', '.join(FAULTS)}")
    return chosen


def describe_all() -> str:
    """The catalogue as text lines for `--list-faults`."""
    width = max(len(n) for n in FAULTS)
    return "\n".join(f"{f.name:<{width}}  {f.description}" for f in _CATALOGUE)
