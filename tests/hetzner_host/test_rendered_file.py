"""`RenderedFile`'s provider against a real sshd: written with its mode, read back honestly, adopted, removed."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from components.common.provider import ConflictError
from hetzner.remote.provider import RenderedFileProvider
from tests.fixtures.openssh import OpenSshServer


def file_props(openssh: OpenSshServer, path: Path, content: str, mode: str = "0640") -> dict[str, Any]:
    return {"connection": openssh.target.as_input(), "path": str(path), "content": content, "mode": mode}


def test_create_writes_content_and_mode_and_keeps_only_a_hash_in_the_outputs(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "etc" / "dezky" / "app.conf"

    created = files.create(file_props(openssh, path, "setting = 1\n"))

    assert path.read_text() == "setting = 1\n"
    assert oct(path.stat().st_mode & 0o7777) == "0o640"
    assert created.outs["sha256"] == hashlib.sha256(b"setting = 1\n").hexdigest()
    assert "content" not in created.outs


def test_read_after_create_matches_the_inputs_so_a_second_diff_is_empty(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = file_props(openssh, tmp_path / "a.conf", "x\n")
    created = files.create(props)

    read = files.read(created.id, created.outs)

    assert not files.diff(created.id, read.outs, props).changes


def test_read_reports_content_and_mode_edited_on_the_host(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "b.conf"
    props = file_props(openssh, path, "wanted\n")
    created = files.create(props)
    path.write_text("edited by hand\n")
    path.chmod(0o666)

    read = files.read(created.id, created.outs)
    diff = files.diff(created.id, read.outs, props)

    assert read.outs["sha256"] == hashlib.sha256(b"edited by hand\n").hexdigest()
    assert read.outs["mode"] == "0666"
    assert diff.changes and not diff.replaces


def test_update_puts_the_declared_content_back(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "c.conf"
    props = file_props(openssh, path, "wanted\n")
    created = files.create(props)
    path.write_text("drifted\n")

    files.update(created.id, files.read(created.id, created.outs).outs, props)

    assert path.read_text() == "wanted\n"


def test_read_of_a_deleted_file_drops_it_so_the_next_up_recreates_it(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "d.conf"
    created = files.create(file_props(openssh, path, "x\n"))
    path.unlink()

    assert files.read(created.id, created.outs).id is None


def test_an_identical_existing_file_is_adopted_and_left_in_place_on_delete(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "e.conf"
    path.write_text("already here\n")
    path.chmod(0o640)

    adopted = files.create(file_props(openssh, path, "already here\n"))
    files.delete(adopted.id, adopted.outs)

    assert path.read_text() == "already here\n"


def test_a_different_existing_file_is_not_overwritten(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "f.conf"
    path.write_text("someone else's\n")

    with pytest.raises(ConflictError, match="already exists with different content"):
        files.create(file_props(openssh, path, "ours\n"))
    assert path.read_text() == "someone else's\n"


def test_delete_removes_a_file_the_program_wrote(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    path = tmp_path / "g.conf"
    created = files.create(file_props(openssh, path, "x\n"))

    files.delete(created.id, created.outs)

    assert not path.exists()


def test_check_refuses_a_relative_path_and_a_bad_mode(files: RenderedFileProvider, openssh: OpenSshServer):
    result = files.check({}, {**file_props(openssh, Path("etc/x"), "x"), "mode": "0999"})

    assert {failure.property for failure in result.failures} == {"path", "mode"}


def test_files_written_at_once_into_one_new_folder_all_land(
    files: RenderedFileProvider, openssh: OpenSshServer, tmp_path: Path
):
    # The engine creates files in parallel; each write makes the missing folders on its way.
    folder = tmp_path / "etc" / "dezky" / "a" / "b" / "c" / "d"
    paths = [folder / f"{index}.conf" for index in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda path: files.create(file_props(openssh, path, f"{path.name}\n")), paths))

    assert [path.read_text() for path in paths] == [f"{path.name}\n" for path in paths]
