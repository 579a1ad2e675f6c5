"""The CI workflows, for GitHub Actions (.github/workflows) and Forgejo Actions (.forgejo/workflows), are valid
and do what the process relies on: previews with read-only credentials, applies only on merge, shared state.

Forgejo Actions reads the same workflow syntax as GitHub Actions, so check-jsonschema's vendored
github-workflow schema validates both folders.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dezky.engine.backend import S3Location
from dezky.engine.workspace import ROOT

FOLDERS = {"github": ROOT / ".github" / "workflows", "forgejo": ROOT / ".forgejo" / "workflows"}
PLATFORMS = sorted(FOLDERS)
NAMES = {"pr.yml", "deploy.yml", "drift.yml"}
STATE_BUCKET = (
    "s3://dezky-pulumi-state?endpoint=https://fsn1.your-objectstorage.com&region=fsn1&s3ForcePathStyle=true"
)


def workflow(platform: str, name: str) -> dict[str, Any]:
    return yaml.safe_load((FOLDERS[platform] / name).read_text())


def triggers(document: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True
    return document.get("on", document.get(True))


def jobs(platform: str, name: str) -> list[dict[str, Any]]:
    return list(workflow(platform, name)["jobs"].values())


def labels(job: dict[str, Any]) -> set[str]:
    runs_on = job["runs-on"]
    return {runs_on} if isinstance(runs_on, str) else set(runs_on)


def test_every_workflow_of_both_platforms_validates_against_the_github_workflow_schema() -> None:
    files = sorted(path for folder in FOLDERS.values() for path in folder.glob("*.yml"))
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )

    for folder in FOLDERS.values():
        assert {path.name for path in folder.glob("*.yml")} >= NAMES, folder
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pull_requests_preview_on_the_review_runner_with_read_only_credentials(platform: str) -> None:
    pr = workflow(platform, "pr.yml")
    text = (FOLDERS[platform] / "pr.yml").read_text()

    assert set(triggers(pr)) == {"pull_request"}  # never pull_request_target: a PR runs with its own code
    for job in jobs(platform, "pr.yml"):
        assert labels(job) & {"dezky-review"} and "dezky-deploy" not in labels(job)
        assert job["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.STATE_READ_ACCESS_KEY_ID }}"
        assert job.get("environment") == ("review" if platform == "github" else None)
    assert "STATE_WRITE" not in text and "environment: prod" not in text
    assert "dezky up" not in text and "dezky review --stack prod --changed-since origin/main" in text


@pytest.mark.parametrize("platform", PLATFORMS)
def test_applies_run_only_on_merge_one_at_a_time_with_the_deploy_credentials(platform: str) -> None:
    deploy = workflow(platform, "deploy.yml")

    assert triggers(deploy) == {"push": {"branches": ["main"]}}
    assert deploy["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    (job,) = jobs(platform, "deploy.yml")
    assert "dezky-deploy" in labels(job)
    assert job["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.STATE_WRITE_ACCESS_KEY_ID }}"
    assert "dezky up --stack prod" in str(job["steps"])
    if platform == "github":  # the environment's branch rule keeps its secrets to main
        assert job["environment"] == "prod"
    else:  # Forgejo: only the deploy repository (a mirror of main) has the deploy runner and secrets
        assert job["if"] == "github.repository == vars.DEZKY_DEPLOY_REPOSITORY"
    for name in NAMES - {"deploy.yml"}:
        assert "STATE_WRITE" not in (FOLDERS[platform] / name).read_text(), name


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_workflow_uses_the_state_bucket_and_no_runner_local_state(platform: str) -> None:
    for name in NAMES:
        text = (FOLDERS[platform] / name).read_text()
        assert "DEZKY_STATE_DIR" not in text, name
        for job in jobs(platform, name):
            assert job["env"]["PULUMI_BACKEND_URL"] == STATE_BUCKET, name
            assert job["env"]["AWS_SECRET_ACCESS_KEY"].startswith("${{ secrets.STATE_"), name
    location = S3Location.parse(STATE_BUCKET)
    assert (location.bucket, location.endpoint, location.path_style) == (
        "dezky-pulumi-state",
        "https://fsn1.your-objectstorage.com",
        True,
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_drift_check_previews_with_refresh_read_only_and_shares_the_deploy_lock(platform: str) -> None:
    drift = workflow(platform, "drift.yml")

    assert "--refresh --exit-code" in str(drift["jobs"])
    assert drift["concurrency"]["group"] == "deploy-prod"
    assert "schedule" in triggers(drift)
    for job in jobs(platform, "drift.yml"):
        assert "dezky-deploy" not in labels(job)


def test_pull_requests_post_the_review_of_their_changed_tenants() -> None:
    assert "gh pr comment" in str(workflow("github", "pr.yml")["jobs"])
    assert "/issues/$PR/comments" in str(workflow("forgejo", "pr.yml")["jobs"])  # Forgejo's API
