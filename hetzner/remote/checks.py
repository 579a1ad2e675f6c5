"""What is checked on the host before a command runs, and instead of running it in dry-run mode.

Scripts: `bash -n` on the host, with the host's own bash. Unit files: `systemd-analyze verify` when the host has
it (it parses the unit with the real systemd code and checks the binaries it starts); otherwise our own parser
below, which knows the sections and keys the units we render use and rejects anything else.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from hetzner.remote.ssh import SshSession

# A dry run installs no binaries, so a unit may start one that is not there yet; everything else counts.
_NOT_INSTALLED_YET = re.compile(r"Command .+ is not executable: No such file or directory")

_KNOWN_KEYS: dict[str, frozenset[str]] = {
    "Unit": frozenset(
        [
            "Description",
            "Documentation",
            "After",
            "Before",
            "Wants",
            "Requires",
            "BindsTo",
            "PartOf",
            "Conflicts",
            "OnFailure",
            "ConditionPathExists",
            "StartLimitIntervalSec",
            "StartLimitBurst",
        ]
    ),
    "Service": frozenset(
        [
            "Type",
            "ExecStart",
            "ExecStartPre",
            "ExecStartPost",
            "ExecReload",
            "ExecStop",
            "Restart",
            "RestartSec",
            "User",
            "Group",
            "Environment",
            "EnvironmentFile",
            "WorkingDirectory",
            "StateDirectory",
            "StateDirectoryMode",
            "LogsDirectory",
            "CacheDirectory",
            "RuntimeDirectory",
            "LoadCredential",
            "AmbientCapabilities",
            "CapabilityBoundingSet",
            "NoNewPrivileges",
            "ProtectSystem",
            "ProtectHome",
            "PrivateTmp",
            "PrivateDevices",
            "ProtectKernelTunables",
            "ProtectKernelModules",
            "ProtectControlGroups",
            "ReadWritePaths",
            "LimitNOFILE",
            "TimeoutStartSec",
            "TimeoutStopSec",
            "Nice",
            "IOSchedulingClass",
            "SuccessExitStatus",
            "KillMode",
            "UMask",
            "LockPersonality",
            "RestrictSUIDSGID",
        ]
    ),
    "Timer": frozenset(
        [
            "OnCalendar",
            "OnBootSec",
            "OnActiveSec",
            "OnUnitActiveSec",
            "Persistent",
            "RandomizedDelaySec",
            "AccuracySec",
            "Unit",
        ]
    ),
    "Install": frozenset(["WantedBy", "RequiredBy", "Alias", "Also"]),
}
_CHOICES = {
    "Type": {"simple", "exec", "forking", "oneshot", "notify", "dbus", "idle"},
    "Restart": {"no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog"},
}
_BOOLEANS = {"Persistent", "NoNewPrivileges", "PrivateTmp", "PrivateDevices", "LockPersonality"}


def script_problems(session: SshSession, path: str) -> list[str]:
    """`bash -n` of a script already on the host: its syntax errors, or nothing."""
    result = session.exec(f"bash -n {shlex.quote(path)}")
    if result.exit_status == 0:
        return []
    return [line for line in result.stderr.splitlines() if line.strip()] or [
        f"bash -n exited with {result.exit_status}"
    ]


def unit_problems(session: SshSession, paths: Sequence[str], *, dry_run: bool) -> list[str]:
    """Problems in unit files on the host, found by systemd-analyze when installed, else by `parse_unit`."""
    if not paths:
        return []
    if session.exec("command -v systemd-analyze").exit_status == 0:
        return _systemd_analyze(session, paths, dry_run=dry_run)
    problems = []
    for path in paths:
        content = session.read_file(path)
        problems += [f"{path}: missing"] if content is None else parse_unit(path, content.decode())
    return problems


def _systemd_analyze(session: SshSession, paths: Sequence[str], *, dry_run: bool) -> list[str]:
    result = session.exec("systemd-analyze verify " + " ".join(shlex.quote(p) for p in paths))
    names = [path.rsplit("/", 1)[-1] for path in paths]
    # It exits 0 on unknown keys and bad values (it only warns), so its messages are what counts; messages
    # about other units it loaded as dependencies are not ours to fix.
    lines = [line for line in result.stderr.splitlines() if any(name in line for name in names)]
    problems = [line for line in lines if not (dry_run and _NOT_INSTALLED_YET.search(line))]
    if result.exit_status != 0 and not lines:
        problems = result.stderr.splitlines() or [f"systemd-analyze verify exited with {result.exit_status}"]
    return problems


def parse_unit(path: str, text: str) -> list[str]:
    """A systemd unit file's problems: unknown sections or keys, bad choices, a service without ExecStart."""
    problems: list[str] = []
    section: str | None = None
    seen: dict[str, set[str]] = {}
    for number, raw in enumerate(_logical_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        where = f"{path}:{number}"
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            if section not in _KNOWN_KEYS:
                problems.append(f"{where}: unknown section [{section}]")
            seen.setdefault(section, set())
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if section is None or not equals:
            problems.append(f"{where}: expected Key=Value inside a [Section]")
            continue
        problems += _key_problems(where, section, key, value)
        seen[section].add(key)
    return problems + _missing_keys(path, seen)


def _logical_lines(text: str) -> list[str]:
    # A trailing backslash continues a line; join them so numbers stay close to the editor's.
    return text.replace("\\\n", " ").splitlines()


def _key_problems(where: str, section: str, key: str, value: str) -> list[str]:
    if section in _KNOWN_KEYS and key not in _KNOWN_KEYS[section]:
        return [f"{where}: unknown key {key} in [{section}]"]
    if key in _CHOICES and value not in _CHOICES[key]:
        return [f"{where}: {key}={value} is not one of {', '.join(sorted(_CHOICES[key]))}"]
    if key in _BOOLEANS and value.lower() not in {"yes", "no", "true", "false", "1", "0", "on", "off"}:
        return [f"{where}: {key}={value} is not a boolean"]
    if key.startswith("Exec") and not value.lstrip("-@:+!").startswith("/"):
        return [f"{where}: {key} needs an absolute path, not {value.split()[0] if value else 'nothing'}"]
    return []


def _missing_keys(path: str, seen: dict[str, set[str]]) -> list[str]:
    problems = []
    if "Service" in seen and "ExecStart" not in seen["Service"]:
        problems.append(f"{path}: [Service] has no ExecStart")
    if "Timer" in seen and not any(key.startswith("On") for key in seen["Timer"]):
        problems.append(f"{path}: [Timer] has no OnCalendar or other On... trigger")
    return problems
