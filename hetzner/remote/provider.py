"""The dynamic providers behind `RemoteCommand` and `RenderedFile` (see the package docstring for why ours).

Both read the SSH private key from the stack configuration in `configure`; it is never an input, so it is never
in the state. A provider holds no connection between calls: each call opens one and closes it.

`RemoteCommandProvider` follows pulumi-command's `remote.Command`: create/update/delete commands, triggers that
force a replacement, stdout and stderr as outputs. In dry-run mode it uploads the script, checks it on the host
(`bash -n`, unit files), appends one JSON line per would-be run to a log file on the host and returns that
record as stdout instead of running anything.

`RenderedFileProvider` is an `ObjectProvider`: the natural key is host + path, `read` returns the file's real
mode and sha256 so `pulumi refresh` sees edits made on the host, and the content is kept in the state only as
an input (encrypted when secret); outputs carry its sha256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import shlex
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.common.provider import PROVIDER_KEY, ObjectProvider
from hetzner.remote.checks import script_problems, unit_problems
from hetzner.remote.ssh import (
    RemoteError,
    SshCredentials,
    SshSession,
    SshTarget,
    connect,
    credentials_from_config,
    script_text,
    valid_env_name,
)

DRY_RUN_MARK = "DRY RUN, not executed"
# Inputs whose change re-runs nothing: they only say how to run, report or undo.
_QUIET_KEYS = frozenset({"name", "delete", "secret", "timeout", "dry_run_log"})
_REPLACE_KEYS = ("triggers",)
_OUTPUT_TAIL_LINES = 20


class RemoteCommandError(RemoteError):
    pass


class RemoteCommandProvider(ResourceProvider):
    credentials: SshCredentials

    def configure(self, req: ConfigureRequest) -> None:
        self.credentials = credentials_from_config(req.config)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        if not str(news.get("create") or "").strip():
            failures.append(CheckFailure("create", "a command needs a create command"))
        for name in news.get("environment") or {}:
            if not valid_env_name(name):
                failures.append(CheckFailure("environment", f"`{name}` is not a shell variable name"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = _changed_inputs(olds, news)
        return DiffResult(
            changes=bool(changed),
            replaces=[key for key in changed if key in _REPLACE_KEYS],
            # the old resource's delete command runs before the new one's create, as a rerun expects
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        stdout, stderr = self._execute(props, "create", props["create"], {})
        return CreateResult(secrets.token_hex(8), {**_inputs(props), "stdout": stdout, "stderr": stderr})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if not set(_changed_inputs(olds, news)) - _QUIET_KEYS:
            return UpdateResult({**_inputs(news), "stdout": olds.get("stdout"), "stderr": olds.get("stderr")})
        command = news.get("update") or news["create"]
        stdout, stderr = self._execute(news, "update", command, _previous_outputs(olds))
        return UpdateResult({**_inputs(news), "stdout": stdout, "stderr": stderr})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("delete"):
            self._execute(props, "delete", props["delete"], _previous_outputs(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # A command leaves nothing to read back; what it printed when it ran stays as it was.
        return ReadResult(id_, props)

    # --- running ----------------------------------------------------------------------------------

    def _execute(
        self, props: dict[str, Any], phase: str, command: str, extra_env: dict[str, str]
    ) -> tuple[str, str]:
        """Upload, check, then run (or, in dry-run mode, record); returns stdout and stderr."""
        target = SshTarget.from_input(props["connection"])
        environment = {**{k: str(v) for k, v in (props.get("environment") or {}).items()}, **extra_env}
        label = f"{target.label}: {phase} of {props.get('name')}"
        with (
            connect(target, self.credentials) as session,
            session.uploaded_script(script_text(command, environment)) as path,
        ):
            problems = script_problems(session, path)
            problems += unit_problems(
                session, list(props.get("units") or []), dry_run=bool(props.get("dry_run"))
            )
            if problems:
                raise RemoteCommandError(
                    f"{label} refused, checks failed:\n  " + "\n  ".join(_mask(problems, environment))
                )
            if props.get("dry_run"):
                return _record(session, props, phase, command, environment), ""
            stdin, timeout = str(props.get("stdin") or "").encode(), float(props.get("timeout") or 1800)
            result = session.exec(f"bash {shlex.quote(path)}", stdin, timeout)
        if result.exit_status != 0:
            raise RemoteCommandError(
                f"{label} exited with {result.exit_status}\n"
                + _output_for_message(props, result.stdout, result.stderr, environment)
            )
        return result.stdout.rstrip("\n"), result.stderr.rstrip("\n")


def _record(session: SshSession, props: dict[str, Any], phase: str, command: str, env: dict[str, str]) -> str:
    """Append what would run to the host's dry-run log; values of the environment are never written."""
    stdin = str(props.get("stdin") or "")
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": session.target.label,
        "resource": props.get("name"),
        "phase": phase,
        "command": command,
        "environment": sorted(env),
        "stdin_bytes": len(stdin.encode()),  # not even a hash: stdin may carry a secret
        "units_checked": list(props.get("units") or []),
    }
    log = str(props["dry_run_log"])
    session.append_file(log, (json.dumps(entry, sort_keys=True) + "\n").encode())
    return f"{DRY_RUN_MARK} ({phase} of {props.get('name')}); recorded in {log}:\n{command}"


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key not in (PROVIDER_KEY, "stdout", "stderr")}


def _changed_inputs(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    keys = (set(_inputs(olds)) | set(_inputs(news))) - {"stdout", "stderr"}
    return sorted(key for key in keys if olds.get(key) != news.get(key))


def _previous_outputs(props: dict[str, Any]) -> dict[str, str]:
    return {
        "PULUMI_COMMAND_STDOUT": str(props.get("stdout") or ""),
        "PULUMI_COMMAND_STDERR": str(props.get("stderr") or ""),
    }


def _output_for_message(props: dict[str, Any], stdout: str, stderr: str, env: dict[str, str]) -> str:
    if props.get("secret"):
        return "  (output not shown: this command's output is secret)"
    tail = (stderr.strip() or stdout.strip()).splitlines()[-_OUTPUT_TAIL_LINES:]
    return "\n".join("  " + line for line in _mask(tail, env))


def _mask(lines: list[str], env: dict[str, str]) -> list[str]:
    # Environment values may be secrets; a message never repeats one, whatever the command printed.
    values = sorted((v for v in env.values() if len(v) >= 4), key=len, reverse=True)
    masked = []
    for line in lines:
        for value in values:
            line = line.replace(value, "[secret]")
        masked.append(line)
    return masked


# --- files --------------------------------------------------------------------------------------------


class RenderedFileProvider(ObjectProvider):
    service = "host file"
    replace_keys = ("path",)
    secret_outputs = ("sha256",)

    def settings_from_config(self, config: Any) -> SshCredentials:
        return credentials_from_config(config)

    def object_id(self, props: dict[str, Any]) -> str:
        return f"{SshTarget.from_input(props['connection']).label}:{props['path']}"

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        content = props.get("content")
        digest = _sha256(content.encode()) if isinstance(content, str) else props.get("sha256")
        return {
            "connection": SshTarget.from_input(props["connection"]).as_input(),
            "path": str(props["path"]),
            "mode": _mode_text(props.get("mode", "0644")),
            "sha256": digest,
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        path = str(props.get("path", ""))
        if not path.startswith("/") or "/../" in path + "/":
            failures.append(CheckFailure("path", f"`{path}` is not an absolute path without `..`"))
        try:
            _mode_text(props.get("mode", "0644"))
        except ValueError:
            failures.append(CheckFailure("mode", f"`{props.get('mode')}` is not a file mode like 0644"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        target = SshTarget.from_input(props["connection"])
        with connect(target, self.settings) as session:
            mode = session.file_mode(props["path"])
            content = None if mode is None else session.read_file(props["path"])
        if mode is None or content is None:
            return None
        return {
            "connection": target.as_input(),
            "path": str(props["path"]),
            "mode": f"{mode:04o}",
            "sha256": _sha256(content),
            "created_by_program": bool(props.get("created_by_program")),
        }

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        target = SshTarget.from_input(props["connection"])
        with connect(target, self.settings) as session:
            session.write_file(
                props["path"], str(props["content"]).encode(), int(_mode_text(props["mode"]), 8)
            )
        return {**self.normalise(props), "created_by_program": True}

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        if not props.get("created_by_program"):
            return  # it was there, identical, before the program adopted it: it stays
        with connect(SshTarget.from_input(props["connection"]), self.settings) as session:
            session.remove_file(props["path"])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mode_text(mode: Any) -> str:
    value = int(mode, 8) if isinstance(mode, str) else int(mode)
    if not 0 <= value <= 0o7777:
        raise ValueError(mode)
    return f"{value:04o}"
