"""The resources a program declares: `RemoteCommand` (a command on a host) and `RenderedFile` (a file on it).

Secrets: a command marked `secret` has its stdout and stderr encrypted in the state
(`additional_secret_outputs`) and never quoted in an error; environment values are inputs, so passing them as
secret Outputs keeps them encrypted too. A file marked `secret` has its content (an input) and its sha256 (an
output) encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from hetzner.remote.provider import RemoteCommandProvider, RenderedFileProvider
from hetzner.remote.ssh import SshTarget

DEFAULT_DRY_RUN_LOG = "/var/log/dezky/dry-run.log"


@dataclass(frozen=True)
class RemoteCommandArgs:
    connection: SshTarget
    create: pulumi.Input[str]
    update: pulumi.Input[str] | None = None
    delete: pulumi.Input[str] | None = None
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    #: any change replaces the resource: delete runs, then create runs again
    triggers: Sequence[pulumi.Input[Any]] = ()
    #: ours: any change re-runs `update` (or `create`) in place, without the delete a trigger implies
    reruns_on: Sequence[pulumi.Input[Any]] = ()
    stdin: pulumi.Input[str] | None = None
    #: check on the host and record what would run in `dry_run_log` instead of running it
    dry_run: bool = False
    dry_run_log: str = DEFAULT_DRY_RUN_LOG
    #: unit files on the host to verify before the command runs (or instead, in dry-run mode)
    units: Sequence[str] = ()
    secret: bool = False
    timeout_seconds: int = 1800


class RemoteCommand(Resource, module="hetzner", name="RemoteCommand"):
    stdout: pulumi.Output[str]
    stderr: pulumi.Output[str]

    def __init__(
        self, name: str, args: RemoteCommandArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "connection": args.connection.as_input(),
            "name": name,
            "create": args.create,
            "update": args.update,
            "delete": args.delete,
            "environment": dict(args.environment),
            "triggers": list(args.triggers),
            "reruns_on": list(args.reruns_on),
            "stdin": args.stdin,
            "dry_run": args.dry_run,
            "dry_run_log": args.dry_run_log,
            "units": list(args.units),
            "secret": args.secret,
            "timeout": args.timeout_seconds,
            "stdout": None,
            "stderr": None,
        }
        if args.secret:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["stdout", "stderr"])
            )
        super().__init__(RemoteCommandProvider(), name, props, opts)


@dataclass(frozen=True)
class RenderedFileArgs:
    connection: SshTarget
    path: str
    content: pulumi.Input[str]
    mode: int = 0o644
    secret: bool = False


class RenderedFile(Resource, module="hetzner", name="RenderedFile"):
    sha256: pulumi.Output[str]
    path: pulumi.Output[str]

    def __init__(self, name: str, args: RenderedFileArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        content = pulumi.Output.secret(args.content) if args.secret else args.content
        props = {
            "connection": args.connection.as_input(),
            "path": args.path,
            "content": content,
            "mode": f"{args.mode:04o}",
            "sha256": None,
        }
        if args.secret:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["sha256"])
            )
        super().__init__(RenderedFileProvider(), name, props, opts)
