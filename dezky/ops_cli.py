"""`dezky restore-drill`: restore the newest backup into a scratch folder and prove every file came back intact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hetzner.backup import DrillReport, Repository, ResticError, restore_drill

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_SHOWN = 10


def restore_drill_command(
    repository: Annotated[
        str,
        typer.Option(help="The restic repository: sftp:<ssh host>:<path> (a Storage Box) or a local folder."),
    ],
    password_file: Annotated[Path, typer.Option(help="File holding the repository password.")],
    target: Annotated[Path, typer.Option(help="Empty scratch folder to restore into (created if missing).")],
    sftp_command: Annotated[
        str | None,
        typer.Option(help="ssh command for restic's SFTP backend, for a server no ssh alias reaches."),
    ] = None,
) -> None:
    """Restore the latest snapshot to TARGET and verify every file's sha256 against the backup's manifest.

    Exit status 2 when the restore fails or any file is missing or differs.
    """
    if not password_file.is_file():
        err.print(f"--password-file: {password_file} is not a file")
        raise typer.Exit(2)
    repo = Repository(repository, str(password_file), sftp_command)
    try:
        report = restore_drill(repo, target)
    except ResticError as exc:
        err.print("[red]✗[/] restore drill failed:", end=" ")
        err.print(str(exc), markup=False)  # restic's own words may hold brackets
        raise typer.Exit(2) from None
    _print(report)
    if not report.verification.ok:
        raise typer.Exit(2)


def _print(report: DrillReport) -> None:
    result = report.verification
    out.print(
        f"restored snapshot {report.snapshot} ({report.snapshot_time}) of {report.repository} to {report.target}"
    )
    for label, paths in (("missing", result.missing), ("differs", result.mismatched)):
        for path in paths[:_SHOWN]:
            err.print(f"  {label}: {path}", markup=False)
        if len(paths) > _SHOWN:
            err.print(f"  ... and {len(paths) - _SHOWN} more {label}")
    if result.unlisted:
        out.print(
            f"  {len(result.unlisted)} restored file(s) not in the manifest (written after it): not verified"
        )
    if result.ok:
        out.print(
            f"[green]✓[/] {result.checked} file(s) verified: sha256 identical to the manifest written at backup time"
        )
    else:
        err.print(
            f"[red]✗[/] verification failed: {len(result.missing)} missing, {len(result.mismatched)} differ "
            f"of {result.checked} file(s)"
        )


def register(app: typer.Typer) -> None:
    app.command("restore-drill")(restore_drill_command)
