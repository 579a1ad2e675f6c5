"""Every time `dezky` prints carries its zone: UTC, as the engine records it."""

from __future__ import annotations

import datetime as dt


def utc_text(moment: dt.datetime) -> str:
    """`2026-11-30 04:10:00 UTC`. A naive time is taken as UTC: the Automation API parses the engine's
    `...Z` timestamps (stack history) without their zone."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return f"{aware:%Y-%m-%d %H:%M:%S} UTC"


def utc_iso(moment: dt.datetime) -> str:
    """`2026-11-30T04:10:00Z`, for JSON: RFC 3339 with its zone."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")
