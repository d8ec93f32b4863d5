"""The resources of a Flexie workspace, described once.

A `RecordKind` is one of the entity types that share the full record API (contacts, leads,
accounts, deals, cases and custom-entity tables). A `Collection` is one of the simpler
resources (notes, tasks, users, pipelines ...). The spec builder, the mocked workspace and the
conformance suite all read these descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.fields import Field, JsonObject, person_fields, text


@dataclass(frozen=True)
class RecordKind:
    """An entity type with the full record API (CRUD, /edit, lists, notes, search ...)."""

    name: str  # group name and marker: "contacts"
    path: str  # path prefix below /api: "/contacts" or "/ce/{tableName}"
    list_path: str  # prefix of the static-list endpoints: "/contact" or "/ce/{tableName}"
    singular: str  # envelope key of one record: "contact"
    plural: str  # envelope key of a listing: "contacts"
    word: str  # capitalised word for operation ids: "Contact"
    tag: str
    note_type: str  # the entityType that names it in /notes/{entityType}/{entityId}
    create_status: int  # what a create answers with (the published spec is not uniform)
    fields: tuple[Field, ...]
    create_example: JsonObject
    update_example: JsonObject

    @property
    def unique_fields(self) -> tuple[str, ...]:
        return tuple(f.alias for f in self.fields if f.unique)

    @property
    def is_custom_entity(self) -> bool:
        return "{tableName}" in self.path


@dataclass(frozen=True)
class Collection:
    """A simpler resource: CRUD or read-only, one envelope key for one and one for many."""

    name: str
    singular: str
    plural: str
    tag: str
    read_only: bool
    fields: tuple[Field, ...] = ()


CONTACTS = RecordKind(
    name="contacts", path="/contacts", list_path="/contact", singular="contact",
    plural="contacts", word="Contact", tag="Contacts", note_type="contact", create_status=201,
    fields=person_fields(),
    create_example={
        "title": "Ms.", "first_name": "David", "last_name": "Okafor",
        "email": "david.okafor@example.com", "phone": "+442071838750",
        "company": "Bluewave Logistics", "city": "London", "country": "United Kingdom",
        "status": "New", "source": "Meeting",
    },
    update_example={
        "email": "david.okafor@example.com", "company": "Bluewave Logistics Ltd",
        "city": "Manchester", "status": "Nurture", "source": "Referral",
    },
)

LEADS = RecordKind(
    name="leads", path="/leads", list_path="/lead", singular="lead", plural="leads",
    word="Lead", tag="Leads", note_type="lead", create_status=200,
    fields=(*person_fields(), text("state", category="address")),
    create_example={
        "title": "Mr.", "first_name": "Maria", "last_name": "Hernandez",
        "email": "maria.hernandez@example.com", "phone": "+15125550148",
        "company": "Northwind Trading", "city": "Austin", "state": "TX",
        "country": "United States", "status": "New", "source": "Website",
    },
    update_example={
        "email": "maria.hernandez@example.com", "company": "Northwind Trading LLC",
        "city": "Dallas", "status": "Qualify", "source": "Referral",
    },
)

ACCOUNTS = RecordKind(
    name="accounts", path="/accounts", list_path="/account", singular="account",
    plural="accounts", word="Account", tag="Accounts", note_type="account", create_status=201,
    fields=(
        text("name", required=True),
        text("status"),
        Field("email", "email", unique=True),
        Field("website", "url"),
        Field("phone", "phone"),
        text("industry"),
        Field("annual_revenue", "number"),
        text("vat_number"),
        Field("employees", "integer"),
        text("billing_city", category="address"),
        Field("billing_country", "country", category="address"),
        Field("owner_id", "lookup"),
    ),
    create_example={
        "name": "Northwind Trading LLC", "status": "New", "email": "info@northwindtrading.com",
        "website": "https://www.northwindtrading.com", "phone": "+15125550100",
        "industry": "Retail", "annual_revenue": 4500000, "vat_number": "GB123456789",
        "employees": 120, "billing_city": "Austin", "billing_country": "United States",
    },
    update_example={
        "email": "info@northwindtrading.com", "name": "Northwind Trading LLC",
        "status": "Qualify", "annual_revenue": 5200000, "employees": 145,
    },
)

DEALS = RecordKind(
    name="deals", path="/deals", list_path="/deal", singular="deal", plural="deals",
    word="Deal", tag="Deals", note_type="deal", create_status=201,
    fields=(
        text("name", required=True),
        text("external_id", unique=True),
        Field("amount", "number"),
        Field("close_date", "date"),
        Field("pipeline_id", "lookup"),
        Field("stage_id", "lookup"),
        Field("owner_id", "lookup"),
    ),
    create_example={
        "name": "Enterprise license renewal", "external_id": "ERP-2026-0042",
        "amount": 12500, "close_date": "2026-09-30", "pipeline_id": 1, "stage_id": 2,
        "owner_id": 1,
    },
    update_example={
        "external_id": "ERP-2026-0042", "name": "Enterprise license renewal",
        "amount": 15000, "close_date": "2026-10-15", "stage_id": 3,
    },
)

CASES = RecordKind(
    name="cases", path="/cases", list_path="/case", singular="case", plural="cases",
    word="Case", tag="Cases", note_type="case", create_status=201,
    fields=(
        text("title", required=True),
        text("identifier", unique=True, read_only=True),
        text("source"),
        text("category"),
        Field("priority", "select", options=("Low", "Medium", "High", "Urgent")),
        text("public_status"),
        Field("internalStatus", "select", options=("open", "pending", "closed")),
        Field("owner_id", "lookup"),
    ),
    create_example={
        "title": "Login page returns 500 error", "source": "Email", "category": "Bug",
        "priority": "High", "public_status": "New Opened", "internalStatus": "open",
        "owner_id": 1,
    },
    update_example={
        "identifier": "REF-1001", "title": "Login page returns 500 error",
        "priority": "Medium", "public_status": "In Process", "internalStatus": "open",
    },
)

CUSTOM_ENTITIES = RecordKind(
    name="custom_entities", path="/ce/{tableName}", list_path="/ce/{tableName}",
    singular="entity", plural="entities", word="CustomEntity", tag="Custom entities",
    note_type="", create_status=201,
    fields=(text("name", required=True), text("code", unique=True)),
    create_example={"name": "Acme Renewal 2026", "code": "REN-2026", "status": "open",
                    "amount": 4500},
    update_example={"code": "REN-2026", "name": "Acme Renewal 2026 (revised)",
                    "status": "won", "amount": 5200},
)

RECORD_KINDS: tuple[RecordKind, ...] = (CONTACTS, LEADS, ACCOUNTS, DEALS, CASES, CUSTOM_ENTITIES)
KINDS_BY_NAME: dict[str, RecordKind] = {k.name: k for k in RECORD_KINDS}
#: The entityType values of /notes/{entityType}/{entityId}, to the kind each names.
NOTE_TYPES: dict[str, RecordKind] = {k.note_type: k for k in RECORD_KINDS if k.note_type}

NOTES = Collection("notes", "note", "notes", "Notes", read_only=False, fields=(
    Field("text", "textarea", required=True),
    Field("type", "select", options=("note", "call", "meeting", "email")),
    Field("datetime", "datetime"),
))
TASKS = Collection("tasks", "task", "tasks", "Tasks", read_only=False, fields=(
    Field("task", "text", required=True),
    Field("owner_id", "lookup"),
    Field("due_date", "datetime"),
    Field("association_type", "select", options=("contact", "lead", "account", "deal", "case")),
    Field("association_id", "lookup"),
    Field("reminder_type", "select", options=("email", "notification")),
    Field("remind_minutes", "integer"),
    Field("is_completed", "boolean"),
    Field("category_id", "lookup"),
))
USERS = Collection("users", "user", "users", "Users", read_only=False, fields=(
    text("username", required=True, unique=True),
    text("firstName", required=True),
    text("lastName", required=True),
    Field("email", "email", required=True, unique=True),
    text("password"),
    text("position"),
    Field("timezone", "timezone"),
    text("locale"),
    Field("role", "lookup"),
    Field("isPublished", "boolean"),
))
PIPELINES = Collection("pipelines", "pipeline", "pipelines", "Pipelines", read_only=False,
                       fields=(text("name", required=True), Field("isDefault", "boolean")))
WORKFLOWS = Collection("workflows", "workflow", "workflows", "Workflows", read_only=False,
                       fields=(text("name", required=True), Field("description", "textarea"),
                               Field("category", "lookup"), Field("isPublished", "boolean"),
                               Field("runtime", "select", options=("sync", "async"))))
EMAILS = Collection("emails", "email", "emails", "Emails", read_only=True)
REPORTS = Collection("reports", "report", "reports", "Reports", read_only=True)
FORMS = Collection("forms", "form", "forms", "Forms", read_only=True)
PAGES = Collection("pages", "page", "pages", "Pages", read_only=True)
ROLES = Collection("roles", "role", "roles", "Roles", read_only=True)
STAGES = Collection("stages", "stage", "stages", "Stages", read_only=True)
DYNAMIC_ENDPOINTS = Collection("dynamic_endpoints", "dynamic_endpoint", "dynamic_endpoints",
                               "Dynamic endpoints", read_only=True)

COLLECTIONS: tuple[Collection, ...] = (
    NOTES, TASKS, USERS, PIPELINES, WORKFLOWS, EMAILS, REPORTS, FORMS, PAGES, ROLES, STAGES,
    DYNAMIC_ENDPOINTS,
)
COLLECTIONS_BY_NAME: dict[str, Collection] = {c.name: c for c in COLLECTIONS}

#: Resource groups in the order the API page lists them, then the ones only the spec has.
GROUPS: tuple[str, ...] = (
    "contacts", "leads", "accounts", "deals", "cases", "tasks", "notes", "emails",
    "custom_entities", "workflows", "forms", "pages", "reports", "users", "roles",
    "pipelines", "stages", "dynamic_endpoints",
)
TAGS: dict[str, str] = {
    **{k.name: k.tag for k in RECORD_KINDS}, **{c.name: c.tag for c in COLLECTIONS},
}
