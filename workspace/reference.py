"""Reference data the field validators check against: time zones (country names are the
contract's, `contract.fields.COUNTRIES`).

Time zones come from the host's zoneinfo database plus a fixed fallback, so a host without
tzdata still accepts the common zones.
"""

from __future__ import annotations

import zoneinfo

_FALLBACK_ZONES = (
    "UTC", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "America/Chicago",
    "America/Denver", "America/Los_Angeles", "America/Mexico_City", "America/New_York",
    "America/Sao_Paulo", "America/Toronto", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Kolkata",
    "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Europe/Amsterdam",
    "Europe/Berlin", "Europe/Dublin", "Europe/London", "Europe/Madrid", "Europe/Paris",
    "Europe/Rome", "Europe/Tirane", "Europe/Zurich", "Pacific/Auckland",
)
TIMEZONES: frozenset[str] = frozenset(zoneinfo.available_timezones()) | frozenset(
    _FALLBACK_ZONES)
