"""The edit every review test renders: acme, provisioned, then changed in each way a review must show."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from pulumi import automation as auto

from dezky.engine import runner
from dezky.engine.workspace import ROOT
from tests.e2e.conftest import Project

TENANT = ROOT / "tenants" / "acme.yaml"
GOLDEN = Path(__file__).parent / "golden" / "acme_edit_preview.json"

NEW_USER = """  - email: lena.bauer@acme-werkzeuge.de
    name: Lena Bauer
    quota: 5GiB
"""


def edit_acme(project: Project) -> None:
    """A quota raised, a user added and a file space (customer data) removed."""
    path = project.tenant_file("acme")
    text = path.read_text()
    text = text.replace("    quota: 10GiB\n", "    quota: 20GiB\n" + NEW_USER, 1)
    text = re.sub(r"(?ms)^files:\n.*?(?=^branding:)", "", text)
    path.write_text(text)


def preview_events(project: Project) -> list[auto.EngineEvent]:
    """The preview's events; the policy pack refuses the removed space, so the engine reports a failure."""
    events: list[auto.EngineEvent] = []
    with pytest.raises(auto.CommandError, match="data-not-deleted"):
        runner.preview("dev", replace(project.options, on_event=events.append))
    return events
