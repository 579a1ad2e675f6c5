"""One SSH connection to a host: run a script, read and write files. paramiko only, no Pulumi.

The private key never travels as a resource input: providers read it from the stack configuration
(`dezky:hostSshPrivateKey`, set with `--secret`) in their configure step. The host's public key is an input
and is checked on every connection; an unknown or changed host key is refused, never accepted on first use.

A script is uploaded over SFTP into a fresh private folder and run with `bash FILE`, so environment values
(which may be secret) appear neither on a command line the host's process list shows nor in any log.
"""

from __future__ import annotations

import base64
import io
import re
import secrets
import shlex
import stat
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import paramiko
import stamina

PRIVATE_KEY_CONFIG = "dezky:hostSshPrivateKey"
CONNECT_TIMEOUT = 15.0
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RemoteError(Exception):
    """Something on the host went wrong: names the host and what was being done."""


@dataclass(frozen=True)
class SshTarget:
    """Where to connect. `host_key` is the host's public key, `ssh-ed25519 AAAA...` (a known_hosts line works)."""

    host: str
    port: int = 22
    user: str = "root"
    host_key: str = ""

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def as_input(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "user": self.user, "host_key": self.host_key}

    @classmethod
    def from_input(cls, value: Mapping[str, Any]) -> SshTarget:
        return cls(str(value["host"]), int(value.get("port", 22)), str(value.get("user", "root")),
                   str(value.get("host_key", "")).strip())  # fmt: skip


@dataclass(frozen=True)
class SshCredentials:
    private_key: str = field(repr=False)


def credentials_from_config(config: Any) -> SshCredentials:
    return SshCredentials(config.require(PRIVATE_KEY_CONFIG))


@dataclass(frozen=True)
class CommandResult:
    exit_status: int
    stdout: str
    stderr: str


def valid_env_name(name: str) -> bool:
    return bool(_ENV_NAME.match(name))


def script_text(command: str, environment: Mapping[str, str]) -> str:
    """The file a command runs from: exports first, then the command exactly as declared."""
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(environment.items()))
    return exports + command + "\n"


class SshSession:
    def __init__(self, client: paramiko.SSHClient, target: SshTarget) -> None:
        self._client, self.target = client, target
        self._sftp: paramiko.SFTPClient | None = None

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            self._sftp = self._client.open_sftp()
        return self._sftp

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        self._client.close()

    # --- commands ---------------------------------------------------------------------------------

    def exec(self, command: str, stdin: bytes = b"", timeout: float = 60.0) -> CommandResult:
        """Run one command line; stdout and stderr are drained in parallel so neither can block the other."""
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise RemoteError(f"{self.target.label}: the SSH connection is closed")
        channel = transport.open_session()
        channel.exec_command(command)
        # The watchdog closes the channel when the time is up; the reads below then end.
        watchdog = threading.Timer(timeout, channel.close)
        watchdog.start()
        try:
            errors: list[bytes] = []
            reader = threading.Thread(target=lambda: errors.append(channel.makefile_stderr("rb").read()))
            writer = threading.Thread(target=_feed, args=(channel, stdin))
            reader.start()
            writer.start()
            out = channel.makefile("rb").read()
            reader.join()
            writer.join()
            timed_out = not watchdog.is_alive()
            status = -1 if timed_out else channel.recv_exit_status()
        finally:
            watchdog.cancel()
            channel.close()
        if timed_out:
            raise RemoteError(
                f"{self.target.label}: `{_short(command)}` did not finish within {timeout:.0f}s"
            )
        return CommandResult(status, out.decode(errors="replace"), b"".join(errors).decode(errors="replace"))

    @contextmanager
    def uploaded_script(self, text: str) -> Iterator[str]:
        """The script in a fresh folder only the login user can read; removed afterwards."""
        folder = f"/tmp/dezky-run-{secrets.token_hex(8)}"
        self.sftp.mkdir(folder, 0o700)  # fails if it exists: nobody can have planted it
        path = f"{folder}/run.sh"
        try:
            self.write_file(path, text.encode(), 0o600, atomic=False)
            yield path
        finally:
            with suppress(OSError):
                self.sftp.remove(path)
            with suppress(OSError):
                self.sftp.rmdir(folder)

    def run_script(self, text: str, stdin: bytes = b"", timeout: float = 600.0) -> CommandResult:
        with self.uploaded_script(text) as path:
            return self.exec(f"bash {shlex.quote(path)}", stdin, timeout)

    # --- files ------------------------------------------------------------------------------------

    def file_mode(self, path: str) -> int | None:
        try:
            attributes = self.sftp.stat(path)
        except FileNotFoundError:
            return None
        if attributes.st_mode is None or not stat.S_ISREG(attributes.st_mode):
            raise RemoteError(f"{self.target.label}: {path} exists and is not a regular file")
        return stat.S_IMODE(attributes.st_mode)

    def read_file(self, path: str) -> bytes | None:
        try:
            with self.sftp.open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def write_file(self, path: str, content: bytes, mode: int, *, atomic: bool = True) -> None:
        """Write and chmod; atomic writes go to a temporary name first so a reader never sees half a file."""
        self.make_dirs(path.rsplit("/", 1)[0] or "/")
        target = f"{path}.dezky-{secrets.token_hex(4)}" if atomic else path
        with self.sftp.open(target, "wb") as handle:
            self.sftp.chmod(target, mode)  # before the content arrives: a secret is never world-readable
            handle.write(content)
        if atomic:
            self.sftp.posix_rename(target, path)

    def append_file(self, path: str, content: bytes, mode: int = 0o600) -> None:
        self.make_dirs(path.rsplit("/", 1)[0] or "/")
        with self.sftp.open(path, "ab") as handle:
            handle.write(content)
        self.sftp.chmod(path, mode)

    def remove_file(self, path: str) -> None:
        with suppress(FileNotFoundError):
            self.sftp.remove(path)

    def make_dirs(self, folder: str) -> None:
        current = ""
        for part in folder.strip("/").split("/"):
            current += "/" + part
            try:
                self.sftp.stat(current)
            except FileNotFoundError:
                self._make_dir(current)

    def _make_dir(self, folder: str) -> None:
        try:
            self.sftp.mkdir(folder, 0o755)
        except OSError as failure:
            # The engine writes several files at once: another write may have made the folder in between.
            try:
                made = stat.S_ISDIR(self.sftp.stat(folder).st_mode or 0)
            except OSError:
                made = False
            if not made:
                raise failure from None


def _feed(channel: paramiko.Channel, data: bytes) -> None:
    with suppress(OSError, EOFError):
        if data:
            channel.sendall(data)
        channel.shutdown_write()


def _short(command: str) -> str:
    return command if len(command) <= 60 else command[:57] + "..."


@contextmanager
def connect(target: SshTarget, credentials: SshCredentials) -> Iterator[SshSession]:
    session = SshSession(_open_client(target, credentials), target)
    try:
        yield session
    finally:
        session.close()


def _is_transient(exc: Exception) -> bool:
    # A refused or dropped connection (sshd's MaxStartups under parallel Pulumi steps) is retried; a wrong key
    # or host key is not: retrying cannot fix it.
    if isinstance(exc, paramiko.AuthenticationException | paramiko.BadHostKeyException):
        return False
    return isinstance(exc, OSError | EOFError | paramiko.SSHException)


@stamina.retry(on=_is_transient, attempts=5, timeout=60.0)
def _open_client(target: SshTarget, credentials: SshCredentials) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    key_type, key = host_public_key(target)
    known_as = target.host if target.port == 22 else f"[{target.host}]:{target.port}"
    client.get_host_keys().add(known_as, key_type, key)
    client.connect(
        target.host,
        port=target.port,
        username=target.user,
        pkey=private_key(credentials.private_key),
        look_for_keys=False,
        allow_agent=False,
        timeout=CONNECT_TIMEOUT,
        banner_timeout=CONNECT_TIMEOUT,
        auth_timeout=CONNECT_TIMEOUT,
    )
    return client


def host_public_key(target: SshTarget) -> tuple[str, paramiko.PKey]:
    parsed = public_key_fields(target.host_key)
    if parsed is None:
        raise RemoteError(f"{target.label}: no host key given; pass the host's public key (ssh-keyscan)")
    key_type, blob = parsed
    return key_type, paramiko.PKey.from_type_string(key_type, base64.b64decode(blob))


def public_key_fields(text: str) -> tuple[str, str] | None:
    """(type, base64) from `type base64`, `type base64 comment` or a known_hosts line `host type base64`."""
    words = text.split()
    starts = [i for i, word in enumerate(words[:-1]) if word.startswith(("ssh-", "ecdsa-", "sk-"))]
    return (words[starts[0]], words[starts[0] + 1]) if starts else None


def private_key(text: str) -> paramiko.PKey:
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise RemoteError(
        "the SSH private key in the stack configuration is not an unencrypted ed25519/ECDSA/RSA key"
    )
