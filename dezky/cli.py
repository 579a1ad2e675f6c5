"""`dezky`: the operator's command line for tenant files."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dezky import sandbox
from dezky.engine.workspace import ROOT
from dezky.exit_codes import EXIT_CODE_TABLE, ExitCode
from dezky.pulumi_cli import PulumiNotBuilt, run_pulumi
from dezky.tenants import PLANS, load_tenants
from dezky.tenants.loader import LoadResult
from dezky.tenants.model import SLUG_PATTERN, TenantStatus, normalise_domain
from dezky.tenants.schema import SCHEMA_PATH, render_schema
from dezky.tenants.writer import new_tenant_problems, render_new_tenant

TENANTS_DIR = Path("tenants")

app = typer.Typer(
    help="Dezky tenants-as-code: validate, list and create tenant files; preview, apply and operate them.",
    no_args_is_help=True,
    # `--install-completion` / `--show-completion` for bash, zsh, fish and PowerShell (typer's own).
    add_completion=True,
    pretty_exceptions_enable=False,
)
# No emoji codes: a message quoting a file's `:thumbs_up:` must print it as written.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class ListFormat(StrEnum):
    TERMINAL = "terminal"
    JSON = "json"


def version_text() -> str:
    return f"dezky {metadata.version('dezky-tenants')} (pulumi SDK {metadata.version('pulumi')})"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(ExitCode.OK.value)


# The exit-status table goes under `dezky --help`; `\b` keeps click from rewrapping it into one paragraph.
@app.callback(epilog="\b\n" + EXIT_CODE_TABLE)
def main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    """The options before any command."""


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
        raise typer.Exit(ExitCode.USAGE.value)
    for problem in result.problems:
        err.print(problem.render(relative_to=Path.cwd()), markup=False)
    if not result.ok:
        files = len({p.location.path for p in result.problems})
        err.print(f"[red]✗[/] {len(result.problems)} problem(s) in {files} of {result.files} file(s)")
        # A path named on the command line that is not there is a usage error, not an invalid file.
        missing = any(not path.exists() for path in paths or [])
        raise typer.Exit((ExitCode.USAGE if missing else ExitCode.INVALID_TENANT_FILES).value)
    out.print(f"[green]✓[/] {result.files} tenant file(s) valid: {_status_summary(result)}")


@app.command("list")
def list_tenants(
    status: Annotated[TenantStatus | None, typer.Option(help="Only tenants with this status.")] = None,
    search: Annotated[str | None, typer.Option(help="Only tenants whose slug or name contains this.")] = None,
    folder: Annotated[Path, typer.Option(help="Where the tenant files are.")] = TENANTS_DIR,
    output_format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="terminal: a table; json: for tools.")
    ] = ListFormat.TERMINAL,
) -> None:
    """A table of tenants: slug, name, status, plan, domains, created; with counts per status."""
    result = _load_or_exit([folder])
    needle = (search or "").casefold()
    rows = [
        {
            "slug": tenant.slug,
            "name": tenant.name,
            "status": tenant.status.value,
            "plan": tenant.plan,
            "domains": list(tenant.domains.mail_domains),
            "created": tenant.created.isoformat(),
        }
        for tenant in (item.tenant for item in result.tenants)
        if (status is None or tenant.status is status)
        and (not needle or needle in tenant.slug or needle in tenant.name.casefold())
    ]
    if output_format is ListFormat.JSON:
        # Counts are of every tenant in the folder, as the table's summary line; `tenants` is filtered.
        counts = Counter(item.tenant.status.value for item in result.tenants)
        summary = {"all": len(result.tenants), **{s.value: counts[s.value] for s in TenantStatus}}
        typer.echo(json.dumps({"tenants": rows, "counts": summary}, indent=2, ensure_ascii=False))
        return
    table = Table("slug", "name", "status", "plan", "domains", "created", title="Tenants")
    for row in rows:
        table.add_row(*(", ".join(value) if isinstance(value, list) else value for value in row.values()))
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
        raise typer.Exit(ExitCode.USAGE.value)
    target = folder / f"{slug}.yaml"
    if target.exists():
        err.print(f"{target} already exists; edit it instead")
        raise typer.Exit(ExitCode.USAGE.value)
    try:
        ascii_domain = normalise_domain(domain)
    except ValueError as exc:
        err.print(f"--domain: {exc}")
        raise typer.Exit(ExitCode.USAGE.value) from None
    text = render_new_tenant(
        slug=slug,
        name=name,
        domain=domain.strip(),
        plan=plan,
        admin_email=admin or f"admin@{ascii_domain}",
        created=dt.date.today(),
    )
    # Check the new file with every other before it is written: a clash is caught now, and no message points
    # at a line of a file that is not there.
    problems = new_tenant_problems(folder, target, text)
    if problems:
        for problem in problems:
            err.print(problem, markup=False)
        err.print(f"[red]✗[/] not written: {target}")
        raise typer.Exit(ExitCode.INVALID_TENANT_FILES.value)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
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
        raise typer.Exit(ExitCode.INVALID_TENANT_FILES.value)
    return result


def _status_summary(result: LoadResult) -> str:
    counts = Counter(item.tenant.status.value for item in result.tenants)
    parts = [f"all {len(result.tenants)}"] + [
        f"{status.value} {counts[status.value]}" for status in TenantStatus
    ]
    return " / ".join(parts)


# -- dezky pulumi ----------------------------------------------------------------------------------------


@app.command(
    "pulumi",
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
    },
    add_help_option=False,  # `dezky pulumi --help` is pulumi's help
)
def pulumi_command(
    ctx: typer.Context,
    work_dir: Annotated[Path, typer.Option(hidden=True)] = ROOT,
    state_dir: Annotated[Path | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run the real Pulumi CLI (.tools/bin/pulumi) on this project's backend, home and passphrase.

    \b
    dezky pulumi stack output --stack dev
    dezky pulumi stack history --stack dev
    dezky pulumi state unprotect --stack dev URN
    """
    try:
        code = run_pulumi(ctx.args, work_dir=work_dir, state_dir=state_dir)
    except PulumiNotBuilt as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(ExitCode.USAGE.value) from None
    raise typer.Exit(code)


# -- dezky sandbox ---------------------------------------------------------------------------------------

sandbox_app = typer.Typer(
    help="Local services on the dev stack's ports and credentials: PowerDNS (real) and the Stalwart, "
    "Authentik and OCIS emulators, in the background.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")

SandboxDirOption = Annotated[Path, typer.Option("--dir", hidden=True)]


@sandbox_app.command("up")
def sandbox_up(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Whose service settings to serve.")] = "dev",
    fresh: Annotated[bool, typer.Option(help="Start with empty services (forget what they held).")] = False,
    directory: SandboxDirOption = sandbox.SANDBOX_DIR,
    work_dir: Annotated[Path, typer.Option(hidden=True)] = ROOT,
    state_dir: Annotated[Path | None, typer.Option(hidden=True)] = None,
) -> None:
    """Start the services in the background and wait until each one answers."""
    try:
        running = sandbox.pid_of(directory)  # before the config is read: that takes seconds
        if running is not None:
            raise sandbox.SandboxError(f"already running (pid {running}); `dezky sandbox down` stops it")
        services = sandbox.read_services(stack, work_dir, state_dir)
        ready = sandbox.up(services, directory, fresh=fresh)
    except sandbox.SandboxError as exc:
        err.print(f"[red]✗[/] {exc}")
        raise typer.Exit(ExitCode.FAILURE.value) from None
    _print_sandbox(ready)
    out.print(f"Next: dezky up --stack {stack}; stop it with `dezky sandbox down`.", markup=False)


@sandbox_app.command("down")
def sandbox_down(directory: SandboxDirOption = sandbox.SANDBOX_DIR) -> None:
    """Stop the services and every process they started."""
    try:
        pid = sandbox.down(directory)
    except sandbox.SandboxError as exc:
        err.print(f"[red]✗[/] {exc}")
        raise typer.Exit(ExitCode.FAILURE.value) from None
    out.print("sandbox not running" if pid is None else f"[green]✓[/] sandbox stopped (pid {pid})")


@sandbox_app.command("status")
def sandbox_status(directory: SandboxDirOption = sandbox.SANDBOX_DIR) -> None:
    """Whether the sandbox runs, and where each service answers; exit 1 when it does not run."""
    ready = sandbox.status(directory)
    if ready is None:
        out.print("sandbox not running (start it with `dezky sandbox up`)", markup=False)
        raise typer.Exit(ExitCode.FAILURE.value)
    _print_sandbox(ready)


def _print_sandbox(ready: dict[str, object]) -> None:
    if ready.get("starting"):
        out.print(f"sandbox starting (pid {ready['pid']})", markup=False)
        return
    services = ready.get("services")
    out.print(f"[green]✓[/] sandbox running (pid {ready['pid']}), log {ready.get('log')}")
    for name, url in (services if isinstance(services, dict) else {}).items():
        out.print(f"  {name:<10} {url}", markup=False)
    out.print(f"  {'dns':<10} {ready.get('dns')} (PowerDNS, UDP and TCP)", markup=False)


if __name__ == "__main__":  # pragma: no cover
    app()


def _register_engine_commands() -> None:
    from dezky.engine.cli import register

    register(app)
    __import__("dezky.ops_cli", fromlist=["register"]).register(app)  # restore-drill
    __import__("dezky.operator_cli", fromlist=["register"]).register(app)  # review, suspend, status, users
    __import__("dezky.importer.cli", fromlist=["register"]).register(app)  # import


_register_engine_commands()
