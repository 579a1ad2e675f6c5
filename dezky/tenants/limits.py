"""What the services the platform writes to refuse, checked here so a valid file never fails half-way through `up`.

Each limit names the source it was read from. A limit that is only found when the service answers would fail
an `up` after other objects were already written; here it is a problem at the file's line instead.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# OCIS refuses these in a space name, after trimming it, and names longer than 255 bytes (Go's `len` counts the
# UTF-8 bytes): owncloud/ocis services/graph/pkg/service/v0/drives.go, `validateSpaceName` with
# `_invalidSpaceNameCharacters` and `_maxSpaceNameLength = 255`, called by `CreateDrive` and `UpdateDrive`.
OCIS_SPACE_NAME_FORBIDDEN = ("/", "\\", ".", ":", "?", "*", '"', ">", "<", "|")
OCIS_SPACE_NAME_MAX_BYTES = 255

# Authentik 2026.5.6 (specs/authentik-2026.5.6-schema.yml, `UserRequest`): `username` at most 150 characters
# (Django's `AbstractUser.username`, max_length=150) and `email` at most 254. The program makes the user's
# address their username (components/authentik/objects.py `user_props`), so the address holds both.
AUTHENTIK_USERNAME_MAX = 150

# A DNS name is at most 253 characters as text (255 octets on the wire, RFC 1035 2.3.4): PowerDNS refuses a longer
# one (PowerDNS/pdns pdns/dnsname.cc, `DNSName`: "name too long"). The longest name the platform publishes under a
# mail domain is its ed25519 DKIM key's (components/dns/records.py `mail_domain_rrsets`, with the selectors of
# components/stalwart/provider.py `DKIM_SELECTOR_TEMPLATE`), so a mail domain leaves room for that prefix.
DNS_NAME_MAX = 253
LONGEST_MAIL_DOMAIN_PREFIX = "v1-ed25519._domainkey."
MAIL_DOMAIN_MAX = DNS_NAME_MAX - len(LONGEST_MAIL_DOMAIN_PREFIX)

# Checked and found without a limit that a tenant file can reach (so no rule): Authentik 2026.5.6 `GroupRequest.name`,
# `BrandRequest.domain`/`branding_title`/`branding_logo`, `ApplicationRequest.slug` (a pattern, no length),
# `meta_icon`, `meta_description` and `OAuth2ProviderRequest.name`; Stalwart 0.16.18's registry schema
# (specs/stalwart-0.16.18-jmap-registry-schema.json) gives `x:Account` `name` and `description`, `x:Domain` `name`,
# `x:EmailAlias` `name` and `x:MailingList` `name`/`description` no `maxLength`; OCIS stores a space's
# description and `driveAlias` as given (drives.go passes both through as opaque values).


def ocis_space_name_problem(name: str) -> str | None:
    """Why OCIS would refuse `name` (already trimmed) as a space name, or None."""
    forbidden = [c for c in OCIS_SPACE_NAME_FORBIDDEN if c in name]
    if forbidden:
        shown = " ".join(f"`{c}`" for c in forbidden)
        return f"`{name}` cannot be an OCIS space name: OCIS does not allow {shown} in one"
    size = len(name.encode("utf-8"))
    if size > OCIS_SPACE_NAME_MAX_BYTES:
        return (
            f"the name has {size} bytes in UTF-8; OCIS allows at most {OCIS_SPACE_NAME_MAX_BYTES} bytes in a "
            "space name"
        )
    return None


def space_alias(slug: str, name: str) -> str:
    """The OCIS space a name becomes: `project/<slug>.<label>`, the program's natural key for the space.

    The label is the name in ASCII (accents dropped after NFKD), lowercase, with every run of other characters
    one hyphen; a hash when nothing is left. This must stay the derivation of `components/ocis/provider.py`
    `space_alias` (tests/tenants/test_limits.py compares the two): names with one label are one space.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    label = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    return f"project/{slug}.{label or hashlib.sha256(name.encode()).hexdigest()[:12]}"
