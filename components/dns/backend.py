"""The small interface every DNS backend implements, and the RRset value they exchange.

Names are absolute and written without the trailing dot (`_dmarc.acme.de`); the zone apex is the zone name.
Record contents are in presentation format as our records module writes them, except TXT: a TXT record here is
the whole text, unquoted and unsplit. Each backend quotes and splits TXT for its wire format and joins it back
when reading, so what `get_rrset` returns compares equal to what `put_rrset` was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class RRset:
    zone: str
    name: str
    type: str
    ttl: int
    records: tuple[str, ...] = field(default=())

    def normalised(self) -> RRset:
        """Sorted records, so two RRsets compare equal whatever order a server returns them in."""
        return RRset(self.zone, self.name.lower(), self.type.upper(), self.ttl, tuple(sorted(self.records)))

    @property
    def key(self) -> str:
        return f"{self.name}/{self.type}"


class DnsBackend(Protocol):
    """What the DNS providers need from a DNS service. Implementations are thin and stateless."""

    def zone_exists(self, zone: str) -> bool: ...

    def create_zone(self, zone: str) -> None: ...

    def delete_zone(self, zone: str) -> None: ...

    def get_rrset(self, zone: str, name: str, type_: str) -> RRset | None: ...

    def list_rrsets(self, zone: str) -> list[RRset]:
        """Every RRset in the zone, the server's own SOA and NS included."""
        ...

    def put_rrset(self, rrset: RRset) -> None:
        """Create or replace the whole RRset (name + type) with exactly these records and TTL."""
        ...

    def delete_rrset(self, zone: str, name: str, type_: str) -> None:
        """Remove the RRset; removing one that is already gone is not an error."""
        ...

    def close(self) -> None: ...


def split_txt(text: str, size: int = 255) -> list[str]:
    """A TXT value as the character-strings DNS carries: at most `size` bytes each, never splitting a character.

    Cutting the UTF-8 bytes blindly would leave half a character at the end of one string and the rest at the
    start of the next; each string is then no longer valid text on its own.
    """
    chunks: list[str] = []
    current: list[str] = []
    length = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if length + width > size:
            chunks.append("".join(current))
            current, length = [], 0
        current.append(char)
        length += width
    return [*chunks, "".join(current)]


def quote_txt(text: str) -> str:
    """`"part1" "part2"`: TXT presentation format with quotes and backslashes escaped."""
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in split_txt(text))


def unquote_txt(content: str) -> str:
    r"""Join a quoted, possibly split TXT presentation value back into its text.

    Understands the RFC 1035 escapes: a backslash before any character, and `\DDD`, one byte in decimal, as
    servers and dnspython write non-ASCII text. Content without quotes is returned as it is.
    """
    if '"' not in content:
        return content
    strings = _TXT_STRING.findall(content.encode("utf-8"))
    return b"".join(_TXT_ESCAPE.sub(_unescaped, s) for s in strings).decode("utf-8", errors="replace")


_TXT_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_TXT_ESCAPE = re.compile(rb"\\([0-9]{3}|.)", re.DOTALL)


def _unescaped(match: re.Match[bytes]) -> bytes:
    escaped = match[1]
    return bytes([int(escaped)]) if len(escaped) == 3 else escaped
