"""The comparable form of the values Authentik stores differently from how they were sent.

Inputs and server answers both pass through these functions before a diff, so equal meanings compare equal
and a second preview after an up is empty (the failure of the Terraform provider's issue #956).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from components.authentik.wire import RedirectUri

_DURATION_UNITS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")
_CANONICAL_UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))


def duration(text: str) -> str:
    """`hours=1;minutes=30` and `minutes=90` alike as `hours=1;minutes=30`, the way Authentik reads them."""
    seconds = round(parse_duration(text).total_seconds())
    parts = []
    for unit, size in _CANONICAL_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{unit}={count}")
    return ";".join(parts) or "seconds=0"


def parse_duration(text: str) -> dt.timedelta:
    """Authentik's `timedelta_string_validator` format; a ValueError names what is wrong."""
    values: dict[str, float] = {}
    for part in str(text).split(";"):
        unit, sep, value = part.strip().partition("=")
        if not sep or unit not in _DURATION_UNITS:
            raise ValueError(f"`{text}` is not a duration like hours=1;minutes=2;seconds=3")
        values[unit] = values.get(unit, 0.0) + float(value)
    return dt.timedelta(**values)


def redirect_uris(entries: Iterable[Mapping[str, Any]]) -> list[RedirectUri]:
    """Each entry with its type filled in as the server fills it, in a stable order, duplicates dropped.

    URLs stay exactly as written: a strict match on `https://x/cb/` does not accept `https://x/cb`.
    """
    unique = {
        (
            str(entry.get("redirect_uri_type") or "authorization"),
            str(entry.get("matching_mode") or "strict"),
            str(entry["url"]),
        )
        for entry in entries
    }
    return [
        cast(RedirectUri, {"matching_mode": mode, "url": url, "redirect_uri_type": kind})
        for kind, mode, url in sorted(unique)
    ]


def launch_url(url: str) -> str:
    """`https://portal.example` and `https://portal.example/` are the same page; the host is case-free."""
    if not url:
        return ""
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment)
    )


def domain(name: str) -> str:
    return str(name).strip().rstrip(".").lower()


def names(values: Iterable[Any] | None) -> list[str]:
    """A set of names as a sorted list, whatever order the server keeps its many-to-many fields in."""
    return sorted({str(value) for value in values or ()})


def user_path(path: str) -> str:
    return str(path).strip("/")
