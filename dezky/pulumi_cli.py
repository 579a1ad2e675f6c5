"""`dezky pulumi ARGS...`: the real Pulumi CLI (`.tools/bin/pulumi`) with this project's engine settings.

The same backend (the file backend in `.state/`, or the `PULUMI_BACKEND_URL` the operator exported), the same
`PULUMI_HOME`, no update checks or plugin downloads, and the dev stack's public passphrase when the stack is
`dev` or `dev.<part>` and `PULUMI_CONFIG_PASSPHRASE` is not set, exactly as `dezky up` runs the engine. So
`dezky pulumi stack output --stack dev`, `dezky pulumi state ...` and `dezky pulumi import ...` act on the
stacks `dezky` drives. Every argument goes to pulumi untouched; its exit status is ours.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from dezky.engine.workspace import ROOT, TOOLS_BIN, StackName, engine_env


class PulumiNotBuilt(RuntimeError):
    pass


def stack_argument(args: Sequence[str]) -> str | None:
    """The value of `--stack X`, `--stack=X`, `-s X` or `-sX` among pulumi's arguments, if any."""
    for index, arg in enumerate(args):
        if arg == "--":
            return None
        if arg in ("--stack", "-s") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--stack="):
            return arg.removeprefix("--stack=")
        if arg.startswith("-s") and len(arg) > 2 and not arg.startswith("--"):
            return arg[2:]
    return None


def pulumi_environment(args: Sequence[str], state_dir: Path | None = None) -> dict[str, str]:
    """The process environment for the CLI: the caller's, with the engine's settings over it (`engine_env`
    already honours an exported `PULUMI_BACKEND_URL`, `PULUMI_HOME` and `PULUMI_CONFIG_PASSPHRASE`)."""
    engine = engine_env(StackName.parse(stack_argument(args) or "dev"), state_dir)
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE") and not os.environ.get("PULUMI_CONFIG_PASSPHRASE"):
        engine.pop("PULUMI_CONFIG_PASSPHRASE", None)  # the operator's file wins; the CLI refuses both at once
    return {**os.environ, **engine}


def run_pulumi(args: Sequence[str], *, work_dir: Path = ROOT, state_dir: Path | None = None) -> int:
    """Run `pulumi ARGS` in the project folder and return its exit status."""
    binary = TOOLS_BIN / "pulumi"
    if not binary.exists():
        raise PulumiNotBuilt("the Pulumi CLI is not built yet; run `make engine` (scripts/build-pulumi)")
    env = pulumi_environment(args, state_dir)
    # In the project folder, so Pulumi.yaml and stacks/ are found wherever the operator stands.
    return subprocess.call([str(binary), *args], cwd=work_dir, env=env)
