"""Hypothesis strategies: valid tenants built over the model's rules, and random damage to their files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from dezky.tenants import PLANS, RESERVED_SLUGS
from dezky.tenants.catalog import RETENTION_DAYS, Feature, Plan
from dezky.tenants.limits import OCIS_SPACE_NAME_FORBIDDEN, space_alias
from dezky.tenants.model import Role, SpaceRole, TenantGroup, TenantStatus, UserStatus, normalise_domain

GiB = 1024**3

LOWER, DIGITS = "abcdefghijklmnopqrstuvwxyz", "0123456789"


def _joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


# Built from small alphabets rather than regular expressions: several hundred draws per tenant stay fast.
ascii_labels = _joined(
    st.sampled_from(LOWER), st.text(LOWER + DIGITS, max_size=8), st.sampled_from(["", "-x", "-24"])
)
# Written with umlauts, eszett and capitals: the loader stores them as lowercase punycode.
idn_labels = st.sampled_from(
    ["müller", "bäckerei", "Größe", "café", "straße", "öko-laden", "Zürich", "ålesund"]
)
top_levels = st.sampled_from(["de", "at", "ch", "eu", "com", "org", "DE"])
slugs = _joined(
    st.sampled_from(LOWER),
    st.text(LOWER + DIGITS + "-", min_size=1, max_size=30),
    st.sampled_from(LOWER + DIGITS),
).filter(lambda s: s not in RESERVED_SLUGS)
local_stems = st.sampled_from(["anna", "jonas.weber", "info", "a_b", "team+news", "k-9", "x", "buero.2"])
# Names as people type them: any letters, digits, punctuation, symbols and spaces, never blank.
texts = st.text(
    st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters="\x85"), min_size=1, max_size=40
).filter(str.strip)
sizes = st.integers(min_value=1, max_value=50).map(lambda n: f"{n}GiB")


@st.composite
def domain_names(draw: st.DrawFn) -> str:
    labels = draw(st.lists(st.one_of(ascii_labels, idn_labels), min_size=1, max_size=2))
    domain = ".".join([*labels, draw(top_levels)])
    assume(not f".{_ascii(domain)}".endswith(".dezky.eu"))  # the platform's own domain is never a tenant's
    return domain


def quota_within(limit: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=1, max_value=limit // GiB).map(lambda n: f"{n}GiB")


@st.composite
def valid_tenants(draw: st.DrawFn) -> dict[str, Any]:
    """A tenant file's data that follows every rule: plan limits, features, addresses and members."""
    plan: Plan = PLANS[draw(st.sampled_from(sorted(PLANS)))]
    slug = draw(slugs)
    status = draw(st.sampled_from(list(TenantStatus)))
    created = draw(st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)))
    data: dict[str, Any] = {"slug": slug, "name": draw(texts), "status": status.value, "created": created}
    if status is TenantStatus.DELETED:
        data["deleted_at"] = draw(st.dates(created, dt.date(2027, 12, 31)))
        # `purge: true` is valid only once the retention after `deleted_at` has passed.
        purgeable = data["deleted_at"] + dt.timedelta(days=RETENTION_DAYS) <= dt.date.today()
        data["purge"] = purgeable and draw(st.booleans())
    data["plan"] = plan.name

    extra_domains = []
    if Feature.EXTRA_DOMAINS in plan.features:
        extra_domains = draw(st.lists(domain_names(), max_size=2, unique_by=_ascii))
    primary = draw(domain_names().filter(lambda d: _ascii(d) not in {_ascii(e) for e in extra_domains}))
    data["domains"] = {"primary": primary, **({"mail": extra_domains} if extra_domains else {})}
    if draw(st.booleans()):
        data["domains"]["platform_subdomain"] = f"{draw(slugs)}.dezky.eu"
    mail_domains = [primary, *extra_domains]

    # Every address the tenant receives mail at is claimed once: a counter keeps their local parts apart.
    numbers = iter(range(100))

    def new_address() -> str:
        return f"{draw(local_stems)}{next(numbers)}@{draw(st.sampled_from(mail_domains))}"

    user_count = draw(st.integers(min_value=0, max_value=min(4, plan.seats)))
    users = [_user(draw, new_address(), plan) for _ in range(user_count)]
    if users and status is not TenantStatus.DELETED:
        users[draw(st.integers(0, len(users) - 1))]["role"] = Role.ADMIN.value
    for user in users:
        if draw(st.booleans()):
            user["aliases"] = [new_address()]
    data["users"] = users
    emails = [user["email"] for user in users]
    claimed = [*emails, *(alias for user in users for alias in user.get("aliases", []))]

    mail: dict[str, Any] = {}
    if Feature.SHARED_MAILBOXES in plan.features and draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(emails), unique=True)) if emails else []
        box = {"address": new_address(), "name": draw(texts), "members": members}
        if draw(st.booleans()):
            box["quota"] = draw(quota_within(plan.mailbox_quota))
        mail["shared_mailboxes"] = [box]
        claimed.append(box["address"])
    if Feature.MAILING_LISTS in plan.features and emails and draw(st.booleans()):
        address = new_address()
        members = draw(st.lists(st.sampled_from(emails), min_size=1, unique=True))
        mail["lists"] = [{"address": address, "name": draw(texts), "members": members}]
        claimed.append(address)
    if Feature.CATCH_ALL in plan.features and claimed and draw(st.booleans()):
        mail["catch_all"] = draw(st.sampled_from(claimed))
    if mail:
        data["mail"] = mail

    if draw(st.booleans()):
        data["files"] = {"spaces": _spaces(draw, plan, emails)}
    if Feature.CUSTOM_BRANDING in plan.features and draw(st.booleans()):
        data["branding"] = {
            "title": draw(texts),
            "primary_color": draw(st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)),
            "logo_url": f"https://{_ascii(primary)}/{draw(ascii_labels)}.svg",
        }
    return data


def _user(draw: st.DrawFn, email: str, plan: Plan) -> dict[str, Any]:
    local, domain = email.split("@")
    # Capitals in the local part are the same address; in the domain, `ß`.upper() would make another domain.
    user: dict[str, Any] = {
        "email": f"{draw(st.sampled_from([local, local.upper()]))}@{domain}",
        "name": draw(texts),
    }
    user["role"] = draw(st.sampled_from(list(Role))).value
    user["status"] = draw(st.sampled_from(list(UserStatus))).value
    if draw(st.booleans()):
        user["quota"] = draw(quota_within(plan.mailbox_quota))
    return user


def _spaces(draw: st.DrawFn, plan: Plan, emails: list[str]) -> list[dict[str, Any]]:
    space_names = texts.filter(lambda s: not any(c in s for c in OCIS_SPACE_NAME_FORBIDDEN))
    # One space per name and per OCIS space: `Büro` and `buro` would be the same one.
    unique = (lambda s: s.strip().casefold(), lambda s: space_alias("x", s.strip()))
    names = draw(st.lists(space_names, max_size=3, unique_by=unique))
    budget = plan.file_quota // GiB // max(len(names), 1)
    spaces = []
    for name in names:
        principals = [*(("user", e) for e in emails), *(("group", g.value) for g in TenantGroup)]
        chosen = draw(st.lists(st.sampled_from(principals), unique=True, max_size=3))
        members = [
            {kind: value, "role": draw(st.sampled_from(list(SpaceRole))).value} for kind, value in chosen
        ]
        quota = f"{draw(st.integers(1, min(budget, 500)))}GiB"
        spaces.append({"name": name, "quota": quota, "description": draw(texts), "members": members})
    return spaces


def _ascii(domain: str) -> str:
    return normalise_domain(domain)


# --- damage -------------------------------------------------------------------------------------------------

FIELD_NAMES = sorted(
    {"slug", "name", "status", "created", "deleted_at", "plan", "domains", "users", "mail", "files", "branding",
     "purge", "primary", "platform_subdomain", "email", "role", "aliases", "quota", "shared_mailboxes", "lists",
     "members", "catch_all", "spaces", "user", "group", "description", "title", "primary_color", "logo_url"}
)  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["", "~", "yes", "0x1F", "10GiB", "-1GiB", "admin", "deleted", "#zzzzzz", "http://x"]),
)
random_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
garbage_lines = st.one_of(
    st.text(max_size=30).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
    st.sampled_from(
        ["- x", "key: value", ": :", "&a x", "*a", "<<: {a: 1}", "[", "{a: 1", "!!python/name:os.system", "'",
         "---", "...", "? x", "%YAML 1.1", "a: b: c", "- - -", "users: *x", "\t", "#"]
    ),
)  # fmt: skip


def all_paths(data: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path inside `data`, parents before children."""
    children: list[tuple[Any, Any]] = []
    if isinstance(data, dict):
        children = list(data.items())
    elif isinstance(data, list):
        children = list(enumerate(data))
    paths = []
    for key, value in children:
        paths.append((*here, key))
        paths.extend(all_paths(value, (*here, key)))
    return paths


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def damaged(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """The data with one key deleted or renamed, or one value replaced by a random scalar, list or mapping."""
    paths = all_paths(data)
    path = draw(st.sampled_from(paths))
    parent, key = parent_of(data, path), path[-1]
    action = draw(
        st.sampled_from(
            ["delete", "rename", "replace"] if isinstance(parent, dict) else ["delete", "replace"]
        )
    )
    if action == "delete":
        del parent[key]
    elif action == "rename":
        parent[draw(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12)))] = parent.pop(key)
    else:
        parent[key] = draw(random_values)
    return data
