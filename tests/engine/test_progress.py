"""On a terminal a long apply shows resources done of those planned and the tenant at hand; without a
terminal it applies only with --yes."""

from __future__ import annotations

import io

import pytest
import typer
from pulumi import automation as auto

from dezky.engine.cli import plan_confirmation
from dezky.engine.progress import ApplyProgress

URN = "urn:pulumi:dev::dezky::dezky:tenant:Tenant$dezky:authentik:TenantIdentity$pulumi-python:dynamic/authentik:User"


def finished(op: str, name: str, type_: str = "pulumi-python:dynamic/authentik:User") -> auto.EngineEvent:
    metadata = {"op": op, "urn": f"{URN}::{name}", "type": type_, "provider": ""}
    return auto.EngineEvent.from_json({"resOutputsEvent": {"metadata": metadata}})


def test_progress_counts_applied_changes_of_the_plan_and_names_the_tenant():
    stream = io.StringIO()
    progress = ApplyProgress(stream)
    progress.planned({"create": 2, "update": 1})

    progress.on_event(finished("create", "acme:user:a@acme.de"))
    progress.on_event(finished("same", "acme:user:b@acme.de"))
    progress.on_event(finished("update", "nordlicht:user:c@nordlicht.de"))
    progress.finish()

    lines = stream.getvalue().split("\r")
    assert lines[1].rstrip() == "1/3 resources applied; now: acme"
    assert lines[2].rstrip() == "2/3 resources applied; now: nordlicht"
    assert stream.getvalue().endswith("\n")


def test_without_a_terminal_an_apply_needs_yes(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    with pytest.raises(typer.Exit) as refused:
        plan_confirmation(False, "prod")

    assert refused.value.exit_code == 2
    assert plan_confirmation(True, "prod")({"create": 1}) is True


def test_on_a_terminal_the_answer_decides(monkeypatch: pytest.MonkeyPatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal(""))
    answers = iter([False, True])
    monkeypatch.setattr(typer, "confirm", lambda *_args, **_kw: next(answers))
    go_ahead = plan_confirmation(False, "prod")

    assert go_ahead({"delete": 1}) is False
    assert go_ahead({"delete": 1}) is True
