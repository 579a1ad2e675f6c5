"""restic backups of the host: what is saved, how long it is kept, the copy to Helsinki and the restore drill.

Written once, used twice: `render_backup_script` writes the bash script the host's systemd timer runs nightly
(every restic command line in it is built by `Repository.argv` here), and `restore_drill` (`dezky
restore-drill`) restores the newest snapshot of either repository into a scratch folder and verifies it.

How a restore is verified. Before each backup the script hashes every file it is about to save with
`sha256sum -z` into a manifest inside the staging folder, which the same snapshot saves. The drill restores
the snapshot (with restic's own `--verify`, which re-reads every restored file against the snapshot's blob
hashes), finds the manifest among the restored files and compares the sha256 of every restored file with it.
The snapshot's own listing (`restic ls`) has sizes and times but no content hashes in restic 0.14, and
restic's `--verify` only proves the restore matches the snapshot; the manifest proves the snapshot matches
what was on disk at backup time, so together they check the whole path byte for byte. A file that changes
between hashing and saving (a live database file) shows up as a mismatch: the data worth restoring should be
a dump, not a live file (see the closing note of the host bootstrap).

What the drill reads. A disaster restore runs on a new machine, with no restic cache: every index file,
snapshot file and tree comes from the repository. restic's cache (on the host, `~/.cache/restic`) holds
exactly those, keyed by file name, so with a warm cache a damaged index, snapshot or tree pack is never read
and a restore "succeeds" that would fail on the new machine. Every restic command of the drill therefore
runs with `--no-cache`. Before the restore, `restic check --read-data-subset` checks the repository's
structure (every index, snapshot and tree, every pack the index names exists) and downloads and verifies
a slice of the data packs; the restore itself reads every pack of the newest snapshot. The default slice
rotates by date (`n/11`, see `rotating_subset`), so the drill reads the whole repository over 11 runs on
any schedule whose period is not a multiple of 11 days.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import os
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "dezky-backup-manifest.sha256"
TAG = "dezky-nightly"
_CHUNK = 1 << 20


#: restic's `check --read-data-subset n/t` picks packs by the first byte of their id modulo t (t <= 256). 11 is
#: prime to every common drill period (1, 7, 14, 28, 30, 31 days), so consecutive runs visit every slice.
SUBSET_SLICES = 11
#: a restore of the whole newest snapshot over SFTP can take hours; a hung connection must still end
DRILL_TIMEOUT = 12 * 3600
#: restic 0.17 and later: 10 no repository, 11 lock failed, 12 wrong password (0.14 exits 1 for all of them)
_UNAVAILABLE_EXIT_CODES = frozenset({10, 11, 12})
_SUBSET = re.compile(
    r"(?P<n>[0-9]+)/(?P<t>[0-9]+)|(?P<percent>[0-9]+(\.[0-9]+)?)%|(?P<size>[0-9]+[kKmMgGtT]?)"
)


class ResticError(Exception):
    """restic failed: names the repository, the command and restic's own message."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        #: restic's exit status; None when it did not run to the end (not installed, timed out)
        self.returncode = returncode
        self.stderr = stderr

    @property
    def unavailable(self) -> bool:
        """The repository could not be reached, opened or locked: it says nothing about the data in it."""
        return (
            self.returncode is None
            or self.returncode in _UNAVAILABLE_EXIT_CODES
            or "repository is already locked" in self.stderr  # restic 0.14's words for a held lock
        )


class DrillFailure(enum.Enum):
    """Why a restore drill did not pass; `dezky restore-drill` exits with each one's own status."""

    #: the drill was asked for something it cannot do (a non-empty target, an invalid subset)
    USAGE = 2
    #: the repository could not be reached, opened or locked (ssh, password, not a repository, busy)
    UNAVAILABLE = 3
    #: restic found damage, or could not restore the newest snapshot intact
    DAMAGED = 4
    #: the snapshot restored, but files are missing or differ from the manifest written at backup time
    UNVERIFIED = 5


class DrillError(Exception):
    """The drill stopped before it could verify every file; `failure` says why."""

    def __init__(self, failure: DrillFailure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


@dataclass(frozen=True)
class Repository:
    """A restic repository: `sftp:<ssh host alias>:<path>` (a Storage Box) or a local folder."""

    location: str
    password_file: str
    #: the ssh command restic's SFTP backend runs, for a server no ssh config alias reaches (tests)
    sftp_command: str | None = None

    def argv(self, *args: str, no_cache: bool = False) -> list[str]:
        # The password is only ever read from its file: never an argument or an environment variable.
        options = ["--option", f"sftp.command={self.sftp_command}"] if self.sftp_command else []
        if no_cache:
            options.append("--no-cache")
        return ["restic", "--repo", self.location, "--password-file", self.password_file, *options, *args]


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    def forget_args(self) -> list[str]:
        return [
            "forget", "--tag", TAG, "--keep-daily", str(self.daily), "--keep-weekly", str(self.weekly),
            "--keep-monthly", str(self.monthly), "--prune",
        ]  # fmt: skip


@dataclass(frozen=True)
class Dump:
    """A command that writes a consistent copy of live data into `$DUMP_DIR` before the backup."""

    name: str
    command: str


@dataclass(frozen=True)
class BackupPlan:
    #: folders saved as they are (Stalwart's data, OCIS's metadata root)
    sources: tuple[str, ...]
    #: folder for the dumps and the manifest; saved too
    staging: str
    repository: Repository
    dr_repository: Repository
    dumps: tuple[Dump, ...] = ()
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)

    @property
    def manifest(self) -> str:
        return f"{self.staging}/{MANIFEST_NAME}"

    @property
    def paths(self) -> tuple[str, ...]:
        return (*self.sources, self.staging)

    def copy_args(self) -> list[str]:
        """Arguments for the Helsinki repository: copy every nightly snapshot it does not have yet."""
        main = self.repository
        return [
            "copy",
            "--from-repo",
            main.location,
            "--from-password-file",
            main.password_file,
            "--tag",
            TAG,
        ]

    def dr_init_args(self) -> list[str]:
        # Same chunker parameters as the main repository, so copied snapshots deduplicate in Helsinki too.
        main = self.repository
        return [
            "init", "--from-repo", main.location, "--from-password-file", main.password_file,
            "--copy-chunker-params",
        ]  # fmt: skip


def render_backup_script(plan: BackupPlan) -> str:
    """The host's `dezky-backup [run|init|check]`: dumps, manifest, backup, forget, check, copy to Helsinki."""
    q = shlex.quote
    dumps = (
        "".join(
            f'    DUMP_DIR="$STAGING/dumps/{dump.name}"; mkdir -p "$DUMP_DIR"\n    {dump.command}\n'
            for dump in plan.dumps
        )
        or "    :\n"
    )
    paths = " ".join(q(path) for path in plan.paths)
    return f"""#!/bin/bash
# dezky-backup: rendered by the dezky program (hetzner/backup.py); edits here are overwritten.
# Usage: dezky-backup [run|init|check]. The systemd timer runs `run` nightly.
set -euo pipefail
umask 077
export LC_ALL=C
STAGING={q(plan.staging)}
MANIFEST={q(plan.manifest)}

main() {{ {shlex.join(plan.repository.argv())} "$@"; }}
dr() {{ {shlex.join(plan.dr_repository.argv())} "$@"; }}

init() {{
    main cat config >/dev/null 2>&1 || main init
    dr cat config >/dev/null 2>&1 || dr {shlex.join(plan.dr_init_args())}
}}

dumps() {{
    rm -rf "$STAGING/dumps"
    mkdir -p "$STAGING/dumps"
{dumps}}}

manifest() {{
    # NUL-separated `sha256  path` records: any file name survives, newlines included.
    local tmp
    tmp=$(mktemp)
    find {paths} -type f ! -path "$MANIFEST" -print0 | sort -z | xargs -0 -r sha256sum -z -- > "$tmp"
    mv "$tmp" "$MANIFEST"
}}

run() {{
    dumps
    manifest
    main backup --tag {TAG} {paths}
    main {shlex.join(plan.retention.forget_args())}
    main check  # a damaged repository is not copied over the good one in Helsinki
    dr {shlex.join(plan.copy_args())}
    dr {shlex.join(plan.retention.forget_args())}
}}

case "${{1:-run}}" in
    run) run ;;
    init) init ;;
    check) main check --read-data && dr check --read-data ;;
    *) echo "usage: dezky-backup [run|init|check]" >&2; exit 64 ;;
esac
"""


# --- restic from Python: the drill, and the tests -----------------------------------------------------


def restic(repository: Repository, *args: str, timeout: float | None = 3600, no_cache: bool = False) -> str:
    argv = repository.argv(*args, no_cache=no_cache)
    try:
        # restic's messages quote file names, which need not be UTF-8 (the restore of a damaged pack lists them)
        done = subprocess.run(
            argv, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise ResticError("restic is not installed (scripts/install-system-packages installs it)") from None
    except subprocess.TimeoutExpired:
        raise ResticError(
            f"{repository.location}: restic {args[0]} did not finish within {timeout}s"
        ) from None
    if done.returncode != 0:
        message = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise ResticError(
            f"{repository.location}: restic {args[0]} exited with {done.returncode}\n{message}",
            returncode=done.returncode,
            stderr=done.stderr,
        )
    return done.stdout


def snapshots(repository: Repository, **kwargs) -> list[dict]:
    return json.loads(restic(repository, "snapshots", "--json", **kwargs) or "[]")


def check(
    repository: Repository, *, read_data: bool = False, read_data_subset: str | None = None, **kwargs
) -> str:
    """`restic check`: every index, snapshot and tree is loaded and every pack the index names must exist;
    with `--read-data` every pack (with `--read-data-subset` a slice of them) is downloaded and its content
    verified. Raises on damage; returns restic's report."""
    reading = ["--read-data"] if read_data else []
    reading += ["--read-data-subset", read_data_subset] if read_data_subset else []
    return restic(repository, "check", *reading, **kwargs)


def rotating_subset(day: dt.date | None = None, slices: int = SUBSET_SLICES) -> str:
    """The drill's default `--read-data-subset`: slice `n/slices` with n moving on by one each day (UTC)."""
    day = day or dt.datetime.now(dt.UTC).date()
    return f"{day.toordinal() % slices + 1}/{slices}"


def valid_subset(subset: str) -> bool:
    """A value restic 0.14's `check --read-data-subset` accepts: `n/t` (1 <= n <= t <= 256), `x%` or a size."""
    match = _SUBSET.fullmatch(subset)
    if match is None:
        return False
    if match["t"] is not None:
        return 1 <= int(match["n"]) <= int(match["t"]) <= 256
    if match["percent"] is not None:
        return 0 < float(match["percent"]) <= 100
    return int(match["size"].rstrip("kKmMgGtT")) > 0


@dataclass(frozen=True)
class Verification:
    checked: int
    missing: tuple[str, ...]
    mismatched: tuple[str, ...]
    #: restored files the manifest does not list (created between hashing and saving): reported, not failed
    unlisted: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.checked > 0 and not self.missing and not self.mismatched


@dataclass(frozen=True)
class DrillReport:
    repository: str
    snapshot: str
    snapshot_time: str
    target: Path
    verification: Verification
    #: the `check --read-data-subset` the drill passed
    read_data_subset: str = ""

    @property
    def failure(self) -> DrillFailure | None:
        return None if self.verification.ok else DrillFailure.UNVERIFIED


def restore_drill(
    repository: Repository,
    target: Path,
    *,
    read_data_subset: str | None = None,
    timeout: float | None = DRILL_TIMEOUT,
) -> DrillReport:
    """What a restore on a new machine would see: check the repository and read a slice of its data, restore
    the newest snapshot into an empty `target` and verify every file against the manifest. restic runs with
    `--no-cache` throughout. Raises `DrillError` when the drill cannot get as far as comparing files."""
    subset = read_data_subset or rotating_subset()
    if not valid_subset(subset):
        raise DrillError(DrillFailure.USAGE, f"--read-data-subset {subset!r}: expected n/t, x% or a size")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DrillError(DrillFailure.USAGE, f"{target} is not an empty folder; a drill restores into one")
    cold = {"no_cache": True, "timeout": timeout}
    _drill_step("open the repository", lambda: restic(repository, "cat", "config", **cold), opening=True)
    _drill_step(
        f"check --read-data-subset {subset}", lambda: check(repository, read_data_subset=subset, **cold)
    )
    latest = _newest_snapshot(repository, cold)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DrillError(DrillFailure.USAGE, f"cannot create {target}: {exc}") from None
    _drill_step(
        f"restore {latest['short_id']} --verify",
        lambda: restic(repository, "restore", latest["id"], "--target", str(target), "--verify", **cold),
    )
    try:
        manifest = read_manifest(find_manifest(target))
    except ResticError as exc:
        raise DrillError(DrillFailure.UNVERIFIED, str(exc)) from None
    verification = verify_restore(target, manifest)
    return DrillReport(repository.location, latest["short_id"], latest["time"], target, verification, subset)


def _drill_step(what: str, step, *, opening: bool = False):
    try:
        return step()
    except ResticError as exc:
        failure = DrillFailure.UNAVAILABLE if opening or exc.unavailable else DrillFailure.DAMAGED
        raise DrillError(failure, f"{what}: {exc}") from None


def _newest_snapshot(repository: Repository, cold: dict) -> dict:
    """The newest snapshot, from the repository's own files. restic 0.14's `snapshots` leaves out a snapshot
    file it cannot read (a warning, exit 0), which would make an older snapshot look like the newest."""
    listed = _drill_step("list snapshots", lambda: restic(repository, "list", "snapshots", **cold)).split()
    loaded = _drill_step("read snapshots", lambda: snapshots(repository, **cold))
    unreadable = sorted(set(listed) - {snapshot["id"] for snapshot in loaded})
    if unreadable:
        raise DrillError(
            DrillFailure.DAMAGED,
            f"{repository.location}: snapshot file(s) cannot be read: {', '.join(unreadable)}",
        )
    if not loaded:
        raise DrillError(
            DrillFailure.DAMAGED, f"{repository.location}: the repository has no snapshot to restore"
        )
    return max(loaded, key=lambda snapshot: snapshot["time"])


def find_manifest(target: Path) -> Path:
    found = [Path(folder) / MANIFEST_NAME for folder, _, names in os.walk(target) if MANIFEST_NAME in names]
    if len(found) != 1:
        raise ResticError(f"expected one {MANIFEST_NAME} in the restored snapshot, found {len(found)}")
    return found[0]


def read_manifest(path: Path) -> dict[str, str]:
    """Absolute path at backup time -> sha256, from `sha256sum -z` output."""
    entries = {}
    for record in path.read_bytes().split(b"\0"):
        if record:
            digest, _, name = record.partition(b"  ")
            entries[os.fsdecode(name)] = digest.decode()
    return entries


def verify_restore(target: Path, manifest: dict[str, str]) -> Verification:
    missing, mismatched = [], []
    for original, digest in sorted(manifest.items()):
        restored = target / original.lstrip("/")
        if not restored.is_file():
            missing.append(original)
        elif file_sha256(restored) != digest:
            mismatched.append(original)
    listed = {str(target / path.lstrip("/")) for path in manifest}
    unlisted = sorted(
        path
        for path in _regular_files(target)
        if path not in listed and not path.endswith("/" + MANIFEST_NAME)
    )
    return Verification(len(manifest), tuple(missing), tuple(mismatched), tuple(unlisted))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _regular_files(root: Path) -> Sequence[str]:
    return [
        os.path.join(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
        if os.path.isfile(os.path.join(folder, name)) and not os.path.islink(os.path.join(folder, name))
    ]
