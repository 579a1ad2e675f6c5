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
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "dezky-backup-manifest.sha256"
TAG = "dezky-nightly"
_CHUNK = 1 << 20


class ResticError(Exception):
    """restic failed: names the repository, the command and restic's own message."""


@dataclass(frozen=True)
class Repository:
    """A restic repository: `sftp:<ssh host alias>:<path>` (a Storage Box) or a local folder."""

    location: str
    password_file: str
    #: the ssh command restic's SFTP backend runs, for a server no ssh config alias reaches (tests)
    sftp_command: str | None = None

    def argv(self, *args: str) -> list[str]:
        # The password is only ever read from its file: never an argument or an environment variable.
        options = ["--option", f"sftp.command={self.sftp_command}"] if self.sftp_command else []
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


def restic(repository: Repository, *args: str, timeout: float = 3600) -> str:
    argv = repository.argv(*args)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        message = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise ResticError(f"{repository.location}: restic {args[0]} exited with {done.returncode}\n{message}")
    return done.stdout


def snapshots(repository: Repository) -> list[dict]:
    return json.loads(restic(repository, "snapshots", "--json") or "[]")


def check(repository: Repository, *, read_data: bool = False) -> None:
    """`restic check` (with `--read-data`, every pack is downloaded and its content verified); raises on damage."""
    restic(repository, "check", *(["--read-data"] if read_data else []))


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


def restore_drill(repository: Repository, target: Path) -> DrillReport:
    """Restore the newest snapshot into an empty `target` and verify every file against the manifest."""
    if target.exists() and any(target.iterdir()):
        raise ResticError(f"{target} is not empty; a drill restores into an empty scratch folder")
    latest = max(snapshots(repository), key=lambda s: s["time"], default=None)
    if latest is None:
        raise ResticError(f"{repository.location}: the repository has no snapshot to restore")
    target.mkdir(parents=True, exist_ok=True)
    restic(repository, "restore", latest["id"], "--target", str(target), "--verify")
    verification = verify_restore(target, read_manifest(find_manifest(target)))
    return DrillReport(repository.location, latest["short_id"], latest["time"], target, verification)


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
