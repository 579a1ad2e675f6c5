"""The CI workflows are valid GitHub Actions and do what the process relies on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from dezky.engine.workspace import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_every_workflow_validates_against_the_github_workflow_schema():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert {path.name for path in FILES} >= {"pr.yml", "deploy.yml", "drift.yml"}
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploys_run_one_at_a_time_and_are_never_cancelled():
    deploy = workflow("deploy.yml")

    assert deploy["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert "dezky up --stack prod" in str(deploy["jobs"])


def test_pull_requests_post_the_review_of_their_changed_tenants():
    steps = str(workflow("pr.yml")["jobs"])

    assert "dezky review --stack prod --changed-since origin/main --format markdown" in steps
    assert "gh pr comment" in steps


def test_drift_check_previews_with_refresh_and_shares_the_deploy_lock():
    drift = workflow("drift.yml")

    assert "--refresh --exit-code" in str(drift["jobs"])
    assert drift["concurrency"]["group"] == "deploy-prod"
