"""Field definitions: the standard fields of each record kind and the field types Flexie knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A JSON object as the contract writes it: a schema, an example, a part of the spec.
JsonObject = dict[str, Any]

TEXT_MAX_LENGTH = 255  # a text (and an e-mail address) is at most 255 characters
URL_MAX_LENGTH = 2048
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"  # a time of day, HH:MM

#: Every field type a Flexie field can have, with the JSON type its values take on the wire.
FIELD_TYPES: dict[str, JsonObject] = {
    "text": {"type": "string", "maxLength": TEXT_MAX_LENGTH},
    "textarea": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "select": {"type": "string"},
    "multiselect": {"type": "array", "items": {"type": "string"}},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "pattern": TIME_PATTERN},
    "url": {"type": "string", "format": "uri"},
    "email": {"type": "string", "format": "email"},
    "phone": {"type": "string"},
    "country": {"type": "string"},
    "region": {"type": "string"},
    "timezone": {"type": "string"},
    "lookup": {"type": "integer", "minimum": 1},
}

#: Input values the contract promises to accept, for the types whose wire form is looser than
#: what a server takes: requests are generated from these, answers are validated without them.
#: The country names requests are generated from (each is an enum value the coverage phase
#: sends on every write): a few of the names a country field takes (COUNTRIES below).
COUNTRY_EXAMPLES: tuple[str, ...] = (
    "Albania", "Austria", "Belgium", "Brazil", "Canada", "France", "Germany", "India", "Ireland",
    "Italy", "Japan", "Kosovo", "Mexico", "Netherlands", "Spain", "Sweden", "Switzerland",
    "United Kingdom", "United States",
)
#: Country names a country field takes (real data holds names beyond a short list, e.g.
#: China: docs/contract-notes.md, "Countries"); the mock stores them canonically spelt.
COUNTRIES: tuple[str, ...] = (
    "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Antigua and Barbuda",
    "Argentina", "Armenia", "Australia", "Austria", "Azerbaijan", "Bahamas", "Bahrain",
    "Bangladesh", "Barbados", "Belarus", "Belgium", "Belize", "Benin", "Bhutan", "Bolivia",
    "Bosnia and Herzegovina", "Botswana", "Brazil", "Brunei", "Bulgaria", "Burkina Faso",
    "Burundi", "Cambodia", "Cameroon", "Canada", "Cape Verde", "Central African Republic",
    "Chad", "Chile", "China", "Colombia", "Comoros", "Congo", "Costa Rica", "Croatia", "Cuba",
    "Cyprus", "Czech Republic", "Democratic Republic of the Congo", "Denmark", "Djibouti",
    "Dominica", "Dominican Republic", "East Timor", "Ecuador", "Egypt", "El Salvador",
    "Equatorial Guinea", "Eritrea", "Estonia", "Eswatini", "Ethiopia", "Fiji", "Finland",
    "France", "Gabon", "Gambia", "Georgia", "Germany", "Ghana", "Greece", "Grenada",
    "Guatemala", "Guinea", "Guinea-Bissau", "Guyana", "Haiti", "Honduras", "Hong Kong",
    "Hungary", "Iceland", "India", "Indonesia", "Iran", "Iraq", "Ireland", "Israel", "Italy",
    "Ivory Coast", "Jamaica", "Japan", "Jordan", "Kazakhstan", "Kenya", "Kiribati", "Kosovo",
    "Kuwait", "Kyrgyzstan", "Laos", "Latvia", "Lebanon", "Lesotho", "Liberia", "Libya",
    "Liechtenstein", "Lithuania", "Luxembourg", "Madagascar", "Malawi", "Malaysia",
    "Maldives", "Mali", "Malta", "Marshall Islands", "Mauritania", "Mauritius", "Mexico",
    "Micronesia", "Moldova", "Monaco", "Mongolia", "Montenegro", "Morocco", "Mozambique",
    "Myanmar", "Namibia", "Nauru", "Nepal", "Netherlands", "New Zealand", "Nicaragua", "Niger",
    "Nigeria", "North Korea", "North Macedonia", "Norway", "Oman", "Pakistan", "Palau",
    "Palestine", "Panama", "Papua New Guinea", "Paraguay", "Peru", "Philippines", "Poland",
    "Portugal", "Puerto Rico", "Qatar", "Romania", "Russia", "Rwanda",
    "Saint Kitts and Nevis", "Saint Lucia", "Saint Vincent and the Grenadines", "Samoa",
    "San Marino", "Sao Tome and Principe", "Saudi Arabia", "Senegal", "Serbia", "Seychelles",
    "Sierra Leone", "Singapore", "Slovakia", "Slovenia", "Solomon Islands", "Somalia",
    "South Africa", "South Korea", "South Sudan", "Spain", "Sri Lanka", "Sudan", "Suriname",
    "Sweden", "Switzerland", "Syria", "Taiwan", "Tajikistan", "Tanzania", "Thailand", "Togo",
    "Tonga", "Trinidad and Tobago", "Tunisia", "Turkey", "Turkmenistan", "Tuvalu", "Uganda",
    "Ukraine", "United Arab Emirates", "United Kingdom", "United States", "Uruguay",
    "Uzbekistan", "Vanuatu", "Vatican City", "Venezuela", "Vietnam", "Yemen", "Zambia",
    "Zimbabwe",
)
TIMEZONE_EXAMPLES: tuple[str, ...] = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Tirane", "Europe/Paris", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo",
    "Asia/Kolkata", "Australia/Sydney",
)
#: Text forms the API validates; a server refuses a value that does not match (400).
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{3,28}[0-9]$"
NUMBER_LIMIT = 1e12  # numbers are stored as DECIMAL: at most 12 integer digits
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # integers and ids are 32-bit

#: Spellings real callers write for a standard alias (the page's quickstart and a WordPress
#: plugin send `firstname`/`lastname`): accepted as that alias on create and update, which wins
#: when both are sent (docs/contract-notes.md, "firstname vs first_name").
ALIAS_SYNONYMS: dict[str, str] = {"firstname": "first_name", "lastname": "last_name"}

INPUT_CONSTRAINTS: dict[str, JsonObject] = {
    "phone": {"pattern": PHONE_PATTERN},
    # email and url are their JSON Schema formats (FIELD_TYPES), as Schemathesis's own
    # validator (jsonschema_rs) reads them: the mock checks them with that same validator.
    "url": {"maxLength": URL_MAX_LENGTH},
    "email": {"maxLength": TEXT_MAX_LENGTH},
    "country": {"enum": list(COUNTRY_EXAMPLES)},
    "timezone": {"enum": list(TIMEZONE_EXAMPLES)},
    "number": {"minimum": -NUMBER_LIMIT, "maximum": NUMBER_LIMIT},
    "integer": {"minimum": INT_MIN, "maximum": INT_MAX},
    "lookup": {"maximum": INT_MAX},
}

#: The filter `type` (filter-input) a field of each type is filtered with.
FILTER_TYPE: dict[str, str] = {
    "text": "text", "textarea": "text", "phone": "text", "email": "text", "url": "url",
    "number": "number", "integer": "number", "boolean": "boolean", "select": "select",
    "multiselect": "selectIn", "date": "date", "datetime": "datetime", "time": "time",
    "country": "country", "region": "region", "timezone": "timezone", "lookup": "lookup",
}
#: Every filter `type` a filter-input filter may have.
FILTER_TYPES: frozenset[str] = frozenset(FILTER_TYPE.values())

_TEXT_OPS = ("eq", "neq", "contains", "not_contains", "starts_with", "ends_with", "like",
             "isNull", "isNotNull", "in", "notIn")
_ORDERED_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "isNull", "isNotNull", "in", "notIn")
_CHOICE_OPS = ("eq", "neq", "in", "notIn", "isNull", "isNotNull")

#: The operators a filter or search rule may apply to a field of each type.
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": _TEXT_OPS, "textarea": _TEXT_OPS, "phone": _TEXT_OPS, "email": _TEXT_OPS,
    "url": _TEXT_OPS, "region": _TEXT_OPS, "number": _ORDERED_OPS, "integer": _ORDERED_OPS,
    "date": _ORDERED_OPS, "datetime": _ORDERED_OPS, "time": _ORDERED_OPS,
    "boolean": ("eq", "neq", "isNull", "isNotNull"), "select": _CHOICE_OPS,
    "multiselect": ("in", "notIn", "isNull", "isNotNull"), "country": _CHOICE_OPS,
    "timezone": _CHOICE_OPS, "lookup": _CHOICE_OPS,
}

#: Every operator of the contract; `like` comes from the API page, the rest from the spec.
ALL_OPERATORS: tuple[str, ...] = (
    "eq", "neq", "gt", "gte", "lt", "lte", "contains", "not_contains", "starts_with",
    "ends_with", "like", "isNull", "isNotNull", "in", "notIn",
)


@dataclass(frozen=True)
class Field:
    """One field of a record kind, standard or custom."""

    alias: str
    type: str
    label: str = ""
    options: tuple[str, ...] = ()
    required: bool = False
    unique: bool = False
    read_only: bool = False
    category: str = "core"
    custom: bool = False
    extra: JsonObject = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.alias!r}: unknown field type {self.type!r}")

    def describe(self) -> JsonObject:
        """The field as the list/fields endpoint publishes it."""
        return {
            "alias": self.alias,
            "label": self.label or self.alias.replace("_", " ").capitalize(),
            "type": self.type,
            "options": list(self.options),
            "required": self.required,
            "unique": self.unique,
            "readOnly": self.read_only,
            "custom": self.custom,
            "category": self.category,
            "field": self.alias,
            "operators": [{"operator": op, "value": operand_shape(self.type, op)}
                          for op in OPERATORS[self.type]],
        }


def operand_shape(field_type: str, operator: str) -> str:
    """The shape of value an operator wants on a field of this type, as list/fields says."""
    if operator in ("isNull", "isNotNull"):
        return "none"
    if operator in ("in", "notIn"):
        return "array"
    return {"number": "number", "integer": "integer", "lookup": "integer",
            "boolean": "boolean"}.get(field_type, "string")


def text(alias: str, **kw: Any) -> Field:
    return Field(alias, "text", **kw)


def person_fields() -> tuple[Field, ...]:
    """Contacts and leads share the person fields of the page's examples."""
    return (
        text("title"),
        text("first_name"),
        text("last_name"),
        Field("email", "email", unique=True),
        Field("phone", "phone"),
        text("company"),
        text("city"),
        Field("country", "country", category="address"),
        text("status"),
        text("source"),
        Field("owner_id", "lookup"),
    )
