"""The tenant file as typed, frozen models: shape and value rules only.

Rules that need the whole tenant (plan limits, which domains an address may use) live in `rules.py`; rules
across tenants in `crossfile.py`. The models reject unknown keys so a typo never silently drops a setting.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Literal

import idna
from pydantic import (
    AfterValidator,
    BaseModel,
    ByteSize,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from dezky.tenants.catalog import PLANS, PLATFORM_DOMAIN, RESERVED_SLUGS
from dezky.tenants.limits import AUTHENTIK_USERNAME_MAX, ocis_space_name_problem

SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
_LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Lowercase letter-digit-hyphen labels that IDNA leaves as they are: no hyphen at either end, and none in the
# third and fourth place (where `xn--` marks punycode, which needs IDNA's full checks).
_PLAIN_DOMAIN = re.compile(r"(?:(?!-)(?!..--)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# What a URL may hold (RFC 3986) less the characters that break out of an attribute or a quoted string where
# another system puts it: quotes, angle brackets, backslash, backtick, braces, pipe, caret and spaces.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@functools.lru_cache(maxsize=16384)  # a tenant's addresses share a few domains; IDNA checks are costly
def normalise_domain(value: str) -> str:
    """An internationalised or ASCII domain in lowercase punycode, without a trailing dot."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a domain name is required")
    name = value.strip().rstrip(".")
    if "/" in name or ":" in name:
        raise ValueError(_url_instead_of_domain(value))
    if _PLAIN_DOMAIN.fullmatch(name.lower()):  # most domains: what IDNA would return, without its cost
        ascii_name = name.lower()
    else:
        try:
            ascii_name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"`{value}` is not a valid domain name ({exc})") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253:
        raise ValueError(f"`{value}` is not a fully qualified domain name")
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        raise ValueError(f"`{value}` does not end in a valid top-level domain")
    return ascii_name.lower()


def _url_instead_of_domain(value: str) -> str:
    """What to say of `https://acme.de/`, `acme.de/shop` or `acme.de:443` where a bare domain name belongs."""
    text = value.strip()
    parts = urllib.parse.urlsplit(text if "//" in text else f"//{text}")
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    what = "a web address (URL)" if "//" in text else "not a bare domain name"
    if host and "." in host and not host.startswith("."):
        return f"`{value}` is {what}; write the domain alone: {host}"
    return f"`{value}` is {what}; write the domain alone, like example.de"


@functools.lru_cache(maxsize=65536)  # a tenant names each address several times: user, list, mailbox, space
def normalise_email(value: str) -> str:
    """A mail address with its domain in punycode; the local part is kept ASCII and lowercase."""
    if not isinstance(value, str) or value.count("@") != 1:
        raise ValueError(f"`{value}` is not a mail address (local@domain)")
    local, domain = value.strip().rsplit("@", 1)
    local = local.lower()
    if not _LOCAL_PART.fullmatch(local) or ".." in local:
        raise ValueError(f"`{value}` has an invalid local part; use letters, digits and . _ + -")
    return f"{local}@{normalise_domain(domain)}"


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[1]


def did_you_mean(value: object, choices: Iterable[str]) -> str | None:
    """The one choice `value` is most likely a misspelling of (`Busines` -> `business`), or None."""
    options = list(choices)
    text = str(value).strip()
    lowered = {option.lower(): option for option in options}
    if text.lower() in lowered:
        return lowered[text.lower()]
    found = difflib.get_close_matches(text.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def unknown_choice(what: str, value: object, choices: Iterable[str]) -> str:
    """`unknown plan `premim`; did you mean `premium`?`, or the choices when none is close."""
    options = list(choices)
    suggestion = did_you_mean(value, options)
    if suggestion is not None:
        return f"unknown {what} `{value}`; did you mean `{suggestion}`?"
    return f"unknown {what} `{value}`; choose one of {', '.join(options)}"


def _known_plan(value: str) -> str:
    if value not in PLANS:
        raise ValueError(unknown_choice("plan", value, sorted(PLANS)))
    return value


def _unreserved_slug(value: str) -> str:
    if value in RESERVED_SLUGS:
        raise ValueError(f"`{value}` is reserved for the platform; choose another slug")
    return value


def _https_url(value: str) -> str:
    """A well-formed `https://host/...` URL: it goes into Authentik as is and from there into every login page."""
    if not value.startswith("https://"):
        raise ValueError("must be an https:// URL")
    odd = sorted({c for c in value if not c.isprintable() or unicodedata.category(c).startswith(("Z", "C"))})
    if odd:
        shown = ", ".join(f"U+{ord(c):04X}" for c in odd)
        raise ValueError(f"must not contain spaces or control characters (found {shown})")
    unsafe = sorted({c for c in value if c.isascii() and not _URL_CHARS.fullmatch(c)})
    if unsafe:
        shown = " ".join("`` ` ``" if c == "`" else f"`{c}`" for c in unsafe)
        raise ValueError(f"must not contain {shown}; write such characters percent-encoded (%XX)")
    if not value.isascii():
        raise ValueError("must be ASCII: write the host in punycode (xn--...) and percent-encode the path")
    if _BAD_PERCENT.search(value):
        raise ValueError("has a `%` that does not start a percent-encoded byte (%XX)")
    parts = urllib.parse.urlsplit(value)
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password before the host (`user@`)")
    host = parts.hostname or ""
    if not host:
        raise ValueError("must name a host after https://")
    try:
        parts.port  # noqa: B018 - urllib checks the port only when it is read
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    try:
        normalise_domain(host)
    except ValueError:
        raise ValueError(f"`{host}` is not a host name; use the logo's fully qualified domain name") from None
    return value


_SPACE_NAME_PATTERN = r'^[^/\\.:?*"<>|]+$'  # OCIS_SPACE_NAME_FORBIDDEN as a JSON Schema pattern


def _ocis_space_name(value: str) -> str:
    if problem := ocis_space_name_problem(value):
        raise ValueError(problem)
    return value


def _hex_colour(value: str) -> str:
    if not _HEX_COLOUR.fullmatch(value):
        raise ValueError("must be a colour like #1a2b3c")
    return value.lower()


Domain = Annotated[str, AfterValidator(normalise_domain)]
Email = Annotated[str, AfterValidator(normalise_email)]
HttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(_https_url)]
HexColour = Annotated[str, AfterValidator(_hex_colour)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
# ByteSize's own schema would carry `gt`, which JSON Schema does not know; say what editors can check.
Quota = Annotated[
    ByteSize,
    Field(gt=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*\d*\.?\d+\s*[A-Za-z]*\s*$"},
                {"type": "integer", "exclusiveMinimum": 0},
            ],
            "description": "bytes, or a size such as 10GiB or 500MB",
        }
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class SpaceRole(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    MANAGER = "manager"


class TenantGroup(StrEnum):
    """The two groups every tenant has: `<slug>-admins` and `<slug>-members`."""

    ADMINS = "admins"
    MEMBERS = "members"


class ExtraMailDomain(Strict):
    """An extra mail domain written as a mapping, the form that can mark it for purge."""

    domain: Domain
    purge: bool = Field(
        default=False, description="allow removing this mail domain, its DNS zone and the mail on it for good"
    )


def _extra_mail_domain(value: object, _handler: ValidatorFunctionWrapHandler) -> str:
    """`acme.eu` or `{domain: acme.eu, purge: true}`: the domain's name either way (`Domains` keeps the mark).

    Each form is checked on its own, so a problem is reported at the entry (or its key), not once per form."""
    if isinstance(value, dict):
        return ExtraMailDomain.model_validate(value).domain
    return _DOMAIN.validate_python(value)


_DOMAIN: TypeAdapter[str] = TypeAdapter(Domain)
# Written either way, kept as the name: every reader of `Domains.mail` sees names. The union is the input's shape
# (for the schema, and for the loader's key suggestions on the mapping form).
MailDomainEntry = Annotated[Domain | ExtraMailDomain, WrapValidator(_extra_mail_domain)]


class Domains(Strict):
    primary: Domain
    mail: tuple[MailDomainEntry, ...] = Field(
        default=(),
        description="extra mail domains: `acme.eu`, or `{domain: acme.eu, purge: true}` before removing one",
    )
    platform_subdomain: Domain | None = Field(
        default=None, description=f"defaults to <slug>.{PLATFORM_DOMAIN}"
    )
    renamed_from: Domain | None = Field(
        default=None,
        description="the previous primary domain: it stays a mail domain (its mail, zone and addresses kept)",
    )

    _purged: frozenset[str] = PrivateAttr(default=frozenset())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_purge_marks(cls, data: object, handler: ValidatorFunctionWrapHandler) -> Domains:
        domains: Domains = handler(data)
        entries = data.get("mail") if isinstance(data, dict) else None
        if not isinstance(entries, list | tuple):  # a Domains validated already keeps its marks
            return domains
        mappings = {
            i: ExtraMailDomain.model_validate(e) for i, e in enumerate(entries) if isinstance(e, dict)
        }
        marked = {position: entry.domain for position, entry in mappings.items() if entry.purge}
        refused = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "value_error",
                    "`{domain}` is the primary domain: it goes only with its tenant (`status: deleted`, then "
                    "`purge: true` on the tenant); make another domain primary first to remove this one",
                    {"domain": domain},
                ),
                loc=("mail", position),
                input=entries[position],
            )
            for position, domain in marked.items()
            if domain == domains.primary
        ]
        if refused:
            raise ValidationError.from_exception_data(cls.__name__, refused)
        domains._purged = frozenset(marked.values())
        return domains

    @field_validator("mail")
    @classmethod
    def _mail_domains_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        duplicates = sorted({d for d in value if value.count(d) > 1})
        if duplicates:
            raise ValueError(f"listed twice: {', '.join(duplicates)}")
        return value

    @property
    def mail_domains(self) -> tuple[str, ...]:
        """Every domain that receives mail: the primary first, the previous primary (`renamed_from`) last."""
        extra = (*self.mail, *((self.renamed_from,) if self.renamed_from else ()))
        return (self.primary, *dict.fromkeys(d for d in extra if d != self.primary))

    @property
    def purged_mail_domains(self) -> frozenset[str]:
        """The extra mail domains whose entry says `purge: true` (never the primary: it goes with its tenant)."""
        return self._purged


class User(Strict):
    email: Annotated[
        Email,
        Field(
            description=f"the user's address, also their Authentik username (at most {AUTHENTIK_USERNAME_MAX} characters)"
        ),
    ]
    name: Text
    role: Role = Role.MEMBER
    status: UserStatus = UserStatus.ACTIVE
    aliases: tuple[Email, ...] = ()
    quota: Quota | None = None
    purge: bool = Field(default=False, description="allow removing this user's mailbox and account for good")
    renamed_from: Email | None = Field(
        default=None, description="the user's previous address: login, mailbox and mail move to the new one"
    )

    @field_validator("email")
    @classmethod
    def _fits_authentik_username(cls, value: str) -> str:
        if len(value) > AUTHENTIK_USERNAME_MAX:
            raise ValueError(
                f"`{value}` has {len(value)} characters; it is the user's Authentik username, which holds at "
                f"most {AUTHENTIK_USERNAME_MAX}"
            )
        return value


class SharedMailbox(Strict):
    address: Email
    name: Text
    members: tuple[Email, ...] = ()
    quota: Quota | None = None
    purge: bool = Field(default=False, description="allow removing this shared mailbox and its mail for good")


class MailingList(Strict):
    address: Email
    name: Text
    members: tuple[Email, ...] = Field(min_length=1)
    # A list stores no mail (it forwards each message to its members), so removing it needs no mark; the key is
    # accepted so the same two-step removal an operator uses on every other item never meets an unknown key.
    purge: bool = Field(default=False, description="accepted, not needed: a list holds no mail of its own")


class Mail(Strict):
    shared_mailboxes: tuple[SharedMailbox, ...] = ()
    lists: tuple[MailingList, ...] = ()
    catch_all: Email | None = None


class SpaceMember(Strict):
    user: Email | None = None
    group: TenantGroup | None = None
    role: SpaceRole = SpaceRole.VIEWER

    @model_validator(mode="after")
    def _exactly_one_principal(self) -> SpaceMember:
        if (self.user is None) == (self.group is None):
            raise ValueError("a member names exactly one of `user` or `group`")
        return self


class Space(Strict):
    name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=100,
            # For editors only: the validator below says which character is wrong, and checks OCIS's byte limit.
            json_schema_extra={"pattern": _SPACE_NAME_PATTERN},
            description="the space's name in OCIS: none of / \\ . : ? * \" < > |, at most 255 bytes in UTF-8",
        ),
        AfterValidator(_ocis_space_name),
    ]
    quota: Quota
    description: Annotated[str, Field(max_length=500)] = ""
    members: tuple[SpaceMember, ...] = ()
    purge: bool = Field(default=False, description="allow destroying this space and its files for good")
    renamed_from: (
        Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_ocis_space_name)] | None
    ) = Field(default=None, description="the space's previous name: the space and its files are renamed")


class Files(Strict):
    spaces: tuple[Space, ...] = ()


class Branding(Strict):
    title: Text
    primary_color: HexColour = "#1f4e79"
    logo_url: HttpsUrl | None = None


class Tenant(Strict):
    """One customer of the platform, as its file in `tenants/` declares it."""

    slug: Annotated[
        str,
        Field(pattern=SLUG_PATTERN, description="a DNS label, 3-32 characters"),
        AfterValidator(_unreserved_slug),
    ]
    name: Text
    status: TenantStatus = TenantStatus.ACTIVE
    created: dt.date
    deleted_at: dt.date | None = None
    plan: Annotated[str, AfterValidator(_known_plan), Field(json_schema_extra={"enum": sorted(PLANS)})]
    domains: Domains
    users: tuple[User, ...] = ()
    mail: Mail = Mail()
    files: Files = Files()
    branding: Branding | None = None
    purge: bool = Field(
        default=False, description="allow destroying this deleted tenant once retention elapsed"
    )
    renamed_from: Annotated[str, Field(pattern=SLUG_PATTERN), AfterValidator(_unreserved_slug)] | None = (
        Field(
            default=None,
            description="the tenant's previous slug: every object of the tenant is kept and renamed",
        )
    )

    @property
    def platform_subdomain(self) -> str:
        return self.domains.platform_subdomain or f"{self.slug}.{PLATFORM_DOMAIN}"

    @property
    def all_domains(self) -> tuple[str, ...]:
        return (*self.domains.mail_domains, self.platform_subdomain)

    @property
    def is_active(self) -> bool:
        return self.status is TenantStatus.ACTIVE


SCHEMA_ID: Literal["https://dezky.eu/schema/tenant.schema.json"] = (
    "https://dezky.eu/schema/tenant.schema.json"
)
