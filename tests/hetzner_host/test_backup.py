"""restic (Debian) through the host's own backup script, over SFTP to the local sshd standing in for both boxes.

The rendered `dezky-backup` script runs for real: its dump hook, manifest, backup to the "storage box"
repository, forget/prune, check, and `restic copy` to the "Helsinki" repository. Restores from each must give
back every generated file byte for byte; a repository damaged on purpose must be caught.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dezky.cli import app
from hetzner.backup import (
    MANIFEST_NAME,
    SUBSET_SLICES,
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
    rotating_subset,
    snapshots,
    valid_subset,
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


# --- the restore drill: what a restore on a new machine (no restic cache) would see ----------------------


def test_restore_drill_passes_an_intact_repository_without_reading_or_writing_the_cache(
    backed_up: BackedUp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(cache))

    result = drill(backed_up.plan.repository, tmp_path / "restore")

    assert result.exit_code == 0, result.output
    assert f"{len(backed_up.originals) + 1} file(s) verified" in result.output
    assert re.search(r"check --read-data-subset \d+/11: no errors", result.output), result.output
    assert list(cache.iterdir()) == []  # --no-cache: nothing read from or written to a cache


@dataclass(frozen=True)
class Damage:
    name: str
    #: flips one byte of, or deletes, one file of the repository folder; returns what it damaged
    apply: Callable[[Repository, Path], str]
    #: with the warm cache a plain `restic restore` still succeeds: the damage is what the cache hides
    hidden_by_cache: bool


def flip_byte(path: Path, offset: int) -> None:
    content = bytearray(path.read_bytes())
    content[offset] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(bytes(content))


def packs_by_type(repository: Repository) -> dict[str, list[tuple[str, dict]]]:
    """`tree` and `data` -> [(pack id, its first blob)], from the repository's index, read without the cache;
    a pack holds blobs of one type only. Largest packs first."""
    found: dict[str, list[tuple[str, dict, int]]] = {"tree": [], "data": []}
    for index_id in restic(repository, "list", "index", no_cache=True).split():
        index = json.loads(restic(repository, "cat", "index", index_id, no_cache=True))
        for pack in index["packs"]:
            blob = pack["blobs"][0]
            size = sum(b["length"] for b in pack["blobs"])
            found[blob["type"]].append((pack["id"], blob, size))
    return {
        kind: [(pid, blob) for pid, blob, _ in sorted(packs, key=lambda p: -p[2])]
        for kind, packs in found.items()
    }


def pack_file(root: Path, pack_id: str) -> Path:
    return root / "data" / pack_id[:2] / pack_id


def flip_in_pack(kind: str) -> Callable[[Repository, Path], str]:
    def apply(repository: Repository, root: Path) -> str:
        pack_id, blob = packs_by_type(repository)[kind][0]
        flip_byte(pack_file(root, pack_id), blob["offset"] + blob["length"] // 2)  # inside the blob itself
        return f"{kind} pack {pack_id}"

    return apply


def delete_pack(kind: str) -> Callable[[Repository, Path], str]:
    def apply(repository: Repository, root: Path) -> str:
        pack_id, _ = packs_by_type(repository)[kind][0]
        pack_file(root, pack_id).unlink()
        return f"{kind} pack {pack_id} (deleted)"

    return apply


def flip_in_folder(folder: str) -> Callable[[Repository, Path], str]:
    def apply(repository: Repository, root: Path) -> str:
        path = sorted((root / folder).iterdir())[0]
        flip_byte(path, path.stat().st_size // 2)
        return f"{folder}/{path.name}"

    return apply


DAMAGES = [
    Damage("tree-pack-byte", flip_in_pack("tree"), hidden_by_cache=True),
    Damage("index-byte", flip_in_folder("index"), hidden_by_cache=True),
    Damage("snapshot-byte", flip_in_folder("snapshots"), hidden_by_cache=True),
    Damage("data-pack-byte", flip_in_pack("data"), hidden_by_cache=False),
    Damage("tree-pack-missing", delete_pack("tree"), hidden_by_cache=True),
    Damage("data-pack-missing", delete_pack("data"), hidden_by_cache=False),
]


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda d: d.name)
def test_restore_drill_exits_4_on_damage_even_when_a_warm_cache_hides_it(
    backed_up: BackedUp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Damage
):
    # The host's situation: its restic cache was filled from the intact repository, which then got damaged.
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "cache"))
    repository, root = repository_copy(backed_up, tmp_path)
    restic(repository, "restore", "latest", "--target", str(tmp_path / "warm-up"))
    damaged = damage.apply(repository, root)

    plain = subprocess.run(
        repository.argv("restore", "latest", "--target", str(tmp_path / "cached"), "--verify"),
        capture_output=True, text=True, errors="replace", check=False,
    )  # fmt: skip
    result = drill(repository, tmp_path / "drill")

    if damage.hidden_by_cache:  # the premise: with the cache, restic itself does not notice the damage
        assert plain.returncode == 0, f"{damaged}: {plain.stderr}"
    assert result.exit_code == 4, f"{damaged}:\n{result.output}"
    assert "restore drill failed: the repository is damaged" in result.output
    assert "exited with 1" in result.output  # restic's own report follows
    assert "file(s) verified" not in result.output


def test_restore_drill_exits_3_when_the_repository_cannot_be_opened(backed_up: BackedUp, tmp_path: Path):
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not the password\n")
    main = backed_up.plan.repository

    bad_password = drill(Repository(main.location, str(wrong), main.sftp_command), tmp_path / "a")
    no_repository = drill(replace(main, location=f"sftp:storagebox:{tmp_path}/nothing-here"), tmp_path / "b")

    for result in (bad_password, no_repository):
        assert result.exit_code == 3, result.output
        assert "could not be reached, opened or locked" in result.output
    assert "wrong password" in bad_password.output


def test_restore_drill_exits_2_on_invalid_options_before_running_restic(backed_up: BackedUp, tmp_path: Path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "file").write_text("x")
    main = backed_up.plan.repository

    not_empty = drill(main, occupied)
    bad_subset = drill(main, tmp_path / "restore", "--read-data-subset", "all")

    assert (not_empty.exit_code, bad_subset.exit_code) == (2, 2), (not_empty.output, bad_subset.output)
    assert "not an empty folder" in not_empty.output and "expected n/t" in bad_subset.output


def test_rotating_subset_visits_every_slice_on_daily_weekly_and_monthly_schedules():
    start = dt.date(2026, 11, 30)
    for period in (1, 7, 14, 28, 30, 31):
        seen = {rotating_subset(start + dt.timedelta(days=period * run)) for run in range(SUBSET_SLICES)}
        assert seen == {f"{n}/{SUBSET_SLICES}" for n in range(1, SUBSET_SLICES + 1)}, period


@pytest.mark.parametrize(
    ("subset", "valid"),
    [("1/11", True), ("11/11", True), ("12/11", False), ("0/5", False), ("1/300", False), ("10%", True),
     ("2.5%", True), ("0%", False), ("101%", False), ("500M", True), ("0", False), ("all", False), ("", False)],
)  # fmt: skip
def test_read_data_subset_is_checked_as_restic_checks_it(subset: str, valid: bool):
    assert valid_subset(subset) is valid


def test_restore_drill_exits_5_when_the_restored_files_do_not_match_the_manifest(
    backed_up: BackedUp, tmp_path: Path
):
    repository = Repository(str(tmp_path / "repo"), backed_up.plan.repository.password_file)
    restic(repository, "init")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "file").write_text("as restored")
    without_manifest = restic(repository, "backup", str(staging))
    first = drill(repository, tmp_path / "first")
    wrong = hashlib.sha256(b"as written at backup time").hexdigest()
    (staging / MANIFEST_NAME).write_bytes(f"{wrong}  {staging / 'file'}\0".encode())
    restic(repository, "backup", str(staging))
    second = drill(repository, tmp_path / "second")

    assert without_manifest and (first.exit_code, second.exit_code) == (5, 5), (first.output, second.output)
    assert f"expected one {MANIFEST_NAME} in the restored snapshot, found 0" in first.output
    assert f"differs: {staging / 'file'}" in second.output
    assert "verification failed: 0 missing, 1 differ of 1 file(s)" in second.output


def drill(repository: Repository, target: Path, *extra: str):
    options = ["--repository", repository.location, "--password-file", repository.password_file]
    options += ["--target", str(target), *extra]
    options += ["--sftp-command", repository.sftp_command] if repository.sftp_command else []
    return CliRunner().invoke(app, ["restore-drill", *options])


def repository_copy(backed_up: BackedUp, tmp_path: Path) -> tuple[Repository, Path]:
    """A copy of the storage box repository (same id, so it shares a restic cache with it), and its folder."""
    copy = tmp_path / "copy"
    shutil.copytree(backed_up.sftp_root / "storagebox", copy)
    main = backed_up.plan.repository
    return Repository(f"sftp:storagebox:{copy}", main.password_file, main.sftp_command), copy


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
