"""Which commit a run applies, as an operator of shared stacks expects it.

The engine records the git commit of every update in the stack's history (`git.head`, `git.dirty`), so the
history says which commit is live. On any environment but `dev`:
- an apply needs a clean checkout (what is applied is what is committed, and the history says so truly);
- an apply needs a checkout that contains the commit last deployed to the stack (never roll a stack back by
  running from an old branch);
`reconcile` repairs a tenant to what is deployed: it reads the tenant files of the deployed commit, never
uncommitted edits of the working tree.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from pulumi import automation as auto

from dezky.engine.guard import RunRefused
from dezky.engine.workspace import StackName

#: the environment whose stacks run from any checkout (loopback services, public passphrase)
FREE_ENVIRONMENT = "dev"


class CheckoutRefused(RunRefused):
    """The checkout may not be applied to this stack; nothing was applied."""


def git(repo: Path, *args: str) -> str | None:
    """The command's output, or None when it fails (not a repository, an unknown commit)."""
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    return result.stdout.rstrip() if result.returncode == 0 else None


def repository_root(path: Path) -> Path | None:
    top = git(path, "rev-parse", "--show-toplevel")
    return Path(top) if top else None


def deployed_commit(stack: auto.Stack) -> str | None:
    """The commit of the last update that succeeded on the stack, as the engine recorded it."""
    for update in stack.history(page_size=20):
        if update.kind == "update" and update.result == "succeeded":
            head = (update.environment or {}).get("git.head")
            if head:
                return head
    return None


def require_deployable(stack: auto.Stack, work_dir: Path) -> None:
    """Refuse to apply a dirty checkout, or one behind the deployed commit, to a stack outside `dev`."""
    if StackName.parse(stack.name).environment == FREE_ENVIRONMENT:
        return
    repo = repository_root(work_dir)
    if repo is None:
        raise CheckoutRefused(f"stack {stack.name} is applied only from a git checkout; {work_dir} is none")
    dirty = git(repo, "status", "--porcelain", "--untracked-files=no")
    if dirty:
        files = ", ".join(line[3:] for line in dirty.splitlines()[:5])
        raise CheckoutRefused(
            f"stack {stack.name} is applied only from a clean checkout; uncommitted changes: {files}. "
            "Commit them (and merge through review) or stash them first. Nothing was applied."
        )
    deployed = deployed_commit(stack)
    if deployed and git(repo, "merge-base", "--is-ancestor", deployed, "HEAD") is None:
        raise CheckoutRefused(
            f"this checkout does not contain {deployed[:12]}, the commit last deployed to stack {stack.name}; "
            "applying it would undo what is live. Pull (or rebase onto) the deployed commit first. "
            "Nothing was applied."
        )


@contextmanager
def deployed_tenant_files(stack: auto.Stack, folder: Path) -> Iterator[Path]:
    """The tenant folder as the deployed commit has it (HEAD before the first deployment); the folder itself
    when it lies outside any git repository (a scratch project)."""
    repo = repository_root(folder) if folder.is_dir() else None
    commit = (deployed_commit(stack) or git(repo, "rev-parse", "HEAD")) if repo else None
    if repo is None or commit is None:
        yield folder
        return
    inside = folder.resolve().relative_to(repo.resolve()).as_posix()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", inside], cwd=repo, capture_output=True, check=False
    )
    with tempfile.TemporaryDirectory(prefix="dezky-deployed-") as scratch:
        if archive.returncode == 0:
            with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
                tar.extractall(scratch, filter="data")
        target = Path(scratch) / inside
        target.mkdir(parents=True, exist_ok=True)
        yield target
