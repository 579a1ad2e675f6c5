"""`dezky import`: write the tenant file of a customer that already exists on the services."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, NoReturn

import httpx
import typer
from rich.console import Console

from components.common.http import ApiError
from dezky.engine import runner
from dezky.engine.workspace import ROOT
from dezky.exit_codes import ExitCode
from dezky.importer.mapping import ImportedTenant, map_customer
from dezky.importer.read import CannotImport, ServiceSettings, read_customer, service_settings
from dezky.importer.render import render_imported
from dezky.operator_cli import _engine_or_exit
from dezky.tenants.loader import load_tenants
from dezky.tenants.model import SLUG_PATTERN, normalise_domain

TENANTS_DIR = Path("tenants")

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def import_customer(
    domain: Annotated[str, typer.Option(help="The customer's primary mail domain.")],
    slug: Annotated[
        str | None,
        typer.Option(help="The tenant's slug; default: from --group, or the Authentik path tenants/<slug>."),
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="An Authentik group whose members are the customer's users.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The customer's name; default: as Authentik has it.")
    ] = None,
    plan: Annotated[
        str | None, typer.Option(help="The plan; default: the smallest that holds what was found.")
    ] = None,
    stack: Annotated[str, typer.Option("--stack", "-s", help="Whose services to read.")] = "dev",
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write it; default: tenants/<slug>.yaml.")
    ] = None,
    folder: Annotated[Path, typer.Option(help="Where the tenant files are.")] = TENANTS_DIR,
    work_dir: Annotated[Path, typer.Option(hidden=True)] = ROOT,
    state_dir: Annotated[Path | None, typer.Option(hidden=True)] = None,
) -> None:
    """Read a customer from Authentik, Stalwart and OCIS and write its tenant file; nothing is written to them.

    The next up adopts every object the file declares or the program derives from it, when it is identical.
    """
    primary = _domain_or_exit(domain)
    if slug is not None and not re.fullmatch(SLUG_PATTERN, slug):
        _usage(f"--slug: `{slug}` must be a DNS label, 3 to 32 lowercase letters, digits and hyphens")
    if slug is not None:
        _refuse_existing(out_path or folder / f"{slug}.yaml")
    settings = _settings_or_exit(stack, work_dir, state_dir)
    try:
        found = read_customer(settings, domain=primary, slug=slug, group=group)
    except CannotImport as exc:
        _usage(str(exc))
    except (ApiError, httpx.HTTPError) as exc:
        err.print(f"[red]✗[/] reading the customer failed: {exc}", markup=False)
        raise typer.Exit(ExitCode.FAILURE) from None
    imported = map_customer(found, today=dt.date.today(), name=name, plan=plan)
    target = out_path or folder / f"{found.slug}.yaml"
    _refuse_existing(target)
    command = " ".join(
        ["dezky import", f"--domain {primary}", *(f"--{key} {value}" for key, value in
         (("slug", slug), ("group", group), ("plan", plan)) if value), f"--stack {stack}"]
    )  # fmt: skip
    text = render_imported(imported, command=command)
    _check_or_exit(folder, target, text)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(f"[green]✓[/] wrote {target}")
    _print_notes(imported)
    out.print(
        f"Next: check {target}, commit it and open a pull request; its review shows what the next up does.",
        markup=False,
    )


def _domain_or_exit(domain: str) -> str:
    try:
        return normalise_domain(domain)
    except ValueError as exc:
        _usage(f"--domain: {exc}")


def _refuse_existing(target: Path) -> None:
    if target.exists():
        _usage(f"{target} already exists; not overwritten (move it away, or give --out)")


def _settings_or_exit(stack: str, work_dir: Path, state_dir: Path | None) -> ServiceSettings:
    options = runner.EngineOptions(work_dir=work_dir, state_dir=state_dir, on_output=None)
    opened = _engine_or_exit(lambda: runner.open_stack(stack, options), f"opening stack {stack}")
    config = {key: value.value for key, value in opened.get_all_config().items()}
    try:
        return service_settings(config)
    except ValueError as exc:
        _usage(f"stack {stack}: {exc}")


def _check_or_exit(folder: Path, target: Path, text: str) -> None:
    """The file is checked with every other tenant file before it is written, as `dezky new` checks its own."""
    result = load_tenants([folder] if folder.is_dir() else [], pending={target: text})
    problems = [p for p in result.problems if p.location.path == target]
    if not problems:
        return
    for problem in problems:
        err.print(f"{problem.location.render_field()}: {problem.message}", markup=False)
    err.print(f"[red]✗[/] not written: {target} (what was found does not make a valid tenant file)")
    raise typer.Exit(ExitCode.INVALID_TENANT_FILES)


def _print_notes(imported: ImportedTenant) -> None:
    if not imported.notes:
        out.print("Everything found is in the file; the next up adopts it as it is.", markup=False)
        return
    out.print(
        f"{len(imported.notes)} thing(s) found that the file does not hold, or that the next up will change "
        "(also listed at the top of the file):",
        markup=False,
    )
    for note in imported.notes:
        out.print(f"  - {note}", markup=False)


def _usage(message: str) -> NoReturn:
    err.print(message, markup=False)
    raise typer.Exit(ExitCode.USAGE)


def register(app: typer.Typer) -> None:
    app.command("import")(import_customer)
