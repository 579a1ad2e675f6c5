"""Run a preview of the real engine and turn its event stream into a `Review`."""

from __future__ import annotations

from dataclasses import replace

from pulumi import automation as auto

from dezky.engine import runner
from dezky.review.model import Review, review_of


def preview_review(stack: str, options: runner.EngineOptions | None = None, refresh: bool = False) -> Review:
    """`refresh` reads every object back first, so the review also shows drift made outside the program.

    A preview that fails only because the policy pack refuses the change is still a review: its steps and the
    violations are what the reviewer needs to read.
    """
    events: list[auto.EngineEvent] = []
    options = replace(options or runner.EngineOptions(), on_event=events.append)
    try:
        runner.preview(stack, options, refresh=refresh)
    except auto.CommandError:
        review = review_of(events, [stack])
        if not review.blocked:
            raise
        return review
    return review_of(events, [stack])
