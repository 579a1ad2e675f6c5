"""The `dezky` command line: validate, list, new, schema and their help."""

from __future__ import annotations

import datetime as dt
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import Result

from dezky.exit_codes import ExitCode
from dezky.tenants import Tenant, load_tenants
from dezky.tenants.schema import SCHEMA_COMMENT
from tests.tenants.builders import tenant, write
from tests.tenants.conftest import RunDezky

COMMANDS = ["validate", "list", "new", "schema"]


def an_estate(folder: Path) -> Path:
    """Three valid tenants, one per status; no slug appears in another tenant's name."""
    folder.mkdir(exist_ok=True)
    for slug, name, fields in [
        ("berg", "Kanzlei am Hang", {}),
        ("tal", "Bäckerei Sonne", {"status": "suspended"}),
        ("see", "Seeblick Hotel", {"status": "deleted", "deleted_at": "2026-04-01"}),
    ]:
        write(folder, tenant(slug=slug, name=name, domains={"primary": f"{slug}.de"}, users=[], **fields))
    return folder


# --- help ------------------------------------------------------------------------------------------------


def test_dezky_without_a_command_shows_its_commands(dezky: RunDezky) -> None:
    result = dezky()

    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", [[], *([command] for command in COMMANDS)], ids=["dezky", *COMMANDS])
def test_help_is_there_for_every_command(dezky: RunDezky, command: list[str]) -> None:
    result = dezky(*command, "--help")

    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert "Traceback" not in result.output


# --- validate --------------------------------------------------------------------------------------------


def test_validate_passes_the_example_tenants_with_a_one_line_summary(
    in_repo_root: Path, dezky: RunDezky
) -> None:
    result = dezky("validate")

    expected = load_tenants([in_repo_root / "tenants"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"✓ {expected.files} tenant file(s) valid: all {expected.files} / active 2 / suspended 1 / deleted 1"
    ]


def test_validate_counts_tenants_per_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dezky: RunDezky
) -> None:
    an_estate(tmp_path / "tenants")
    monkeypatch.chdir(tmp_path)

    result = dezky("validate", "tenants")

    assert result.exit_code == 0
    assert result.stdout == "✓ 3 tenant file(s) valid: all 3 / active 1 / suspended 1 / deleted 1\n"


def test_validate_with_no_tenant_files_fails(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky("validate", tmp_path)

    assert result.exit_code == 2
    assert result.stderr == "no tenant files found\n"


def test_validate_names_a_file_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dezky: RunDezky
) -> None:
    monkeypatch.chdir(tmp_path)

    result = dezky("validate", "missing.yaml")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "missing.yaml:1:1 (file): no such file"


def test_validate_prints_messages_as_written_without_markup_or_emoji(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dezky: RunDezky
) -> None:
    data = tenant(slug="berg", domains={"primary": "berg.de"}, users=[])
    data[":thumbs_up: [bold]x[/bold]"] = 1
    write(tmp_path, data)
    monkeypatch.chdir(tmp_path)

    result = dezky("validate", ".")

    assert "unknown key `:thumbs_up: [bold]x[/bold]`" in result.stderr


# --- list ------------------------------------------------------------------------------------------------


def listed_slugs(output: str) -> list[str]:
    """The slug column of the table `dezky list` prints."""
    return [line.split("│")[1].strip() for line in output.splitlines() if line.startswith("│")]


def test_list_shows_every_tenant_and_the_counts_per_status(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky("list", "--folder", an_estate(tmp_path / "tenants"))

    assert result.exit_code == 0
    assert listed_slugs(result.stdout) == ["berg", "see", "tal"]
    assert result.stdout.splitlines()[-1] == "all 3 / active 1 / suspended 1 / deleted 1"


@pytest.mark.parametrize(("status", "slug"), [("active", "berg"), ("suspended", "tal"), ("deleted", "see")])
def test_list_filters_by_status(tmp_path: Path, dezky: RunDezky, status: str, slug: str) -> None:
    result = dezky("list", "--folder", an_estate(tmp_path / "tenants"), "--status", status)

    assert listed_slugs(result.stdout) == [slug]


@pytest.mark.parametrize(
    ("needle", "slugs"),
    [("BÄCKEREI", ["tal"]), ("berg", ["berg"]), ("e", ["berg", "see", "tal"]), ("nobody", [])],
)
def test_list_searches_slug_and_name_ignoring_case(
    tmp_path: Path, dezky: RunDezky, needle: str, slugs: list[str]
) -> None:
    result = dezky("list", "--folder", an_estate(tmp_path / "tenants"), "--search", needle)

    assert listed_slugs(result.stdout) == slugs


def test_list_shows_domains_and_plan(tmp_path: Path, dezky: RunDezky) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    write(folder, tenant(slug="berg", domains={"primary": "berg.de", "mail": ["berg-recht.de"]}, users=[]))

    row = next(line for line in dezky("list", "--folder", folder).stdout.splitlines() if "berg.de" in line)

    assert [cell.strip() for cell in row.split("│")[1:-1]] == [
        "berg",
        "Kanzlei Berg & Partner",
        "active",
        "business",
        "berg.de, berg-recht.de",
        "2026-01-15",
    ]


def test_list_refuses_when_a_tenant_file_is_broken(tmp_path: Path, dezky: RunDezky) -> None:
    folder = an_estate(tmp_path / "tenants")
    (folder / "kaputt.yaml").write_text("slug: kaputt\n", encoding="utf-8")

    result = dezky("list", "--folder", folder)

    assert result.exit_code == ExitCode.INVALID_TENANT_FILES
    assert "fix the tenant files first (dezky validate)" in result.stderr


def test_list_rejects_an_unknown_status(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky("list", "--folder", an_estate(tmp_path / "tenants"), "--status", "paused")

    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- new -------------------------------------------------------------------------------------------------


def dezky_new(dezky: RunDezky, folder: Path, slug: str, *options: str, **values: str) -> Result:
    """`dezky new SLUG` into `folder`; `--name`, `--domain` and `--plan` default to a small valid tenant."""
    defaults = {"name": "Kanzlei Berg", "domain": "berg.de", "plan": "starter"} | values
    named = [part for key, value in defaults.items() for part in (f"--{key}", value)]
    return dezky("new", slug, *named, *options, "--folder", folder)


def test_new_writes_a_valid_tenant_file(tmp_path: Path, dezky: RunDezky) -> None:
    folder = tmp_path / "tenants"

    result = dezky_new(dezky, folder, "berg", name='Kanzlei "Berg" & Partner')

    assert result.exit_code == 0, result.output
    assert (folder / "berg.yaml").read_text(encoding="utf-8").splitlines()[0] == SCHEMA_COMMENT
    loaded = load_tenants([folder])
    assert loaded.problems == []
    (item,) = loaded.tenants
    assert item.tenant.name == 'Kanzlei "Berg" & Partner'
    assert (item.tenant.plan, item.tenant.created) == ("starter", dt.date.today())
    assert [(u.email, u.role.value) for u in item.tenant.users] == [("admin@berg.de", "admin")]


def test_new_with_an_internationalised_domain_writes_a_valid_file(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky_new(dezky, tmp_path, "mueller", domain="müller-bäckerei.de", plan="business")

    assert result.exit_code == 0, result.output
    (item,) = load_tenants([tmp_path]).tenants
    assert item.tenant.users[0].email == "admin@xn--mller-bckerei-hfb76a.de"


def test_new_refuses_to_overwrite_an_existing_file(tmp_path: Path, dezky: RunDezky) -> None:
    existing = write(tmp_path, tenant(slug="berg", domains={"primary": "berg.de"}, users=[]))
    before = existing.read_bytes()

    result = dezky_new(dezky, tmp_path, "berg", domain="other.de")

    assert result.exit_code == 2
    assert "already exists; edit it instead" in result.stderr
    assert existing.read_bytes() == before


@pytest.mark.parametrize("slug", ["aaa-first", "zzz-last"], ids=["sorting-before", "sorting-after"])
def test_new_refuses_a_domain_claimed_by_another_tenant(tmp_path: Path, dezky: RunDezky, slug: str) -> None:
    write(tmp_path, tenant(slug="berg", domains={"primary": "berg.de"}, users=[]))

    result = dezky_new(dezky, tmp_path, slug, domain="BERG.de")

    assert result.exit_code == ExitCode.INVALID_TENANT_FILES
    assert "domain `berg.de` is also claimed by berg.yaml:" in result.stderr
    assert f"not written: {tmp_path / slug}.yaml" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["berg.yaml"]


def test_new_refuses_an_internationalised_domain_claimed_in_punycode(tmp_path: Path, dezky: RunDezky) -> None:
    write(tmp_path, tenant(slug="mueller", domains={"primary": "xn--mller-bckerei-hfb76a.de"}, users=[]))

    result = dezky_new(dezky, tmp_path, "baecker", domain="müller-bäckerei.de")

    assert result.exit_code == ExitCode.INVALID_TENANT_FILES
    assert "domain `xn--mller-bckerei-hfb76a.de` is also claimed by mueller.yaml:" in result.stderr
    assert not (tmp_path / "baecker.yaml").exists()


@pytest.mark.parametrize("slug", ["../escape", "Berg", "b"])
def test_new_refuses_a_slug_that_is_not_a_dns_label_before_writing_anything(
    tmp_path: Path, dezky: RunDezky, slug: str
) -> None:
    result = dezky_new(dezky, tmp_path / "tenants", slug)

    assert result.exit_code == 2
    assert f"slug `{slug}`: must be a DNS label" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("slug", "options", "values", "message"),
    [
        ("webmail", [], {}, "`webmail` is reserved for the platform"),
        ("berg", [], {"plan": "gold"}, "unknown plan `gold`"),
        (
            "berg",
            ["--admin", "eva@gmail.com"],
            {},
            "`eva@gmail.com` is not in one of the tenant's mail domains",
        ),
    ],
    ids=["reserved-slug", "unknown-plan", "admin-outside-domain"],
)
def test_new_refuses_a_tenant_that_would_not_validate(
    tmp_path: Path, dezky: RunDezky, slug: str, options: list[str], values: dict[str, str], message: str
) -> None:
    result = dezky_new(dezky, tmp_path, slug, *options, **values)

    assert result.exit_code == ExitCode.INVALID_TENANT_FILES
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_invalid_domain(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky_new(dezky, tmp_path, "berg", domain="berg_recht.de")

    assert result.exit_code == 2
    assert result.stderr.startswith("--domain: `berg_recht.de` is not a valid domain name")
    assert list(tmp_path.iterdir()) == []


def test_new_writes_even_when_another_tenant_file_is_broken(tmp_path: Path, dezky: RunDezky) -> None:
    (tmp_path / "kaputt.yaml").write_text("slug: kaputt\n", encoding="utf-8")

    result = dezky_new(dezky, tmp_path, "berg")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "berg.yaml").exists()


@pytest.mark.parametrize(
    ("values", "options", "problem"),
    [
        ({"plan": "gold"}, [], "--plan: unknown plan `gold`; choose one of business, enterprise, starter"),
        ({"plan": "Busines"}, [], "--plan: unknown plan `Busines`; did you mean `business`?"),
        (
            {},
            ["--admin", "eva@gmail.com"],
            "--admin: `eva@gmail.com` is not in one of the tenant's mail domains (berg.de)",
        ),
    ],
    ids=["unknown-plan", "misspelt-plan", "admin-outside-domain"],
)
def test_new_names_the_option_at_fault_not_a_line_of_a_file_it_did_not_write(
    tmp_path: Path, dezky: RunDezky, values: dict[str, str], options: list[str], problem: str
) -> None:
    result = dezky_new(dezky, tmp_path, "berg", *options, **values)

    assert result.exit_code == ExitCode.INVALID_TENANT_FILES
    assert result.stderr == f"{problem}\n✗ not written: {tmp_path / 'berg.yaml'}\n"
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_domain_given_as_a_url(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky_new(dezky, tmp_path, "berg", domain="https://berg.de/")

    assert result.exit_code == 2
    assert (
        result.stderr
        == "--domain: `https://berg.de/` is a web address (URL); write the domain alone: berg.de\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_domain_that_an_existing_tenants_lookalike_passes_for(
    tmp_path: Path, dezky: RunDezky
) -> None:
    write(
        tmp_path, tenant(slug="ace-kyrillisch", domains={"primary": "асе.de"}, users=[])
    )  # valid on its own

    result = dezky_new(dezky, tmp_path, "ace", domain="ace.de")

    assert result.exit_code == ExitCode.INVALID_TENANT_FILES
    assert result.stderr.splitlines() == [
        "--domain: domain `ace.de` looks like `асе.de` (xn--80ak9a.de), claimed by ace-kyrillisch.yaml:8; a "
        "lookalike of another tenant's domain is refused",
        f"✗ not written: {tmp_path / 'ace.yaml'}",
    ]


def uncomment_examples(text: str) -> str:
    """The file with every example line in use: `# ` removed where it stands before a key or a `- ` item."""
    return re.sub(r"^( *)# (?= *(?:[a-z_]+:|- ))", r"\1", text, flags=re.MULTILINE)


def test_new_writes_a_commented_example_of_every_section_and_key(tmp_path: Path, dezky: RunDezky) -> None:
    result = dezky_new(dezky, tmp_path, "berg", plan="enterprise")
    text = (tmp_path / "berg.yaml").read_text(encoding="utf-8")

    assert result.exit_code == 0, result.output
    for key in sorted(every_key(Tenant) - {"deleted_at"}):  # deleted_at is told in prose: it needs `deleted`
        assert re.search(rf"^[ #]*(- )?{key}:", text, flags=re.MULTILINE), key
    assert "deleted_at:" in text


def test_the_new_files_examples_validate_when_all_are_put_in_use(tmp_path: Path, dezky: RunDezky) -> None:
    dezky_new(dezky, tmp_path / "written", "berg", plan="enterprise")
    (tmp_path / "berg.yaml").write_text(
        uncomment_examples((tmp_path / "written" / "berg.yaml").read_text(encoding="utf-8")), encoding="utf-8"
    )

    loaded = load_tenants([tmp_path / "berg.yaml"])

    assert loaded.problems == []
    (item,) = loaded.tenants
    tenant_ = item.tenant
    assert [
        len(x)
        for x in (tenant_.users, tenant_.mail.shared_mailboxes, tenant_.mail.lists, tenant_.files.spaces)
    ] == [
        2,
        1,
        1,
        1,
    ]
    assert (tenant_.domains.mail, tenant_.mail.catch_all, tenant_.branding is not None) == (
        ("berg-mail.de",),
        "admin@berg.de",
        True,
    )


def every_key(model: type[BaseModel]) -> set[str]:
    keys = set(model.model_fields)
    for info in model.model_fields.values():
        for inner in [info.annotation, *typing.get_args(info.annotation)]:
            for candidate in [inner, *typing.get_args(inner)]:
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    keys |= every_key(candidate)
    return keys
