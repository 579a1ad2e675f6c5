"""`dezky import`'s refusals that come before any service is asked, with their exact messages."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dezky.cli import app


def dezky_import(tmp_path: Path, *args: str):
    # A work dir with no project in it: a refusal that reached for the stack would fail differently.
    options = ("--folder", str(tmp_path), "--work-dir", str(tmp_path / "no-project"))
    return CliRunner().invoke(app, ["import", *args, *options])


def test_a_domain_written_as_a_web_address_is_a_usage_error(tmp_path: Path):
    refused = dezky_import(tmp_path, "--domain", "https://linde-apotheke.de/")

    assert refused.exit_code == 2
    assert refused.output == (
        "--domain: `https://linde-apotheke.de/` is a web address (URL); write the domain alone: "
        "linde-apotheke.de\n"
    )


def test_a_slug_that_is_not_a_dns_label_is_a_usage_error(tmp_path: Path):
    refused = dezky_import(tmp_path, "--domain", "linde-apotheke.de", "--slug", "../linde")

    assert refused.exit_code == 2
    assert refused.output == (
        "--slug: `../linde` must be a DNS label, 3 to 32 lowercase letters, digits and hyphens\n"
    )


def test_an_existing_tenant_file_is_never_overwritten(tmp_path: Path):
    existing = tmp_path / "linde.yaml"
    existing.write_text("# the operator's\n", encoding="utf-8")

    refused = dezky_import(tmp_path, "--domain", "linde-apotheke.de", "--slug", "linde")

    assert refused.exit_code == 2
    assert refused.output == f"{existing} already exists; not overwritten (move it away, or give --out)\n"
    assert existing.read_text(encoding="utf-8") == "# the operator's\n"
