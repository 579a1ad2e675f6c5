"""The small interface every DNS backend implements, and the RRset value they exchange.

Names are absolute and written without the trailing dot (`_dmarc.acme.de`); the zone apex is the zone name.
Record contents are in presentation format as our records module writes them, except TXT: a TXT record here is
the whole text, unquoted and unsplit. Each backend quotes and splits TXT for its wire format and joins it back
when reading, so what `get_rrset` returns compares equal to what `put_rrset` was given.
"""

from __future__ import annotations

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

    def put_rrset(self, rrset: RRset) -> None:
        """Create or replace the whole RRset (name + type) with exactly these records and TTL."""
        ...

    def delete_rrset(self, zone: str, name: str, type_: str) -> None:
        """Remove the RRset; removing one that is already gone is not an error."""
        ...

    def close(self) -> None: ...


def split_txt(text: str, size: int = 255) -> list[str]:
    """A TXT value as the character-strings DNS carries: at most 255 bytes each."""
    raw = text.encode("utf-8")
    chunks = [raw[i : i + size].decode("utf-8", errors="strict") for i in range(0, len(raw), size)] or [""]
    return chunks


def quote_txt(text: str) -> str:
    """`"part1" "part2"`: TXT presentation format with quotes and backslashes escaped."""
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in split_txt(text))


def unquote_txt(content: str) -> str:
    """Join a quoted, possibly split TXT presentation value back into its text."""
    parts: list[str] = []
    current: list[str] = []
    inside = escaped = False
    for char in content:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and inside:
            escaped = True
        elif char == '"':
            if inside:
                parts.append("".join(current))
                current = []
            inside = not inside
        elif inside:
            current.append(char)
    if not parts and not inside and content and '"' not in content:
        return content
    return "".join(parts)
