"""`dezky`: the operator's command line for tenant files."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dezky.tenants import PLANS, load_tenants
from dezky.tenants.loader import LoadResult
from dezky.tenants.model import SLUG_PATTERN, TenantStatus, normalise_domain
from dezky.tenants.schema import SCHEMA_PATH, render_schema
from dezky.tenants.writer import render_new_tenant

TENANTS_DIR = Path("tenants")

app = typer.Typer(
    help="Dezky tenants-as-code: validate, list and create tenant files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# No emoji codes: a message quoting a file's `:thumbs_up:` must print it as written.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Tenant files or folders; default: every file in tenants/.")
    ] = None,
) -> None:
    """Check tenant files and report every problem as file:line:column field: message."""
    result = load_tenants(paths or [TENANTS_DIR])
    if result.files == 0:
        err.print("no tenant files found")
        raise typer.Exit(2)
    for problem in result.problems:
        err.print(problem.render(relative_to=Path.cwd()), markup=False)
    if not result.ok:
        files = len({p.location.path for p in result.problems})
        err.print(f"[red]✗[/] {len(result.problems)} problem(s) in {files} of {result.files} file(s)")
        raise typer.Exit(2)
    out.print(f"[green]✓[/] {result.files} tenant file(s) valid: {_status_summary(result)}")


@app.command("list")
def list_tenants(
    status: Annotated[TenantStatus | None, typer.Option(help="Only tenants with this status.")] = None,
    search: Annotated[str | None, typer.Option(help="Only tenants whose slug or name contains this.")] = None,
    folder: Annotated[Path, typer.Option(help="Where the tenant files are.")] = TENANTS_DIR,
) -> None:
    """A table of tenants: slug, name, status, plan, domains, created; with counts per status."""
    result = _load_or_exit([folder])
    table = Table("slug", "name", "status", "plan", "domains", "created", title="Tenants")
    needle = (search or "").casefold()
    for item in result.tenants:
        tenant = item.tenant
        if status is not None and tenant.status is not status:
            continue
        if needle and needle not in tenant.slug and needle not in tenant.name.casefold():
            continue
        table.add_row(
            tenant.slug,
            tenant.name,
            tenant.status.value,
            tenant.plan,
            ", ".join(tenant.domains.mail_domains),
            tenant.created.isoformat(),
        )
    out.print(table)
    out.print(_status_summary(result))


@app.command()
def new(
    slug: Annotated[str, typer.Argument(help="The tenant's slug; also its file name.")],
    name: Annotated[str, typer.Option(help="The customer's name.")],
    domain: Annotated[str, typer.Option(help="The primary domain.")],
    plan: Annotated[str, typer.Option(help=f"One of: {', '.join(sorted(PLANS))}.")],
    admin: Annotated[
        str | None, typer.Option(help="First admin's mail address (default: admin@DOMAIN).")
    ] = None,
    folder: Annotated[Path, typer.Option(help="Where the tenant files are.")] = TENANTS_DIR,
) -> None:
    """Write a new, valid tenant file; refuses to overwrite an existing one."""
    if not re.fullmatch(SLUG_PATTERN, slug):  # before it becomes a path: `../x` must not escape the folder
        err.print(
            f"slug `{slug}`: must be a DNS label, 3 to 32 lowercase letters, digits and hyphens", markup=False
        )
        raise typer.Exit(2)
    target = folder / f"{slug}.yaml"
    if target.exists():
        err.print(f"{target} already exists; edit it instead")
        raise typer.Exit(2)
    try:
        ascii_domain = normalise_domain(domain)
    except ValueError as exc:
        err.print(f"--domain: {exc}")
        raise typer.Exit(2) from None
    text = render_new_tenant(
        slug=slug,
        name=name,
        domain=domain.strip(),
        plan=plan,
        admin_email=admin or f"admin@{ascii_domain}",
        created=dt.date.today(),
    )
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    # Check the new file together with every other so a clash with an existing tenant is caught now.
    result = load_tenants([folder])
    problems = [p for p in result.problems if p.location.path == target]
    if problems:
        target.unlink()
        for problem in problems:
            err.print(problem.render(relative_to=Path.cwd()), markup=False)
        err.print(f"[red]✗[/] not written: {target}")
        raise typer.Exit(2)
    out.print(f"[green]✓[/] wrote {target}")


@app.command()
def schema(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write it; - for stdout.")
    ] = SCHEMA_PATH,
) -> None:
    """Write the JSON Schema of the tenant file (editors validate against it)."""
    text = json.dumps(render_schema(), indent=2, sort_keys=True) + "\n"
    if str(output) == "-":
        out.print(text, markup=False, end="")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    out.print(f"[green]✓[/] wrote {output}")


def _load_or_exit(paths: list[Path]) -> LoadResult:
    result = load_tenants(paths)
    if not result.ok:
        for problem in result.problems:
            err.print(problem.render(relative_to=Path.cwd()), markup=False)
        err.print("[red]✗[/] fix the tenant files first (dezky validate)")
        raise typer.Exit(2)
    return result


def _status_summary(result: LoadResult) -> str:
    counts = Counter(item.tenant.status.value for item in result.tenants)
    parts = [f"all {len(result.tenants)}"] + [
        f"{status.value} {counts[status.value]}" for status in TenantStatus
    ]
    return " / ".join(parts)


if __name__ == "__main__":  # pragma: no cover
    app()


def _register_engine_commands() -> None:
    from dezky.engine.cli import register

    register(app)
    __import__("dezky.ops_cli", fromlist=["register"]).register(app)  # restore-drill
    __import__("dezky.operator_cli", fromlist=["register"]).register(app)  # review, suspend, status, users


_register_engine_commands()
