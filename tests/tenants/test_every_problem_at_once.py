"""Validation that finds everything at once (issue 15): a schema error does not hide reference errors, YAML
syntax errors are told in the file's terms, list members on the tenant's own domains are checked, and a clash
names the file that brings it."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dezky.tenants import load_tenants
from tests.tenants.builders import DOMAIN, SLUG, address, problems, problems_in_text, tenant, user, write

F = f"{SLUG}.yaml"

VALID = f"""\
slug: {SLUG}
name: Kanzlei Berg
created: 2026-01-15
plan: business
domains:
  primary: kanzlei-berg.de
users:
  - email: eva@kanzlei-berg.de
    name: Eva Berg
    role: admin
"""


def with_lists(*lists: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return tenant(mail={"lists": list(lists), **fields})


def a_list(local: str, *members: str) -> dict[str, Any]:
    return {"address": address(local), "name": local.title(), "members": list(members)}


# --- a schema error hides no reference error -------------------------------------------------------------


def test_schema_error_and_reference_errors_of_one_file_are_reported_together(tmp_path: Path) -> None:
    data = tenant(
        users=[user("eva.berg", role="admin"), user("tim.kohl", role="chef")],
        mail={"catch_all": address("nobody")},
        files={"spaces": [{"name": "Akten", "quota": "1GiB", "members": [{"user": address("ghost")}]}]},
    )

    assert problems(tmp_path, data) == [
        ("users[1].role", "unknown role `chef`; choose one of admin, member"),
        (
            "mail.catch_all",
            f"`{address('nobody')}` must be an address of this tenant (a user, alias or mailbox)",
        ),
        ("mail.catch_all", "plan `business` does not include catch all"),
        ("files.spaces[0].members[0].user", f"`{address('ghost')}` is not a user of this tenant"),
    ]


def test_a_user_the_model_refused_is_still_known_to_the_rules(tmp_path: Path) -> None:
    """The refused user's address is set aside, not forgotten: references to it are not called unknown."""
    refused = {"email": address("tim.kohl"), "name": ""}  # an empty name: the whole user is set aside
    data = tenant(
        users=[user("eva.berg", role="admin"), refused],
        mail={
            "shared_mailboxes": [
                {"address": address("post"), "name": "Post", "members": [address("tim.kohl")]}
            ]
        },
        files={"spaces": [{"name": "Akten", "quota": "1GiB", "members": [{"user": address("tim.kohl")}]}]},
    )

    assert problems(tmp_path, data) == [("users[1].name", "string should have at least 1 character")]


def test_rules_that_a_refused_value_decides_are_left_out(tmp_path: Path) -> None:
    """A refused slug, plan, role or domain stands for nothing: no rule judges its placeholder."""
    data = tenant(
        slug="Kanzlei",
        plan="gold",
        domains={"primary": "kanzlei berg.de"},
        users=[user("eva.berg", role="boss"), *(user(f"user{i}") for i in range(60))],
    )

    assert [field for field, _ in problems(tmp_path, data)] == [
        "slug",
        "plan",
        "domains.primary",
        "users[0].role",
    ]


def test_an_unreadable_date_does_not_hide_the_rest_of_the_file(tmp_path: Path) -> None:
    text = VALID.replace("2026-01-15", "2026-02-30").replace(
        "    role: admin", "    role: admin\n    quota: 500GiB"
    )

    assert problems_in_text(tmp_path, text) == [
        f"{F}:3:10 created: `2026-02-30` is not a date: day is out of range for month",
        f"{F}:11:12 users[0].quota: 500.0GiB is above plan `business`'s mailbox quota of 25.0GiB",
    ]


# --- keys at the wrong level ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            VALID
            + "lists:\n  - address: team@kanzlei-berg.de\n    name: Team\n    members: [eva@kanzlei-berg.de]\n",
            f"{F}:11:1 lists: unknown key `lists` here; it belongs under `mail:`",
        ),
        (
            VALID.replace("  primary: kanzlei-berg.de\n", "  primary: kanzlei-berg.de\n  role: admin\n"),
            f"{F}:7:3 domains.role: unknown key `role` here; it belongs under `users[n]` or under "
            "`files.spaces[n].members[n]`",
        ),
        (
            VALID.replace("    role: admin\n", "    role: admin\n    plan: starter\n"),
            f"{F}:11:5 users[0].plan: unknown key `plan` here; it belongs at the top level, without indentation",
        ),
    ],
    ids=["lists-at-the-top", "role-under-domains", "plan-under-a-user"],
)
def test_key_at_the_wrong_level_says_where_it_belongs(tmp_path: Path, text: str, problem: str) -> None:
    assert problems_in_text(tmp_path, text) == [problem]


def test_key_that_belongs_nowhere_still_gets_a_did_you_mean(tmp_path: Path) -> None:
    text = VALID.replace("    role: admin\n", "    role: admin\n    alias: [info@kanzlei-berg.de]\n")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:11:5 users[0].alias: unknown key `alias`; did you mean `aliases`?"
    ]


# --- YAML syntax in the file's terms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "    name: Eva Berg\n",
            "    name: Eva Berg\n  role: admin\n",
            f"{F}:10:3 users: YAML syntax: `role:` stands in the column of the list's `- ` items (column 3, the "
            "list starts on line 8) but does not start with `- `; indent it to column 5 to make it part of the "
            "item above, or start a new item with `- `",
        ),
        (
            "    name: Eva Berg\n",
            "    name: Eva Berg\n   quota: 1GiB\n",
            f"{F}:10:4 users: YAML syntax: `quota:` is in column 4, but the keys of the list item above start in "
            "column 5; indent it to column 5, or start a new item with `- ` in column 3",
        ),
        (
            "    name: Eva Berg\n",
            "      name: Eva Berg\n",
            f"{F}:9:7 users[0]: YAML syntax: `name:` is indented more than `email:` on line 8; keys of one mapping "
            "start in the same column (column 5), and a value with keys of its own starts on a new line after its key",
        ),
        (
            "name: Kanzlei Berg\n",
            "name: Kanzlei: Berg & Partner\n",
            f"{F}:2:14 (file): YAML syntax: the value of `name` holds `: `, which YAML reads as a new key; put the "
            'value in quotes: name: "Kanzlei: Berg & Partner"',
        ),
        (
            "name: Kanzlei Berg\n",
            "name Kanzlei Berg\n",
            f"{F}:2:1 (file): YAML syntax: `name Kanzlei Berg` is neither `key: value` nor a list item `- value`; "
            "a key needs `: ` after it",
        ),
        (
            "  primary: kanzlei-berg.de\n",
            "    primary: kanzlei-berg.de\n  mail: [berg-recht.de]\n",
            f"{F}:7:3 (file): YAML syntax: `mail:` in column 3 lines up with no key above it; keys above it start in "
            "column 1 or column 5: indent it like the keys it belongs with",
        ),
        (
            "name: Kanzlei Berg\n",
            "name: Kanzlei Berg\n- berg\n",
            f"{F}:3:1 (file): YAML syntax: a list item `- ` in column 1, where the keys of the mapping from line 1 "
            "stand; a list goes under a key, indented: `key:` on one line, `  - item` on the next",
        ),
        (
            "name: Kanzlei Berg\n",
            'name: "Kanzlei Berg\n',
            f'{F}:2:7 name: YAML syntax: the quote `"` opened here is never closed; end the value with a matching '
            '`"`',
        ),
        (
            "    role: admin\n",
            "    role: admin\n    aliases: [info@kanzlei-berg.de\n",
            f"{F}:11:14 users[0].aliases: YAML syntax: the `[` opened here is not closed with `]` (or its entries "
            "are not separated by `, `) before line 12",
        ),
        (
            "    role: admin\n",
            "    role: admin\n    aliases: @info\n",
            f"{F}:11:14 users[0].aliases: YAML syntax: a value cannot start with `@`; put the value in quotes",
        ),
    ],
    ids=[
        "key-in-the-column-of-list-items",
        "key-between-dash-and-item-keys",
        "key-deeper-than-the-one-above",
        "colon-in-a-value",
        "key-without-colon",
        "key-between-two-columns",
        "list-item-among-keys",
        "quote-never-closed",
        "bracket-never-closed",
        "value-starting-with-at",
    ],
)
def test_yaml_syntax_error_says_what_to_change_and_where(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert old in VALID
    assert problems_in_text(tmp_path, VALID.replace(old, new, 1)) == [problem]


# --- list and shared mailbox members ----------------------------------------------------------------------


def test_list_member_on_the_tenants_domain_must_be_one_of_its_addresses(tmp_path: Path) -> None:
    data = with_lists(a_list("team", address("eva.berg"), address("tim.kohel")))

    assert problems(tmp_path, data) == [
        (
            "mail.lists[0].members[1]",
            f"`{address('tim.kohel')}` is on this tenant's domain {DOMAIN} but is not one of its users, aliases, "
            f"shared mailboxes or lists; did you mean `{address('tim.kohl')}`?",
        )
    ]


def test_list_member_on_an_extra_mail_domain_is_checked_too(tmp_path: Path) -> None:
    data = with_lists(a_list("team", "eva@berg-recht.de"))
    data["domains"] = {"primary": DOMAIN, "mail": ["berg-recht.de"]}

    assert problems(tmp_path, data) == [
        (
            "mail.lists[0].members[0]",
            "`eva@berg-recht.de` is on this tenant's domain berg-recht.de but is not one of its users, aliases, "
            "shared mailboxes or lists",
        )
    ]


def test_list_members_may_be_users_aliases_shared_mailboxes_other_lists_and_outside_addresses(
    tmp_path: Path,
) -> None:
    data = with_lists(
        a_list(
            "team", address("eva.berg"), address("kanzlei"), address("post"), address("alle"), "kunde@web.de"
        ),
        a_list("alle", address("tim.kohl")),
        shared_mailboxes=[{"address": address("post"), "name": "Post", "members": [address("eva.berg")]}],
    )
    data["users"] = [user("eva.berg", role="admin", aliases=[address("kanzlei")]), user("tim.kohl")]

    assert problems(tmp_path, data) == []


def test_list_cannot_be_its_own_member(tmp_path: Path) -> None:
    data = with_lists(a_list("team", address("eva.berg"), address("team")))

    assert problems(tmp_path, data) == [
        (
            "mail.lists[0].members[1]",
            f"`{address('team')}` is the list's own address; a list cannot be its own member",
        )
    ]


def test_shared_mailbox_member_that_is_an_alias_names_the_user(tmp_path: Path) -> None:
    data = tenant(
        users=[user("eva.berg", role="admin", aliases=[address("kanzlei")])],
        mail={
            "shared_mailboxes": [
                {"address": address("post"), "name": "Post", "members": [address("kanzlei")]}
            ]
        },
    )

    assert problems(tmp_path, data) == [
        (
            "mail.shared_mailboxes[0].members[0]",
            f"`{address('kanzlei')}` is an alias of `{address('eva.berg')}`; a shared mailbox's members are users: "
            f"name `{address('eva.berg')}`",
        )
    ]


def test_shared_mailbox_member_with_a_typo_gets_a_did_you_mean(tmp_path: Path) -> None:
    data = tenant(
        mail={
            "shared_mailboxes": [
                {"address": address("post"), "name": "Post", "members": [address("eva.bergg")]}
            ]
        }
    )

    assert problems(tmp_path, data) == [
        (
            "mail.shared_mailboxes[0].members[0]",
            f"`{address('eva.bergg')}` is not a user of this tenant; did you mean `{address('eva.berg')}`?",
        )
    ]


# --- a clash names the file that brings it ----------------------------------------------------------------


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


def customer(slug: str, domain: str, created: str = "2026-01-15") -> dict[str, Any]:
    admin = {"email": f"admin@{domain}", "name": "Admin", "role": "admin"}
    return tenant(slug=slug, domains={"primary": domain}, users=[admin], created=created)


def clash_messages(folder: Path) -> list[tuple[str, str]]:
    return [(p.location.path.name, p.message) for p in load_tenants([folder]).problems]


def test_git_decides_which_file_brings_a_clash_whatever_the_created_dates(tmp_path: Path) -> None:
    # The committed tenant was created later than the new one claims to be: git's HEAD decides, not the date.
    write(tmp_path, customer("berg", "berg.de", created="2026-05-01"))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "berg.yaml")
    git(tmp_path, "commit", "-q", "-m", "berg")
    write(tmp_path, customer("tal", "berg.de", created="2026-01-01"))

    assert clash_messages(tmp_path)[:1] + clash_messages(tmp_path)[2:3] == [
        (
            "berg.yaml",
            "domain `berg.de` is also claimed by tal.yaml:8; tal.yaml brings the clash (not in git HEAD)",
        ),
        (
            "tal.yaml",
            "domain `berg.de` is also claimed by berg.yaml:8; this file brings the clash (not in git HEAD)",
        ),
    ]


def test_lookalike_brought_by_a_new_file_is_reported_in_the_new_file(tmp_path: Path) -> None:
    write(tmp_path, customer("ace-kyrillisch", "асе.de"))  # all Cyrillic: one script, valid on its own
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "ace-kyrillisch")
    write(tmp_path, customer("ace", "ace.de"))

    found = clash_messages(tmp_path)

    assert (
        "ace.yaml",
        "domain `ace.de` looks like `асе.de` (xn--80ak9a.de), claimed by ace-kyrillisch.yaml:8; this file brings the "
        "clash (not in git HEAD); a lookalike of another tenant's domain is refused",
    ) in found


def test_without_git_or_a_later_date_no_file_is_singled_out(tmp_path: Path) -> None:
    write(tmp_path, customer("berg", "berg.de"))
    write(tmp_path, customer("tal", "berg.de"))

    assert ("tal.yaml", "domain `berg.de` is also claimed by berg.yaml:8") in clash_messages(tmp_path)


def test_without_git_the_later_created_date_brings_the_clash(tmp_path: Path) -> None:
    write(tmp_path, customer("berg", "berg.de", created="2025-01-01"))
    write(tmp_path, customer("tal", "berg.de", created=dt.date(2026, 2, 1).isoformat()))

    assert (
        "tal.yaml",
        "domain `berg.de` is also claimed by berg.yaml:8; this file brings the clash (created 2026-02-01, the "
        "later date)",
    ) in clash_messages(tmp_path)
