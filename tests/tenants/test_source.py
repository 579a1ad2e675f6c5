"""Reading a tenant file: what YAML is refused, and where each problem is said to be."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dezky.tenants import load_tenants
from dezky.tenants import source as source_module
from dezky.tenants.source import read_source
from tests.tenants.builders import SLUG, problems_in_text

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

F = f"{SLUG}.yaml"


def test_the_valid_text_used_below_has_no_problems(tmp_path: Path) -> None:
    assert problems_in_text(tmp_path, VALID) == []


def test_tab_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    text = VALID.replace("    name: Eva Berg", "  \tname: Eva Berg")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:9:3 (file): tab character; indent and separate with spaces"
    ]


def test_byte_that_is_not_utf8_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / F).write_bytes(VALID.replace("Eva Berg", "Eva B\xe4rg").encode("latin-1"))

    (problem,) = load_tenants([tmp_path]).problems

    assert problem.render(relative_to=tmp_path) == f"{F}:9:16 (file): not UTF-8: byte 0xe4 cannot be decoded"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / F).write_bytes(b"\xef\xbb\xbf" + VALID.encode())

    assert load_tenants([tmp_path]).ok


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# yaml-language-server: $schema=../schema/tenant.schema.json\n"]
)
def test_empty_or_comment_only_file_is_refused_as_empty(tmp_path: Path, text: str) -> None:
    assert problems_in_text(tmp_path, text) == [
        f"{F}:1:1 (file): the file is empty; a tenant file is a mapping"
    ]


@pytest.mark.parametrize(
    ("text", "where", "kind"),
    [("- slug: x\n", "1:1", "a list"), ("just words\n", "1:1", "text"), ("---\n", "2:1", "an empty value")],
)
def test_file_that_is_not_a_mapping_says_what_it_is(tmp_path: Path, text: str, where: str, kind: str) -> None:
    assert problems_in_text(tmp_path, text) == [
        f"{F}:{where} (file): must be a mapping of `key: value` lines, not {kind}"
    ]


def test_yaml_syntax_error_says_where_the_parser_stopped(tmp_path: Path) -> None:
    text = VALID.replace("  primary: kanzlei-berg.de", "  primary: kanzlei-berg.de\n bad: indent")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:7:2 (file): YAML syntax: `bad:` in column 2 lines up with no key above it; keys above it start in "
        "column 1 or column 3: indent it like the keys it belongs with",
    ]


def test_second_document_is_refused(tmp_path: Path) -> None:
    assert problems_in_text(tmp_path, VALID + "---\nslug: other\n") == [
        f"{F}:11:1 (file): YAML syntax: a tenant file is one document; found a second `---`"
    ]


def test_duplicate_key_names_the_line_it_was_first_defined_on(tmp_path: Path) -> None:
    text = VALID.replace("    role: admin", "    role: admin\n    name: Eva B.")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:11:5 users[0].name: duplicate key `name` (first defined on line 9)"
    ]


def test_anchor_is_refused_where_it_stands_even_when_no_alias_uses_it(tmp_path: Path) -> None:
    text = VALID.replace("name: Eva Berg", "name: &eva Eva Berg")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:9:11 users[0].name: anchors (&) and aliases (*) are not allowed in tenant files; write values out"
    ]


def test_anchor_on_a_key_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("plan: business", "&p plan: business")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:4:1 plan: anchors (&) and aliases (*) are not allowed in tenant files; write values out"
    ]


def test_billion_laughs_is_refused_without_expanding_it(tmp_path: Path) -> None:
    levels = [f"l0: &l0 [{', '.join(['lol'] * 10)}]"]
    levels += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 12)]  # 10^12 strings
    (tmp_path / F).write_text(VALID + "\n".join(levels) + "\n", encoding="utf-8")

    started = time.perf_counter()
    (problem,) = load_tenants([tmp_path]).problems
    elapsed = time.perf_counter() - started

    assert problem.message.startswith("anchors (&) and aliases (*) are not allowed")
    assert (problem.location.line, problem.location.field) == (11, ("l0",))
    assert elapsed < 5  # expanding even one level of the bomb in full would take far longer


@pytest.mark.parametrize("merge", ["<<: {role: member}", "<<: [{role: member}]"])
def test_merge_key_is_refused(tmp_path: Path, merge: str) -> None:
    text = VALID.replace("    role: admin", f"    {merge}")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:10:5 users[0]: merge keys (<<) are not allowed in tenant files"
    ]


def test_quoted_merge_key_is_only_an_unknown_key(tmp_path: Path) -> None:
    text = VALID.replace("    role: admin", '    "<<": x\n    role: admin')

    assert problems_in_text(tmp_path, text) == [
        f"{F}:10:5 users[0].<<: unknown key `<<`; known keys: email, name, role, status, aliases, quota, purge, "
        "renamed_from"
    ]


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ('!!python/object/apply:os.system ["true"]', "!!python/object/apply:os.system"),
        ("!!python/name:os.system x", "!!python/name:os.system"),
        ("!!set {a, b}", "!!set"),
        ("!custom x", "!custom"),
    ],
)
def test_unsafe_and_unknown_tags_are_refused(tmp_path: Path, value: str, tag: str) -> None:
    text = VALID.replace("name: Kanzlei Berg", f"name: {value}")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:2:7 name: cannot read this value: the tag `{tag}` is not allowed in tenant files"
    ]


def test_explicit_standard_tags_are_read(tmp_path: Path) -> None:
    text = VALID.replace("name: Kanzlei Berg", "name: !!str 1234").replace(
        "plan: business", "plan: ! business"
    )

    (tmp_path / F).write_text(text, encoding="utf-8")

    (loaded,) = load_tenants([tmp_path]).tenants

    assert (loaded.tenant.name, loaded.tenant.plan) == ("1234", "business")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # A date is read as text, and the model says what is wrong with it, among the file's other problems.
        ("2026-13-01", "`2026-13-01` is not a date: month must be in 1..12"),
        (
            "9" * 5000,
            "cannot read this value as int: Exceeds the limit (4300 digits) for integer string conversion",
        ),
    ],
    ids=["impossible-date", "huge-integer"],
)
def test_unreadable_plain_values_are_problems_not_crashes(tmp_path: Path, value: str, message: str) -> None:
    text = VALID.replace("created: 2026-01-15", f"created: {value}")

    (problem,) = problems_in_text(tmp_path, text)

    assert problem.startswith(f"{F}:3:10 created: {message}")


def test_plain_values_have_their_yaml_types(tmp_path: Path) -> None:
    path = tmp_path / F
    path.write_text(
        "a: true\nb: 12\nc: ~\nd: 2026-01-15\ne: '12'\nf: 1.5\ng: ''\nh: 10GiB\n", encoding="utf-8"
    )

    data = read_source(path).data

    assert [type(value).__name__ for value in data.values()] == [
        "bool",
        "int",
        "NoneType",
        "date",
        "str",
        "float",
        "str",
        "str",
    ]


def test_non_string_keys_are_refused(tmp_path: Path) -> None:
    assert problems_in_text(tmp_path, VALID + "[a, b]: c\n") == [
        f"{F}:11:1 (file): mapping keys must be plain strings"
    ]


def test_file_with_more_values_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "MAX_NODES", 20)

    (problem,) = problems_in_text(tmp_path, VALID + "extra: [" + ", ".join(["x"] * 20) + "]\n")

    assert problem.endswith("more than 20 values; a tenant file is not that large")


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    (problem,) = load_tenants([tmp_path / "gone.yaml"]).problems

    assert (problem.location.line, problem.message) == (1, "no such file")


def test_a_valid_file_knows_where_each_field_stands(tmp_path: Path) -> None:
    path = tmp_path / F
    path.write_text(VALID, encoding="utf-8")

    document = read_source(path)

    assert (document.locate(("users", 0, "email")).line, document.locate(("users", 0, "email")).column) == (
        8,
        12,
    )
    assert (document.locate(("users",)).line, document.locate(("users",)).column) == (7, 1)
    # A field the file leaves out is placed at its nearest ancestor that the file spells out.
    missing = document.locate(("domains", "platform_subdomain"))
    assert (missing.line, missing.column, missing.field) == (5, 1, ("domains", "platform_subdomain"))
    assert document.locate(("plan",), at_key=True).column == 1


def test_positions_point_at_values_and_at_unknown_keys(tmp_path: Path) -> None:
    text = VALID.replace("plan: business", "plan: gold\nsulg: x")

    assert problems_in_text(tmp_path, text) == [
        f"{F}:4:7 plan: unknown plan `gold`; choose one of business, enterprise, starter",
        f"{F}:5:1 sulg: unknown key `sulg`; did you mean `slug`?",
    ]
