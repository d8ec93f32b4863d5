"""The fault catalogue: named, deliberate deviations from the contract.

A conformance suite proves its worth by catching each of these. A fault is enabled by a spec:
its name alone (`edit-creates`: every route it applies to) or aimed at one route
(`edit-creates@PATCH /accounts/edit`, the route being an operation key of
`contract.operations`). `ActiveFaults` resolves the specs once into the set of faults on each
operation, so every check is one set lookup; most faults are applied by the HTTP layer after a
faithful handler has answered (see `workspace.responses`), a few (persistence and evaluation
faults) by the handlers. The state model never consults this module.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from contract.operations import OPERATIONS, OPERATIONS_BY_KEY, Action, Operation

#: How a spec aims a fault at one route: NAME@METHOD PATH.
ROUTE_SEPARATOR = "@"
SYNTAX = "NAME or NAME@METHOD PATH (e.g. edit-creates@PATCH /accounts/edit)"
#: Schemathesis's checks as the suite's failures name them.
ST_SCHEMA = "ST108 Response violates schema"
ST_STATUS = "ST103 Undocumented status code"
ST_CONTENT_TYPE = "ST105 Undocumented Content-Type"
ST_SERVER_ERROR = "ST101 Server error"
ST_AUTH = "ST401 API accepts requests without authentication"
ST_INVALID_AUTH = "ST401 API accepts invalid authentication"


class FaultName(StrEnum):
    """The catalogue's names; members compare and hash as the plain strings."""

    CREATE_STATUS_200 = "create-status-200"
    DELETE_STATUS_200 = "delete-status-200"
    ENVELOPE_RENAMED = "envelope-renamed"
    LIST_TOTAL_STRING = "list-total-string"
    ID_AS_STRING = "id-as-string"
    FIELD_RENAMED = "field-renamed"
    AUTH_IGNORED = "auth-ignored"
    WRONG_KEY_ACCEPTED = "wrong-key-accepted"
    ERROR_NOT_JSON = "error-not-json"
    ERROR_WITHOUT_MESSAGE = "error-without-message"
    UPDATE_NOT_PERSISTED = "update-not-persisted"
    PATCH_REPLACES = "patch-replaces"
    DELETE_NOT_PERSISTED = "delete-not-persisted"
    LIST_ADD_NOT_PERSISTED = "list-add-not-persisted"
    LIST_REMOVE_NOT_PERSISTED = "list-remove-not-persisted"
    EDIT_CREATES = "edit-creates"
    EDIT_IGNORES_UNIQUE = "edit-ignores-unique"
    PAGINATION_OFF_BY_ONE = "pagination-off-by-one"
    LIMIT_IGNORED = "limit-ignored"
    TOTAL_COUNTS_PAGE = "total-counts-page"
    FILTER_IGNORED = "filter-ignored"
    SEARCH_OR_AS_AND = "search-or-as-and"
    CROSS_ACCOUNT_LEAK = "cross-account-leak"
    SERVER_ERROR_ON_UNICODE = "server-error-on-unicode"
    BAD_JSON_500 = "bad-json-500"
    UNKNOWN_ALIAS_ACCEPTED = "unknown-alias-accepted"
    WRONG_TYPE_ACCEPTED = "wrong-type-accepted"
    NOT_FOUND_200 = "not-found-200"
    CONTENT_TYPE_TEXT = "content-type-text"
    TASK_COMPLETE_NOOP = "task-complete-noop"
    DELETED_IN_LISTING = "deleted-in-listing"
    ORDERING_IGNORED = "ordering-ignored"
    MEMBERSHIP_READ_500 = "membership-read-500"
    IDENTIFY_MISSES = "identify-misses"


OperationTest = Callable[[Operation], bool]
#: The faults active on one route: what the HTTP layer and the handlers look a fault up in.
Faults = frozenset[FaultName]


def _every(op: Operation) -> bool:
    return True


def _action(*actions: Action) -> OperationTest:
    return lambda op: op.action in actions


def _creates(op: Operation) -> bool:
    return op.is_create and op.success == 201


def _answers_204(op: Operation) -> bool:
    return op.success == 204


def _single_record(op: Operation) -> bool:
    return (op.response or "").startswith("single-")


def _secured(op: Operation) -> bool:
    return op.secured


def _takes_body(op: Operation) -> bool:
    return op.body is not None


def _has_path_params(op: Operation) -> bool:
    return bool(op.path_params)


@dataclass(frozen=True)
class Fault:
    name: FaultName
    description: str
    breaks: str  # the part of the contract it breaks
    notice: str  # how a conformance suite should notice it
    #: The checks meant to report the fault: `failures[].check` values of conformance.json
    #: (our checks by name, Schemathesis's as "ST<code> <title>", a scenario by its test id).
    #: tests/test_suite_self_test.py proves each reports it; the benchmarks count a fault as
    #: caught only when one of these names it.
    caught_by: tuple[str, ...] = ()
    #: The operations the fault can change, where that is plain from how the mock applies
    #: it; a route-scoped spec on any other operation is refused as a mistake.
    affects: OperationTest = _every


_CATALOGUE: tuple[Fault, ...] = (
    Fault(FaultName.CREATE_STATUS_200,
          "Creates answer 200 where the contract says 201.",
          "success status of create operations",
          "compare the status of every create with the operation's documented success",
          caught_by=(ST_STATUS, "test_notes_on_a_record[leads]"),
          affects=_creates),
    Fault(FaultName.DELETE_STATUS_200,
          "DELETE answers 200 with a JSON body instead of 204 and no body.",
          "success status and empty body of delete operations",
          "assert status 204 and an empty body after DELETE",
          caught_by=(ST_STATUS,),
          affects=_answers_204),
    Fault(FaultName.ENVELOPE_RENAMED,
          "The single-record envelope key becomes \"data\".",
          "single-record envelopes (single-* definitions)",
          "validate single-record answers against the schema (required envelope key)",
          caught_by=(ST_SCHEMA,),
          affects=_single_record),
    Fault(FaultName.LIST_TOTAL_STRING,
          "The \"total\" of listings is a string.",
          "list envelopes: total is an integer",
          "schema validation of any listing",
          caught_by=(ST_SCHEMA, "listing_total_agrees")),
    Fault(FaultName.ID_AS_STRING,
          "Record ids are JSON strings.",
          "record schemas: id is an integer >= 1",
          "schema validation of any record answer",
          caught_by=(ST_SCHEMA,)),
    Fault(FaultName.FIELD_RENAMED,
          "first_name is returned as firstname.",
          "standard field aliases of contacts and leads",
          "round-trip: first_name written is not read back; schema types still pass",
          caught_by=("read_back_equals_written",)),
    Fault(FaultName.AUTH_IGNORED,
          "Requests without any key are served as the acme account.",
          "security: a missing key answers 401",
          "send a request with no credentials and expect 401",
          caught_by=(ST_AUTH, "missing_key_is_refused"),
          affects=_secured),
    Fault(FaultName.WRONG_KEY_ACCEPTED,
          "An unknown key is served as acme; a missing key is still 401.",
          "security: an unknown key answers 401",
          "send a request with a made-up key and expect 401",
          caught_by=("unknown_key_is_refused", ST_INVALID_AUTH),
          affects=_secured),
    Fault(FaultName.ERROR_NOT_JSON,
          "Error answers are text/html pages.",
          "error responses: JSON body with the error definition",
          "check Content-Type and parse every 4xx body as the error schema",
          caught_by=("errors_are_json", ST_CONTENT_TYPE)),
    Fault(FaultName.ERROR_WITHOUT_MESSAGE,
          "Error bodies lack \"message\".",
          "error definition: error.code and error.message are required",
          "validate every 4xx body against the error schema",
          caught_by=("errors_are_json", ST_SCHEMA)),
    Fault(FaultName.UPDATE_NOT_PERSISTED,
          "PUT/PATCH answer with the new values but store nothing.",
          "update semantics: the change is durable",
          "GET the record after an update and compare with what was written",
          caught_by=("read_back_equals_written", "test_record_lifecycle[accounts]",
                     "test_notes_on_a_record[contacts]", "test_user_lifecycle",
                     "test_pipeline_lifecycle", "test_model_based_sequences")),
    Fault(FaultName.PATCH_REPLACES,
          "An update clears every field it did not send.",
          "update semantics: only the fields sent change",
          "update one field, GET, and check the other fields kept their values",
          caught_by=("read_back_equals_written",)),
    Fault(FaultName.DELETE_NOT_PERSISTED,
          "DELETE answers 204 but the record stays.",
          "delete semantics: the record is gone (404 afterwards)",
          "GET the record after DELETE and expect 404",
          caught_by=("deleted_record_is_gone", "test_record_lifecycle[cases]",
                     "test_notes_on_a_record[accounts]")),
    Fault(FaultName.LIST_ADD_NOT_PERSISTED,
          "Adding to a static list answers success, stores nothing.",
          "static-list membership is durable",
          "after add, GET {id}/lists or list with entityList must show the record",
          caught_by=("list_membership_persisted", "test_record_lifecycle[contacts]"),
          affects=_action(Action.LIST_ADD)),
    Fault(FaultName.LIST_REMOVE_NOT_PERSISTED,
          "Removing from a static list answers success, "
          "the record stays a member.", "static-list membership is durable",
          "after remove, GET {id}/lists must no longer show the list",
          caught_by=("list_membership_persisted", "test_record_lifecycle[leads]"),
          affects=_action(Action.LIST_REMOVE)),
    Fault(FaultName.EDIT_CREATES,
          "/edit creates a record when nothing matches.",
          "/edit never creates: 404 when nothing matches",
          "call /edit with an unused unique value and expect 404, then check no record appeared",
          caught_by=("edit_never_creates", "test_record_lifecycle[custom_entities]"),
          affects=_action(Action.EDIT)),
    Fault(FaultName.EDIT_IGNORES_UNIQUE,
          "/edit updates the most recent record whatever the unique "
          "value.", "/edit picks the record by its unique field",
          "edit by the unique value of an older record and check which record changed",
          caught_by=("read_back_equals_written",),
          affects=_action(Action.EDIT)),
    Fault(FaultName.PAGINATION_OFF_BY_ONE,
          "start skips one extra record.",
          "paging: start is the number of records skipped",
          "page through a known set and compare with the unpaged listing",
          caught_by=("paging_is_consistent",)),
    Fault(FaultName.LIMIT_IGNORED,
          "limit is not applied to listings.",
          "paging: at most limit records per page",
          "list with limit=1 where more records exist and count the page",
          caught_by=("paging_is_consistent",)),
    Fault(FaultName.TOTAL_COUNTS_PAGE,
          "total is the page's length, not the number of all matches.",
          "list envelopes: total counts all matches over all pages",
          "list with a small limit and compare total with the count over all pages",
          caught_by=("paging_is_consistent",)),
    Fault(FaultName.FILTER_IGNORED,
          "filter-input filters are ignored.",
          "POST listing with filter-input narrows the result",
          "filter on a value only one created record has and expect just that record",
          caught_by=("filters_are_applied",)),
    Fault(FaultName.SEARCH_OR_AS_AND,
          "OR groups of a search rule set are evaluated as AND.",
          "search rule sets: OR groups match when any rule matches",
          "search with an OR of two exclusive rules and expect both records",
          caught_by=("search_finds_written",),
          affects=_action(Action.SEARCH)),
    Fault(FaultName.CROSS_ACCOUNT_LEAK,
          "Get by id ignores the account the key belongs to.",
          "account isolation: another account's id answers 404",
          "create a record as one account and GET it with another account's key",
          caught_by=("other_account_cannot_read",),
          affects=_action(Action.GET)),
    Fault(FaultName.SERVER_ERROR_ON_UNICODE,
          "A string value with non-ASCII characters answers 500.",
          "robustness: unicode values are ordinary input",
          "create a record with a non-ASCII name and expect 2xx, never 500",
          caught_by=(ST_SERVER_ERROR,),
          affects=_takes_body),
    Fault(FaultName.BAD_JSON_500,
          "Malformed JSON answers 500 instead of 400.",
          "bad input answers 400 with a JSON error",
          "send a truncated JSON body and expect 400",
          caught_by=("malformed_json_is_400",),
          affects=_takes_body),
    Fault(FaultName.UNKNOWN_ALIAS_ACCEPTED,
          "Unknown field aliases are silently dropped (2xx).",
          "bad input: an unknown alias answers 400 naming it",
          "create with a made-up alias and expect 400 whose message names it",
          caught_by=("unknown_alias_is_refused",)),
    Fault(FaultName.WRONG_TYPE_ACCEPTED,
          "number, boolean and date fields accept any string.",
          "field types: a wrongly typed value answers 400",
          "send \"abc\" to a number field and expect 400",
          caught_by=("invalid_values_are_refused", "test_field_round_trips[acme-contacts-vip]")),
    Fault(FaultName.NOT_FOUND_200,
          "Unknown ids answer 200 with a null envelope.",
          "404 for unknown ids",
          "GET a deleted or never-created id and expect 404",
          caught_by=("unknown_id_is_404", "test_notes_on_a_record[cases]",
                     "test_case_replies_by_id_and_identifier", "test_email_send",
                     "test_deal_associations"),
          affects=_has_path_params),
    Fault(FaultName.CONTENT_TYPE_TEXT,
          "Success answers are sent as text/plain.",
          "produces: application/json",
          "check the Content-Type of every 2xx answer with a body",
          caught_by=(ST_CONTENT_TYPE,)),
    Fault(FaultName.TASK_COMPLETE_NOOP,
          "complete/incomplete do not change is_completed.",
          "task completion changes is_completed",
          "complete a task and check is_completed in the answer and a later GET",
          caught_by=("task_completion_persisted", "test_task_lifecycle"),
          affects=_action(Action.COMPLETE, Action.INCOMPLETE)),
    Fault(FaultName.DELETED_IN_LISTING,
          "Deleted records still appear in listings and search.",
          "delete semantics: deleted records are gone from listings",
          "delete a record, then list or search for it and expect it absent",
          caught_by=("deleted_record_is_gone", "test_record_lifecycle[deals]",
                     "test_notes_on_a_record[deals]")),
    Fault(FaultName.ORDERING_IGNORED,
          "Listings accept orderBy and orderByDir but list in id order.",
          "listings are ordered by orderBy in the direction orderByDir",
          "write records whose values sort against their ids, list ordered both ways",
          caught_by=("listing_is_ordered",)),
    Fault(FaultName.MEMBERSHIP_READ_500, "A record's lists ({id}/lists) answer 500.",
          "a record's lists are readable (200, a lists listing)",
          "fail the membership check on that read; never confirm a remove by an empty answer",
          caught_by=("list_membership_persisted", "test_record_lifecycle[contacts]"),
          affects=_action(Action.MEMBER_LISTS)),
    Fault(FaultName.IDENTIFY_MISSES,
          "identify answers 404 even for a value a record holds.",
          "identify finds the record whose unique field holds the value",
          "identify by a unique value an owned record holds and expect success",
          caught_by=("positive_case_succeeds", "test_record_lifecycle[contacts]"),
          affects=_action(Action.IDENTIFY)),
)

FAULTS: dict[str, Fault] = {f.name: f for f in _CATALOGUE}


@dataclass(frozen=True)
class FaultSpec:
    """One enabled fault: on every route it applies to (route None) or on one operation."""

    fault: FaultName
    route: str | None = None  # an operation key, "PATCH /accounts/edit"

    def __str__(self) -> str:
        return self.fault if self.route is None else f"{self.fault}{ROUTE_SEPARATOR}{self.route}"

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """`NAME` or `NAME@METHOD PATH`; ValueError with one readable line otherwise."""
        name, sep, route = (part.strip() for part in str(text).partition(ROUTE_SEPARATOR))
        if name not in FAULTS:
            close = difflib.get_close_matches(name, FAULTS, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ValueError(f"unknown fault {name!r} in {text!r}; {hint}known faults: "
                             f"{', '.join(FAULTS)}")
        fault = FAULTS[name]
        if not sep:
            return cls(fault.name)
        method, _, path = route.partition(" ")
        key = f"{method.upper()} {path.strip()}"
        op = OPERATIONS_BY_KEY.get(key)
        if op is None:
            close = difflib.get_close_matches(key, OPERATIONS_BY_KEY, n=3, cutoff=0.7)
            hint = f"did you mean {', '.join(close)}?" if close else (
                "a route is METHOD PATH as the contract writes it, e.g. PATCH /accounts/edit")
            raise ValueError(f"unknown route {route!r} in fault spec {text!r}; {hint}")
        if not fault.affects(op):
            routes = [o.key for o in OPERATIONS if fault.affects(o)]
            shown = ", ".join(routes[:6]) + (f" and {len(routes) - 6} more"
                                             if len(routes) > 6 else "")
            raise ValueError(f"fault {name} never changes {key}; it applies to {shown}")
        return cls(fault.name, key)


class ActiveFaults:
    """The enabled specs resolved per operation once: `on(key)` is a dict lookup."""

    def __init__(self, specs: Iterable[FaultSpec] = ()) -> None:
        self.specs: tuple[FaultSpec, ...] = tuple(dict.fromkeys(specs))
        #: the faults without a route: what answers that belong to no operation get
        self.everywhere: Faults = frozenset(
            s.fault for s in self.specs if s.route is None)
        self._by_route: dict[str, Faults] = {
            op.key: self.everywhere | {s.fault for s in self.specs if s.route == op.key}
            for op in OPERATIONS}
        self.anywhere: Faults = frozenset(s.fault for s in self.specs)

    def on(self, op_key: str | None) -> Faults:
        """The fault names active on the operation `op_key` (None: no operation matched)."""
        if op_key is None:
            return self.everywhere
        return self._by_route.get(op_key, self.everywhere)

    def active(self, name: FaultName, op_key: str | None) -> bool:
        return name in self.on(op_key)

    def __bool__(self) -> bool:
        return bool(self.specs)

    def __str__(self) -> str:
        return ", ".join(sorted(map(str, self.specs)))


def resolve(specs: Iterable[str | FaultSpec]) -> ActiveFaults:
    """Parse fault specs (see `FaultSpec.parse`); the first bad one raises ValueError."""
    return ActiveFaults(s if isinstance(s, FaultSpec) else FaultSpec.parse(s) for s in specs)


def describe_all() -> str:
    """The catalogue as text lines for `--list-faults`, with the spec syntax first."""
    width = max(len(n) for n in FAULTS)
    return "\n".join([f"A fault spec is {SYNTAX}; the route is an operation as the contract "
                      "writes it.", *(f"{f.name:<{width}}  {f.description}"
                                      for f in _CATALOGUE)])
