"""`dezky review | suspend | resume | delete | status | users`: the operator's day-to-day commands.

Lifecycle commands only edit the tenant file (one line, comments and layout kept) and say what comes next:
the change goes live through a pull request, its review and `dezky up` in CI, never from a laptop.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pulumi import automation as auto
from rich.console import Console
from rich.table import Table

from dezky.engine import runner
from dezky.engine.cli import YesOption, apply_options
from dezky.engine.workspace import ROOT, EngineNotInstalled
from dezky.exit_codes import ExitCode
from dezky.live_users import live_users
from dezky.review.changed import ChangeScope, GitFailed, change_scope, only_tenants
from dezky.review.drift import Drift, drift_of
from dezky.review.model import ESTATE
from dezky.review.preview import preview_review
from dezky.review.render import render, to_terminal
from dezky.tenants import load_tenants
from dezky.tenants.loader import load_one
from dezky.tenants.model import SLUG_PATTERN, TenantStatus
from dezky.timestamps import utc_iso, utc_text

TENANTS_DIR = Path("tenants")
INTEGRATIONS = ("authentik", "stalwart", "ocis", "dns")

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

StackOption = Annotated[str, typer.Option("--stack", "-s", help="dev, prod, or <env>.<slug>.")]
FolderOption = Annotated[Path, typer.Option(help="Where the tenant files are.")]
# For runs on a copy of the project (tests, drills); an operator uses the defaults.
WorkDirOption = Annotated[Path, typer.Option(hidden=True)]
StateDirOption = Annotated[Path | None, typer.Option(hidden=True)]


class Format(StrEnum):
    TERMINAL = "terminal"
    MARKDOWN = "markdown"
    JSON = "json"


# -- review ----------------------------------------------------------------------------------------------


def review(
    stack: StackOption = "dev",
    output_format: Annotated[Format, typer.Option("--format", "-f")] = Format.TERMINAL,
    changed_since: Annotated[
        str | None,
        typer.Option(help="Only what changed since the merge-base with this git ref (code: every tenant)."),
    ] = None,
    refresh: Annotated[bool, typer.Option(help="Read every object back first, to show drift too.")] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when there are changes (drift checks).")
    ] = False,
    work_dir: WorkDirOption = ROOT,
    state_dir: StateDirOption = None,
) -> None:
    """Preview the stack and show its changes per tenant and integration, data-loss warnings first."""
    options = runner.EngineOptions(work_dir=work_dir, state_dir=state_dir, on_output=None)
    scope = _changed_or_exit(changed_since, work_dir) if changed_since else None
    if scope is not None and scope.every_tenant:
        out.print(
            f"{scope.because} changed: this can affect every tenant, so all are previewed.", markup=False
        )
    elif scope is not None and not scope.tenants:
        out.print(
            f"Nothing the program is made of changed since {changed_since}; nothing to preview.", markup=False
        )
        return
    result = _engine_or_exit(lambda: preview_review(stack, options, refresh), f"preview of stack {stack}")
    if scope is not None and not scope.every_tenant:
        result = only_tenants(result, set(scope.tenants))
    if output_format is Format.TERMINAL and out.is_terminal:
        out.print(to_terminal(result))
    elif output_format is Format.TERMINAL:  # a CI log: plain lines, never a value cut to fit a width
        out.print(render(result, "plain"), markup=False, end="")
    else:
        out.print(render(result, output_format.value), markup=False, end="")
    if result.blocked:
        raise typer.Exit(ExitCode.REFUSED)
    if exit_code and result.changes:
        raise typer.Exit(ExitCode.CHANGES_PRESENT)


def _changed_or_exit(ref: str, repo: Path) -> ChangeScope:
    try:
        return change_scope(ref, repo)
    except GitFailed as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(ExitCode.USAGE) from None


def _engine_or_exit(call: Any, what: str) -> Any:
    try:
        return call()
    except (EngineNotInstalled, runner.NoSuchTenant) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(ExitCode.USAGE) from None
    except runner.RunRefused as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(ExitCode.REFUSED) from None
    except (runner.Declined, runner.ServiceUnreachable) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(ExitCode.FAILURE) from None
    except auto.CommandError as exc:
        lines = [line for line in str(exc).splitlines() if "error" in line.lower()]
        err.print(f"{what} failed: {lines[0] if lines else exc}", markup=False)
        raise typer.Exit(ExitCode.FAILURE) from None


# -- suspend / resume / delete ---------------------------------------------------------------------------


def suspend(slug: Annotated[str, typer.Argument()], folder: FolderOption = TENANTS_DIR) -> None:
    """Mark the tenant suspended: logins stop, mail and files are kept."""
    _change_status(folder, slug, TenantStatus.SUSPENDED)


def resume(slug: Annotated[str, typer.Argument()], folder: FolderOption = TENANTS_DIR) -> None:
    """Mark the tenant active again."""
    _change_status(folder, slug, TenantStatus.ACTIVE)


def delete(slug: Annotated[str, typer.Argument()], folder: FolderOption = TENANTS_DIR) -> None:
    """Soft-delete the tenant: status deleted and deleted_at today; data is kept for the retention period."""
    _change_status(folder, slug, TenantStatus.DELETED)


def _change_status(folder: Path, slug: str, status: TenantStatus) -> None:
    path = _tenant_path_or_exit(folder, slug)
    original = path.read_text(encoding="utf-8")
    try:
        edited = with_status(original, status, dt.date.today())
    except ValueError as exc:
        err.print(f"{path}: {exc}", markup=False)
        raise typer.Exit(ExitCode.USAGE) from None
    if edited == original:
        out.print(f"{slug} is already {status.value}; nothing changed.")
        return
    path.write_text(edited, encoding="utf-8")
    # Checked with every other file, as `dezky validate` would; a file that no longer validates is put back.
    problems = [p for p in load_tenants([folder]).problems if p.location.path == path]
    if problems:
        path.write_text(original, encoding="utf-8")
        for problem in problems:
            err.print(problem.render(relative_to=Path.cwd()), markup=False)
        err.print(f"[red]✗[/] not changed: {path}")
        raise typer.Exit(ExitCode.INVALID_TENANT_FILES)
    out.print(f"[green]✓[/] {path}: status {status.value}")
    out.print(f"Next: commit {path} and open a pull request; it applies when merged (dezky up in CI).")


def _tenant_path_or_exit(folder: Path, slug: str) -> Path:
    path = folder / f"{slug}.yaml"
    if not re.fullmatch(SLUG_PATTERN, slug) or not path.is_file():
        err.print(f"no tenant file for `{slug}` in {folder}", markup=False)
        raise typer.Exit(ExitCode.USAGE)
    return path


_STATUS_LINE = re.compile(r"(?m)^status:[ \t]*[^\s#]+")
_DELETED_AT_LINE = re.compile(r"(?m)^deleted_at:[^\n]*\n?")


def with_status(text: str, status: TenantStatus, today: dt.date) -> str:
    """The file's text with its top-level `status:` set; `deleted_at` added for a delete, dropped otherwise."""
    if not _STATUS_LINE.search(text):
        raise ValueError("no top-level `status:` line to change; add one (e.g. `status: active`)")
    was_deleted = re.search(r"(?m)^status:[ \t]*deleted\b", text) is not None
    text = _STATUS_LINE.sub(f"status: {status.value}", text, count=1)
    if status is not TenantStatus.DELETED:
        return _DELETED_AT_LINE.sub("", text)
    if was_deleted and _DELETED_AT_LINE.search(text):
        return text  # already deleted: the original day counts for retention
    text = _DELETED_AT_LINE.sub("", text)
    line = _STATUS_LINE.search(text)
    assert line is not None
    end = text.find("\n", line.end())
    end = len(text) if end < 0 else end + 1
    prefix = text[:end] if text[:end].endswith("\n") else text[:end] + "\n"
    return prefix + f"deleted_at: {today.isoformat()}\n" + text[end:]


# -- status / users --------------------------------------------------------------------------------------


def status(
    slug: Annotated[str | None, typer.Argument(help="One tenant; default: all of them.")] = None,
    stack: StackOption = "dev",
    drift: Annotated[
        bool, typer.Option(help="Also read every object back (a refresh run as a preview) and show drift.")
    ] = False,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="terminal or json")
    ] = Format.TERMINAL,
    work_dir: WorkDirOption = ROOT,
    state_dir: StateDirOption = None,
) -> None:
    """Per tenant and integration, the provisioning state the last run recorded, when it ran, and drift."""
    options = runner.EngineOptions(work_dir=work_dir, state_dir=state_dir, on_output=None)
    opened = _engine_or_exit(lambda: runner.open_stack(stack, options), f"opening stack {stack}")
    tenants = opened.outputs().get("tenants")
    provisioned: dict[str, dict[str, str]] = tenants.value if tenants else {}
    if slug is not None and slug not in provisioned:
        err.print(f"tenant `{slug}` is not provisioned on stack {stack}", markup=False)
        raise typer.Exit(ExitCode.FAILURE)
    shown = {name: provisioned[name] for name in sorted(provisioned) if slug in (None, name)}
    history = opened.history(page_size=1)
    if output_format is Format.JSON:
        found = _drift_or_exit(stack, slug, options) if drift else None
        out.print_json(data=status_json(stack, shown, history, found))
        return
    table = Table("tenant", "status", *INTEGRATIONS, title=f"Stack {stack}")
    for name, state in shown.items():
        table.add_row(name, state.get("status", "?"), *(state.get(i, "-") for i in INTEGRATIONS))
    out.print(table)
    out.print(last_update_text(history), markup=False)
    if drift:
        _print_drift(stack, _drift_or_exit(stack, slug, options))


def status_json(
    stack: str,
    tenants: dict[str, dict[str, str]],
    history: list[auto.UpdateSummary],
    drift: list[Drift] | None,
) -> dict[str, Any]:
    last = history[0] if history else None
    return {
        "stack": stack,
        "tenants": tenants,
        "last_update": None
        if last is None
        else {"kind": last.kind, "result": last.result, "time": utc_iso(last.end_time or last.start_time)},
        "drift": None
        if drift is None
        else [
            {"tenant": d.tenant, "object": d.describe(), "changes": d.details(), "removed": d.gone}
            for d in drift
        ],
    }


def _drift_or_exit(stack: str, slug: str | None, options: runner.EngineOptions) -> list[Drift]:
    events: list[auto.EngineEvent] = []
    with_events = replace(options, on_event=events.append)
    _engine_or_exit(lambda: runner.preview_drift(stack, with_events, slug), f"drift check of stack {stack}")
    return drift_of(events)


def _print_drift(stack: str, found: list[Drift]) -> None:
    if not found:
        out.print("drift: none; every object is as the last run left it", markup=False)
        return
    out.print(f"drift: {len(found)} object(s) changed outside the program", markup=False)
    for item in found:
        out.print(f"  {item.tenant}: {item.describe()}", markup=False)
        for line in item.details():
            out.print(f"      {line}", markup=False)
    # An up alone compares the files with the state, which the drift check did not change: it must refresh.
    tenants = sorted({item.tenant for item in found} - {ESTATE})
    repairs = [f"dezky reconcile {tenant} --stack {stack}" for tenant in tenants]
    out.print(
        "Repair with: " + " ; ".join([*repairs] or [f"dezky up --refresh --stack {stack}"]), markup=False
    )


def reconcile(
    slug: Annotated[str, typer.Argument()],
    stack: StackOption = "dev",
    yes: YesOption = False,
    work_dir: WorkDirOption = ROOT,
    state_dir: StateDirOption = None,
) -> None:
    """Read the tenant's objects back, then repair what drifted to its deployed file; others are not touched."""
    options, progress = apply_options(yes, stack, work_dir=work_dir, state_dir=state_dir)
    try:
        result = _engine_or_exit(
            lambda: runner.reconcile(stack, slug, options), f"reconcile of {slug} on {stack}"
        )
    finally:
        if progress is not None:
            progress.finish()
    changes = {op: n for op, n in result.summary.resource_changes.items() if op != "same"}
    done = ", ".join(f"{n} {op}" for op, n in sorted(changes.items())) or "nothing to repair"
    out.print(f"[green]✓[/] {slug} reconciled on {stack}: {done}")


def last_update_text(history: list[auto.UpdateSummary]) -> str:
    if not history:
        return "never updated"
    last = history[0]
    ended = last.end_time or last.start_time
    return f"last {last.kind}: {last.result} at {utc_text(ended)}"


def users(
    slug: Annotated[str, typer.Argument()],
    folder: FolderOption = TENANTS_DIR,
    live: Annotated[bool, typer.Option(help="Also read each user back from Authentik and Stalwart.")] = True,
    stack: StackOption = "dev",
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="terminal or json")
    ] = Format.TERMINAL,
    work_dir: WorkDirOption = ROOT,
    state_dir: StateDirOption = None,
) -> None:
    """The tenant's users: role and status from its file, and their login and mailbox as the services have them."""
    path = _tenant_path_or_exit(folder, slug)
    loaded, problems = load_one(path)
    if loaded is None:
        for problem in problems:
            err.print(problem.render(relative_to=Path.cwd()), markup=False)
        raise typer.Exit(ExitCode.INVALID_TENANT_FILES)
    tenant = loaded.tenant
    found = {}
    if live:
        options = runner.EngineOptions(work_dir=work_dir, state_dir=state_dir, on_output=None)
        opened = _engine_or_exit(lambda: runner.open_stack(stack, options), f"opening stack {stack}")
        config = {key: value.value for key, value in opened.get_all_config().items()}
        found = live_users([user.email for user in tenant.users], config)
    if output_format is Format.JSON:
        listed = [
            {"email": user.email, "name": user.name, "role": user.role.value, "status": user.status.value}
            | ({"authentik_login": found[user.email].authentik, "stalwart_mailbox": found[user.email].stalwart}
               if live else {})
            for user in tenant.users
        ]  # fmt: skip
        out.print_json(
            data={"tenant": tenant.slug, "name": tenant.name, "status": tenant.status.value, "users": listed}
        )
        return
    columns = ["email", "name", "role", "status"] + (["authentik login", "stalwart mailbox"] if live else [])
    table = Table(*columns, title=f"{tenant.name} ({tenant.status.value})")
    for user in tenant.users:
        row = [user.email, user.name, user.role.value, user.status.value]
        if live:
            row += [found[user.email].authentik, found[user.email].stalwart]
        table.add_row(*row)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("preview")(review)  # the main job's command: `make preview`
    app.command()(review)
    for command in (suspend, resume, delete, status, reconcile, users):
        app.command()(command)
