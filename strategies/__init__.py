"""Hypothesis strategies for Flexie custom-field values, record bodies, filters and searches."""

from strategies.fields import (
    COUNTRIES,
    REGIONS,
    TIMEZONES,
    Field,
    UnknownFieldType,
    invalid_value_for,
    normalise,
    value_for,
    values_equal,
)
from strategies.filters import (
    FILTER_TYPES,
    OPERATORS,
    filter_input,
    filter_type_for,
    operator_input,
    operators_for,
    rule_group,
    search_rule_set,
)
from strategies.payloads import record_payload, unique_value_for, update_payload

__all__ = [
    "COUNTRIES",
    "FILTER_TYPES",
    "OPERATORS",
    "REGIONS",
    "TIMEZONES",
    "Field",
    "UnknownFieldType",
    "filter_input",
    "filter_type_for",
    "invalid_value_for",
    "normalise",
    "operator_input",
    "operators_for",
    "record_payload",
    "rule_group",
    "search_rule_set",
    "unique_value_for",
    "update_payload",
    "value_for",
    "values_equal",
]
