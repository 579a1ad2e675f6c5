"""Which tenants a change touches: tenant files that differ from a git ref, named by their file's stem.

`dezky review --changed-since REF` previews the whole stack and keeps only these tenants, rather than
previewing per-tenant stacks (`dev.acme`): a per-tenant stack has its own state, so on a project that runs one
stack per environment it would show every object of the tenant as new. One preview of the real stack shows
exactly what `up` on that stack would do.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from dezky.review.model import Review

TENANT_SUFFIXES = (".yaml", ".yml")


class GitFailed(RuntimeError):
    pass


def changed_tenants(ref: str, repo: Path, folder: str = "tenants") -> set[str]:
    """Slugs whose file was added, edited or removed since `ref` (a removed file is a tenant going away)."""
    result = subprocess.run(
        ["git", "diff", "--name-only", ref, "--", f"{folder}/"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise GitFailed(f"git diff --name-only {ref} failed: {result.stderr.strip()}")
    paths = (Path(line) for line in result.stdout.splitlines() if line.strip())
    return {path.stem for path in paths if path.suffix in TENANT_SUFFIXES}


def only_tenants(review: Review, slugs: set[str]) -> Review:
    """The changes of these tenants; a data-loss change anywhere else stays, since hiding one would be worse."""
    kept = tuple(c for c in review.changes if c.tenant in slugs or c.warning is not None)
    return replace(review, changes=kept, hidden=len(review.changes) - len(kept))
