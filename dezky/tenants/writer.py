"""Rendering a new tenant file that an operator will go on editing by hand, and checking it before it is written.

The file teaches its own format: beside the few values `dezky new` fills in, every section a tenant file can
have is there as a commented example. An example line is its YAML with `# ` put in front of it at the indentation
of its section (`  # mail: [...]`, `#   lists:`), so removing those two characters puts it in use as it
stands; explanations are commented prose that never starts with `key:` or `- `.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from dezky.tenants.catalog import PLANS, PLATFORM_DOMAIN, RETENTION_DAYS, Feature
from dezky.tenants.loader import load_tenants
from dezky.tenants.model import normalise_domain
from dezky.tenants.schema import SCHEMA_COMMENT

# Which `dezky new` option wrote each field of the new file, to name it instead of a line of an unwritten file.
_OPTION_OF: tuple[tuple[tuple[str | int, ...], str], ...] = (
    (("slug",), "SLUG"),
    (("name",), "--name"),
    (("plan",), "--plan"),
    (("domains",), "--domain"),
    (("users", 0, "email"), "--admin"),
)


def _plans_with(feature: Feature) -> str:
    names = [plan.name for plan in PLANS.values() if feature in plan.features]
    return " and ".join(names) if len(names) > 1 else names[0]


def render_new_tenant(
    *, slug: str, name: str, domain: str, plan: str, admin_email: str, created: dt.date
) -> str:
    ascii_domain = normalise_domain(domain)
    example = f"info@{ascii_domain}"
    # json.dumps quotes a string the way YAML reads it back, whatever characters the name holds.
    lines = [
        SCHEMA_COMMENT,
        f"# The tenant file of {json.dumps(name, ensure_ascii=False)}. Lines that start with `# ` before a key or a",
        "# `- ` are examples: remove the `# ` to use one. Check the file with `dezky validate`.",
        f"slug: {slug}  # the file's name without .yaml",
        f"# renamed_from: {slug}-alt  # the previous slug, after renaming the file: every object is kept",
        f"name: {json.dumps(name, ensure_ascii=False)}",
        "status: active  # active, suspended (no logins, mail still arrives) or deleted",
        f"# To delete: `status: deleted` and `deleted_at: {created.isoformat()}` (the day, YYYY-MM-DD). Its data is",
        f"# kept {RETENTION_DAYS} days; then `purge: true` removes it for good.",
        f"created: {created.isoformat()}  # YYYY-MM-DD",
        f"plan: {plan}  # {', '.join(PLANS)}: seats, mailbox and file quotas, features",
        "domains:",
        f"  primary: {domain}  # the domain alone, no https:// and no /",
        f"  # mail: [{slug}-mail.de]  # more mail domains ({_plans_with(Feature.EXTRA_DOMAINS)}); to remove one,"
        f" first write it as {{domain: {slug}-mail.de, purge: true}} and apply",
        f"  # platform_subdomain: {slug}.{PLATFORM_DOMAIN}  # the default: <slug>.{PLATFORM_DOMAIN}",
        f"  # renamed_from: {slug}-alt.de  # the previous primary domain: it stays a mail domain, mail kept",
        "users:",
        f"  - email: {admin_email}  # also the user's login name",
        "    name: Administrator",
        "    role: admin  # admin or member (the default)",
        "    # status: active  # active (the default) or suspended",
        f"    # aliases: [{example}]  # more addresses in the tenant's mail domains",
        f"    # quota: 5GiB  # mailbox size; at most the plan's (starter {_size('starter')}, business "
        f"{_size('business')}, enterprise {_size('enterprise')})",
        "    # purge: true  # before removing the user in a later change: its mailbox and account go for good",
        f"    # renamed_from: previous@{ascii_domain}  # the user's previous address: login and mail are kept",
        f"  # - email: anna.muster@{ascii_domain}",
        "  #   name: Anna Muster",
        "# mail:",
        f"#   shared_mailboxes:  # {_plans_with(Feature.SHARED_MAILBOXES)}",
        f"#     - address: office@{ascii_domain}",
        "#       name: Office",
        f"#       members: [{admin_email}]  # users who may read it",
        "#       quota: 5GiB",
        "#       # purge: true  # before removing it in a later change: its mail goes for good",
        f"#   lists:  # {_plans_with(Feature.MAILING_LISTS)}",
        f"#     - address: team@{ascii_domain}",
        "#       name: Team",
        f"#       members: [{admin_email}]  # users, aliases, shared mailboxes, lists, or outside addresses",
        f"#   catch_all: {admin_email}  # {_plans_with(Feature.CATCH_ALL)}: mail to unknown addresses",
        "# files:",
        "#   spaces:",
        "#     - name: Projekte",
        "#       quota: 50GiB  # all spaces together stay within the plan's file quota",
        "#       description: Shared project files",
        "#       members:",
        "#         - group: members  # admins or members, or `user: <address>` for one user",
        "#           role: editor  # viewer (the default), editor or manager",
        f"#         - user: {admin_email}",
        "#           role: manager",
        "#       # purge: true  # before removing the space in a later change: its files go for good",
        "#       # renamed_from: Projects  # the space's previous name: the space and its files are kept",
        f"# branding:  # {_plans_with(Feature.CUSTOM_BRANDING)}",
        f"#   title: {json.dumps(name, ensure_ascii=False)}",
        '#   primary_color: "#1f4e79"',
        f"#   logo_url: https://{ascii_domain}/logo.svg",
        "",
    ]
    return "\n".join(lines)


def _size(plan: str) -> str:
    return f"{PLANS[plan].mailbox_quota // 1024**3}GiB"


def new_tenant_problems(folder: Path, target: Path, text: str) -> list[str]:
    """What is wrong with `text` as the new file `target` beside the files in `folder`, by `dezky new` option.

    The file is checked before it is written, so no message points at a line of it; a clash names the other
    file's line, which is there to read.
    """
    result = load_tenants([folder] if folder.is_dir() else [], pending={target: text})
    messages = []
    for problem in result.problems:
        if problem.location.path != target:
            continue
        field = problem.location.field
        option = next((name for loc, name in _OPTION_OF if field[: len(loc)] == loc), None)
        messages.append(f"{option or problem.location.render_field()}: {problem.message}")
    return messages
