"""Which tenants a change touches: tenant files that differ from a git ref's merge-base, named by their stem;
every tenant when the change touches anything else the program is made of (code, stacks, dependencies).

`dezky review --changed-since REF` previews the whole stack and keeps only these tenants, rather than
previewing per-tenant stacks (`dev.acme`): a per-tenant stack has its own state, so on a project that runs one
stack per environment it would show every object of the tenant as new. One preview of the real stack shows
exactly what `up` on that stack would do.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from dezky.review.model import Review

TENANT_SUFFIXES = (".yaml", ".yml")


#: paths whose change cannot change what the program does: docs, tests, benchmarks, CI definitions
INERT_PREFIXES = ("tests/", "benchmarks/", "docs/", ".github/", ".forgejo/", ".ci/")
INERT_SUFFIXES = (".md",)
INERT_FILES = frozenset({".gitignore", "LICENSE"})


class GitFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class ChangeScope:
    """What a change can affect: the tenants whose files it touches, or every tenant when it touches code,
    configuration or dependencies (`because` names the first such path)."""

    tenants: frozenset[str] = frozenset()
    every_tenant: bool = False
    because: str = ""


def change_scope(ref: str, repo: Path, folder: str = "tenants") -> ChangeScope:
    """What changed since the merge-base of `ref` and HEAD, in the working tree: a branch is compared with the
    point it left `ref`, so commits that landed on `ref` since then are not its changes."""
    base = _git(repo, "merge-base", ref, "HEAD").strip()
    paths = [line for line in _git(repo, "diff", "--name-only", base).splitlines() if line.strip()]
    paths += [line for line in _git(repo, "ls-files", "--others", "--exclude-standard").splitlines() if line]
    tenant_files = {Path(p) for p in paths if p.startswith(f"{folder}/")}
    code = next((p for p in paths if not p.startswith(f"{folder}/") and not _inert(p)), "")
    slugs = frozenset(path.stem for path in tenant_files if path.suffix in TENANT_SUFFIXES)
    return ChangeScope(tenants=slugs, every_tenant=bool(code), because=code)


def changed_tenants(ref: str, repo: Path, folder: str = "tenants") -> set[str]:
    """Slugs whose file was added, edited or removed since the merge-base with `ref`."""
    return set(change_scope(ref, repo, folder).tenants)


def _inert(path: str) -> bool:
    return path.startswith(INERT_PREFIXES) or path.endswith(INERT_SUFFIXES) or path in INERT_FILES


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitFailed(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def only_tenants(review: Review, slugs: set[str]) -> Review:
    """The changes of these tenants; a data-loss change anywhere else stays, since hiding one would be worse."""
    kept = tuple(c for c in review.changes if c.tenant in slugs or c.warning is not None)
    return replace(review, changes=kept, hidden=len(review.changes) - len(kept))
