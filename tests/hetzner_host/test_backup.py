"""restic (Debian) through the host's own backup script, over SFTP to the local sshd standing in for both boxes.

The rendered `dezky-backup` script runs for real: its dump hook, manifest, backup to the "storage box"
repository, forget/prune, check, and `restic copy` to the "Helsinki" repository. Restores from each must give
back every generated file byte for byte; a repository damaged on purpose must be caught.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dezky.cli import app
from hetzner.backup import (
    MANIFEST_NAME,
    TAG,
    BackupPlan,
    Dump,
    Repository,
    ResticError,
    RetentionPolicy,
    check,
    file_sha256,
    render_backup_script,
    restic,
    restore_drill,
    snapshots,
    verify_restore,
)
from tests.fixtures.openssh import OpenSshServer

pytestmark = pytest.mark.skipif(shutil.which("restic") is None, reason="restic is not installed")

ODD_NAMES = [
    "with space.txt",
    "new\nline",
    "back\\slash",
    "ünïcødé ✓.md",
    "-leading-dash",
    "'quote\"s",
    "empty",
]


@dataclass(frozen=True)
class BackedUp:
    plan: BackupPlan
    data: Path
    originals: dict[str, str]  # absolute path -> sha256, computed by the test itself
    sftp_root: Path


@pytest.fixture(scope="module")
def backed_up(openssh: OpenSshServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackedUp]:
    base = tmp_path_factory.mktemp("backup")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RESTIC_CACHE_DIR", str(base / "cache"))  # not the machine's ~/.cache
        env.setenv("TZ", "UTC")
        data = generate_data_set(base / "data")
        plan = sftp_plan(openssh, base)
        script = base / "dezky-backup"
        script.write_text(render_backup_script(plan))
        subprocess.run(["bash", str(script), "init"], check=True, capture_output=True)
        subprocess.run(["bash", str(script), "run"], check=True, capture_output=True)
        originals = {str(path): file_sha256(path) for path in data.rglob("*") if path.is_file()}
        yield BackedUp(plan, data, originals, base / "boxes")


def sftp_plan(openssh: OpenSshServer, base: Path) -> BackupPlan:
    password = base / "restic-password"
    password.write_text("correct horse battery staple\n")
    password.chmod(0o600)
    sftp = openssh.ssh_command() + " -s sftp"
    return BackupPlan(
        sources=(str(base / "data"),),
        staging=str(base / "staging"),
        repository=Repository(f"sftp:storagebox:{base}/boxes/storagebox", str(password), sftp),
        dr_repository=Repository(f"sftp:helsinki:{base}/boxes/helsinki", str(password), sftp),
        dumps=(Dump("database", 'printf "a consistent dump\\n" > "$DUMP_DIR/db.dump"'),),
    )


def generate_data_set(root: Path, seed: int = 20261125) -> Path:
    """Random files in nested folders, a large file, an empty file and names a shell or a parser trips on."""
    rng = random.Random(seed)
    for index in range(120):
        folder = root.joinpath(
            *[f"level{rng.randrange(3)}-{rng.randrange(4)}" for _ in range(rng.randrange(1, 4))]
        )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{index}.bin").write_bytes(rng.randbytes(rng.randrange(0, 48_000)))
    odd = root / "odd names"
    odd.mkdir()
    for name in ODD_NAMES:
        (odd / name).write_bytes(b"" if name == "empty" else rng.randbytes(777))
    (odd / os.fsdecode(b"latin1-\xe9t\xe9")).write_bytes(b"not utf-8 in the name")
    (root / "large.bin").write_bytes(rng.randbytes(8 * 1024 * 1024))  # many chunks, several packs
    return root


def restored_originals(target: Path, originals: dict[str, str]) -> dict[str, str]:
    return {path: file_sha256(target / path.lstrip("/")) for path in originals}


def test_backup_restores_every_file_byte_for_byte_from_the_storage_box(backed_up: BackedUp, tmp_path: Path):
    report = restore_drill(backed_up.plan.repository, tmp_path / "restore")

    assert report.verification.ok, report.verification
    assert report.verification.checked == len(backed_up.originals) + 1  # + the database dump
    assert restored_originals(tmp_path / "restore", backed_up.originals) == backed_up.originals


def test_copy_to_helsinki_restores_every_file_byte_for_byte(backed_up: BackedUp, tmp_path: Path):
    copied = snapshots(backed_up.plan.dr_repository)
    report = restore_drill(backed_up.plan.dr_repository, tmp_path / "restore")

    assert [s["original"] for s in copied] == [s["id"] for s in snapshots(backed_up.plan.repository)]
    assert report.verification.ok, report.verification
    assert restored_originals(tmp_path / "restore", backed_up.originals) == backed_up.originals


def test_both_repositories_live_on_the_sftp_server_and_pass_check(backed_up: BackedUp):
    for box in ("storagebox", "helsinki"):
        assert (backed_up.sftp_root / box / "config").is_file()
    check(backed_up.plan.repository)
    check(backed_up.plan.dr_repository)


def test_manifest_lists_the_dump_and_every_file_but_itself(backed_up: BackedUp):
    manifest = Path(backed_up.plan.manifest).read_bytes().split(b"\0")
    names = {os.fsdecode(record.partition(b"  ")[2]) for record in manifest if record}

    assert names == {*backed_up.originals, f"{backed_up.plan.staging}/dumps/database/db.dump"}
    assert not any(name.endswith(MANIFEST_NAME) for name in names)


def test_damaged_repository_is_detected_by_check_read_data(backed_up: BackedUp, tmp_path: Path):
    damaged = damaged_copy(backed_up, tmp_path)

    with pytest.raises(ResticError, match="check exited"):
        check(damaged, read_data=True)


def test_restore_drill_exits_0_on_a_good_repository_and_2_on_a_damaged_one(
    backed_up: BackedUp, tmp_path: Path
):
    good, damaged = backed_up.plan.repository, damaged_copy(backed_up, tmp_path)

    ok = drill(good, tmp_path / "good")
    broken = drill(damaged, tmp_path / "broken")

    assert ok.exit_code == 0, ok.output
    assert f"{len(backed_up.originals) + 1} file(s) verified" in ok.output
    assert broken.exit_code == 2, broken.output


def drill(repository: Repository, target: Path):
    options = ["--repository", repository.location, "--password-file", repository.password_file]
    options += ["--target", str(target), "--sftp-command", str(repository.sftp_command)]
    return CliRunner().invoke(app, ["restore-drill", *options])


def damaged_copy(backed_up: BackedUp, tmp_path: Path) -> Repository:
    """A copy of the storage box repository with bytes flipped in the middle of its largest pack file."""
    source = backed_up.sftp_root / "storagebox"
    copy = tmp_path / "damaged"
    shutil.copytree(source, copy)
    pack = max((copy / "data").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else -1)
    content = bytearray(pack.read_bytes())
    middle = len(content) // 2
    content[middle : middle + 64] = bytes(b ^ 0xFF for b in content[middle : middle + 64])
    pack.write_bytes(bytes(content))
    main = backed_up.plan.repository
    return Repository(f"sftp:storagebox:{copy}", main.password_file, main.sftp_command)


# --- retention ------------------------------------------------------------------------------------------


def test_forget_keeps_7_daily_4_weekly_and_12_monthly_snapshots(backed_up: BackedUp, tmp_path: Path):
    repository = Repository(str(tmp_path / "repo"), backed_up.plan.repository.password_file)
    restic(repository, "init")
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "file").write_text("x")
    times = timeline(dt.datetime(2026, 11, 25, 2, 30))
    # restic lets backups share a repository (non-exclusive locks), so the history is written in parallel.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda moment: backup_at(repository, moment, tmp_path / "small"), times))

    restic(repository, *RetentionPolicy().forget_args())

    kept = sorted(dt.datetime.fromisoformat(s["time"][:19]) for s in snapshots(repository))
    assert kept == sorted(expected_kept(times, RetentionPolicy()))
    assert len(kept) < len(times)


def backup_at(repository: Repository, moment: dt.datetime, folder: Path) -> None:
    restic(
        repository,
        "backup",
        "--tag",
        TAG,
        "--host",
        "ax41",
        "--time",
        f"{moment:%Y-%m-%d %H:%M:%S}",
        str(folder),
    )


def timeline(now: dt.datetime) -> list[dt.datetime]:
    """The fewest snapshots that cross every limit: 8 nights, 3 weeks before them, 11 months before those."""
    nightly = [now - dt.timedelta(days=d) for d in range(8)]
    weekly = [now - dt.timedelta(days=7 * w) for w in range(2, 5)]
    monthly = [_months_before(now, m).replace(day=3) for m in range(2, 13)]
    return nightly + weekly + monthly


def _months_before(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 - months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


def expected_kept(times: list[dt.datetime], policy: RetentionPolicy) -> set[dt.datetime]:
    """restic's documented rule: newest first, a snapshot is kept when it opens a new day/week/month bucket
    while that rule still has room."""
    rules = [
        (lambda t: t.date(), policy.daily),
        (lambda t: t.isocalendar()[:2], policy.weekly),
        (lambda t: (t.year, t.month), policy.monthly),
    ]
    kept: set[dt.datetime] = set()
    for bucket, count in rules:
        buckets: list[object] = []
        for moment in sorted(times, reverse=True):
            if len(buckets) < count and (not buckets or bucket(moment) != buckets[-1]):
                buckets.append(bucket(moment))
                kept.add(moment)
    return kept


# --- verification alone ---------------------------------------------------------------------------------


def test_verification_names_missing_and_changed_files_and_only_reports_unlisted_ones(tmp_path: Path):
    restored = tmp_path / "restore"
    for name, content in (("srv/same", b"same"), ("srv/changed", b"after"), ("srv/new", b"late")):
        (restored / name).parent.mkdir(parents=True, exist_ok=True)
        (restored / name).write_bytes(content)
    manifest = {
        "/srv/same": hashlib.sha256(b"same").hexdigest(),
        "/srv/changed": hashlib.sha256(b"before").hexdigest(),
        "/srv/gone": hashlib.sha256(b"gone").hexdigest(),
    }

    result = verify_restore(restored, manifest)

    assert (result.missing, result.mismatched) == (("/srv/gone",), ("/srv/changed",))
    assert result.unlisted == (str(restored / "srv/new"),)
    assert not result.ok
