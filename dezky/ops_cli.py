"""`dezky restore-drill`: restore the newest backup into a scratch folder and prove every file came back intact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hetzner.backup import (
    SUBSET_SLICES,
    DrillError,
    DrillFailure,
    DrillReport,
    Repository,
    restore_drill,
    rotating_subset,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_SHOWN = 10
_EXPLAINED = {
    DrillFailure.USAGE: "the drill did not run",
    DrillFailure.UNAVAILABLE: "the repository could not be reached, opened or locked; nothing was verified",
    DrillFailure.DAMAGED: "the repository is damaged: a restore on a new machine would fail",
    DrillFailure.UNVERIFIED: "the restored files do not match the manifest written at backup time",
}


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
    read_data_subset: Annotated[
        str | None,
        typer.Option(
            help=f"Data packs `restic check` downloads and verifies: n/t, x% or a size (restic's syntax). "
            f"Default: slice n/{SUBSET_SLICES}, n moving on by one each day (UTC): {SUBSET_SLICES} drills "
            "run a day, a week or a month apart read every pack.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Prove the newest snapshot restores intact on a machine with no restic cache, as after a disaster.

    restic runs with --no-cache throughout. The drill opens the repository, runs `restic check
    --read-data-subset` (every index, snapshot and tree loaded, every pack present, a slice of the data
    packs downloaded and verified), restores the newest snapshot to TARGET with --verify and compares every
    restored file's sha256 with the manifest the backup saved.

    \b
    Exit status:
      0  every step passed
      2  invalid options (bad --read-data-subset, missing password file, TARGET not an empty folder)
      3  the repository could not be reached, opened or locked (ssh, password, busy): nothing verified
      4  the repository is damaged: check found errors (a missing or corrupt pack, index, snapshot or
         tree), a snapshot file is unreadable, there is no snapshot, or the restore or its --verify failed
      5  the snapshot restored, but the manifest is missing or files are missing or differ from it
    """
    if not password_file.is_file():
        err.print(f"--password-file: {password_file} is not a file")
        raise typer.Exit(DrillFailure.USAGE.value)
    repo = Repository(repository, str(password_file), sftp_command)
    subset = read_data_subset or rotating_subset()
    try:
        report = restore_drill(repo, target, read_data_subset=subset)
    except DrillError as exc:
        err.print(f"[red]✗[/] restore drill failed: {_EXPLAINED[exc.failure]}")
        err.print(str(exc), markup=False)  # restic's own words may hold brackets
        raise typer.Exit(exc.failure.value) from None
    _print(report)
    if report.failure is not None:
        raise typer.Exit(report.failure.value)


def _print(report: DrillReport) -> None:
    result = report.verification
    out.print(f"[green]✓[/] restic check --read-data-subset {report.read_data_subset}: no errors (no cache)")
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
