"""Run a preview of the real engine and turn its event stream into a `Review`."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from pulumi import automation as auto

from dezky.engine import runner
from dezky.engine.checkout import git
from dezky.review.model import Review, review_of
from dezky.timestamps import utc_text


def preview_review(stack: str, options: runner.EngineOptions | None = None, refresh: bool = False) -> Review:
    """`refresh` reads every object back first, so the review also shows drift made outside the program.

    A preview that fails only because the policy pack refuses the change is still a review: its steps and the
    violations are what the reviewer needs to read.
    """
    events: list[auto.EngineEvent] = []
    options = replace(options or runner.EngineOptions(), on_event=events.append)
    when = utc_text(dt.datetime.now(dt.UTC))
    commit = (git(options.work_dir, "rev-parse", "--short=12", "HEAD") or "").strip()
    try:
        runner.preview(stack, options, refresh=refresh)
    except auto.CommandError:
        review = replace(review_of(events, [stack]), commit=commit, generated_at=when)
        if not review.blocked:
            raise
        return review
    return replace(review_of(events, [stack]), commit=commit, generated_at=when)
