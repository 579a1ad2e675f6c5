"""Where the engine runs: the project folder, the locally built CLI, the state backend and stacks.

By default everything stays offline: a file backend under `.state/`, passphrase secrets, no update checks and no
plugin downloads (the CLI and the Python dynamic-provider plugin are on PATH from `.tools/bin`).
`PULUMI_BACKEND_URL` (an `s3://` bucket, see `dezky/engine/backend.py`) puts the state where every machine
finds it.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from pulumi import automation as auto

from dezky.engine.backend import backend_url, file_folder, is_file_backend

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
TOOLS_BIN = TOOLS / "bin"
PROJECT = "dezky"
#: the platform's policy pack (pulumi-policy), passed to every preview and up
POLICY_PACK = ROOT / "policy"

# The dev stack runs only on loopback with throw-away data; its passphrase protects nothing real and is
# public so that a fresh clone can run `make preview`. Other stacks take PULUMI_CONFIG_PASSPHRASE from the
# operator's environment.
DEV_PASSPHRASE = "dezky-dev-stack-local-only"


class EngineNotInstalled(RuntimeError):
    pass


@dataclass(frozen=True)
class StackName:
    """`dev` (every tenant and the estate), `dev.acme` (one tenant) or `dev.estate` (the estate alone)."""

    environment: str
    part: str | None = None

    @classmethod
    def parse(cls, name: str) -> StackName:
        environment, _, part = name.partition(".")
        return cls(environment, part or None)

    @property
    def tenant(self) -> str | None:
        return None if self.part in (None, "estate") else self.part

    @property
    def includes_estate(self) -> bool:
        return self.part in (None, "estate")

    def includes_tenant(self, slug: str) -> bool:
        return self.part is None or self.part == slug

    def __str__(self) -> str:
        return self.environment if self.part is None else f"{self.environment}.{self.part}"


def state_path(state_dir: Path | None = None) -> Path:
    """The file backend's folder: the one given, else that of a `file://` `PULUMI_BACKEND_URL`, else
    `DEZKY_STATE_DIR`, else `.state/` in the project."""
    if state_dir is not None:
        return state_dir
    configured = os.environ.get("PULUMI_BACKEND_URL", "").strip()
    if configured and is_file_backend(configured):
        return file_folder(configured)
    return Path(os.environ.get("DEZKY_STATE_DIR", ROOT / ".state"))


def state_backend(state_dir: Path | None = None) -> str:
    """The backend URL a run uses: a file backend in the folder given; else `PULUMI_BACKEND_URL` (`file://`
    or `s3://`); else the file backend in `DEZKY_STATE_DIR` or `.state/`."""
    return backend_url(state_dir, Path(os.environ.get("DEZKY_STATE_DIR", ROOT / ".state")))


def pulumi_home() -> Path:
    """The CLI's home: its plugin cache (the policy analyzer) and workspaces, inside the project's tools."""
    return TOOLS / "pulumi-home"


AUTOMATIC_LOGS_OFF = """The Pulumi CLI writes a debug log of every command under $PULUMI_HOME/logs (about 13 MB and a
third of its CPU per operation at 50 tenants). dezky turns it off by keeping this file where that folder would
be: the CLI cannot create the folder and goes on without logging ("automatic logging unavailable").
For a debugging session, run dezky with DEZKY_CLI_LOGS=1: the file goes and the CLI logs again.
"""


def switch_off_automatic_cli_logs(home: Path) -> None:
    """The CLI has no switch for its automatic debug log (v3.260 `logging.StartLogging`); a file in the place of
    its folder makes the log unavailable, which the CLI treats as a warning and runs on."""
    logs = home / "logs"
    if os.environ.get("DEZKY_CLI_LOGS") == "1":
        if logs.is_file():
            logs.unlink()
        return
    if logs.is_dir():
        shutil.rmtree(logs)
    if not logs.exists():
        home.mkdir(parents=True, exist_ok=True)
        logs.write_text(AUTOMATIC_LOGS_OFF)


def engine_env(stack: StackName, state_dir: Path | None = None) -> dict[str, str]:
    """Environment for the Pulumi CLI and its plugins (the policy pack reads the backend from it too)."""
    backend = state_backend(state_dir)
    if is_file_backend(backend):
        file_folder(backend).mkdir(parents=True, exist_ok=True)
    home = pulumi_home()
    switch_off_automatic_cli_logs(home)
    env = {
        "PULUMI_BACKEND_URL": backend,
        # The file backend rewrites the whole state after every step: with 2,600 resources that is most of an
        # up's time (the CLI's CPU, O(n²)). It saves once, at the end, instead; also when the run fails. Only a
        # killed CLI loses the record of what it did, and the rerun adopts those objects by their natural keys
        # (components/common/provider.py), so it converges all the same.
        "PULUMI_SKIP_CHECKPOINTS": os.environ.get("PULUMI_SKIP_CHECKPOINTS", "true"),
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PATH": os.pathsep.join(
            [str(TOOLS_BIN), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
        ),
    }
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if passphrase is None and stack.environment == "dev":
        passphrase = DEV_PASSPHRASE
    if passphrase is not None:
        env["PULUMI_CONFIG_PASSPHRASE"] = passphrase
    return env


def pulumi_command() -> auto.PulumiCommand:
    if not (TOOLS_BIN / "pulumi").exists():
        raise EngineNotInstalled("the Pulumi CLI is not built yet; run `make engine` (scripts/build-pulumi)")
    return auto.PulumiCommand(root=str(TOOLS), skip_version_check=True)
