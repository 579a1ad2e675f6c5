"""A review in three forms: the terminal (rich), a pull-request comment (markdown) and JSON.

Every form leads with the policy violations, the warnings and the counts; details follow. A PR comment is capped by GitHub at 65,536
characters, so the markdown drops property details first, then whole change lists, never the summary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from dezky.review.model import OPS, Change, PolicyViolation, PropertyChange, Review, Shown

MARKDOWN_LIMIT = 60_000
_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
_COLOUR = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}


def counts_text(review: Review, tenant: str | None = None, integration: str | None = None) -> str:
    counts = review.counts(tenant, integration)
    return ", ".join(f"{counts[op]} to {op}" for op in OPS if counts[op]) or "no changes"


def hidden_text(review: Review) -> str:
    return f"{review.hidden} change(s) of tenants this change does not touch are not shown."


def violation_text(violation: PolicyViolation) -> str:
    level = "POLICY" if violation.mandatory else "policy advice"
    return f"{level} {violation.policy}: {violation.message}"


def value_text(value: Any) -> str:
    if isinstance(value, Shown):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def property_text(prop: PropertyChange, op: str) -> str:
    if op == "create":
        return f"{prop.name}: {value_text(prop.new)}"
    return f"{prop.name}: {value_text(prop.old)} -> {value_text(prop.new)}"


# -- JSON ------------------------------------------------------------------------------------------------


def to_json(review: Review) -> str:
    document = {
        "stacks": list(review.stacks),
        "summary": {op: review.counts()[op] for op in OPS},
        "violations": [asdict(violation) for violation in review.violations],
        "warnings": review.warnings,
        "hidden": review.hidden,
        "tenants": {
            tenant: {
                integration: [_change_json(c) for c in review.of(tenant, integration)]
                for integration in review.integrations(tenant)
            }
            for tenant in review.tenants()
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "op": change.op,
        "type": f"{change.integration}:{change.kind}",
        "name": change.name,
        "data_bearing": change.data_bearing,
        "properties": [asdict(prop) for prop in change.properties],
    }


# -- terminal --------------------------------------------------------------------------------------------


def to_terminal(review: Review) -> RenderableType:
    parts: list[RenderableType] = [Text(f"Preview: {header_text(review)}", style="bold")]
    parts += [Text(violation_text(v), style="bold red") for v in review.violations]
    parts += [Text(f"WARNING: {warning}", style="bold red") for warning in review.warnings]
    if review.hidden:
        parts.append(Text(hidden_text(review), style="dim"))
    for tenant in review.tenants():
        parts.append(_tenant_table(review, tenant))
    return Group(*parts)


def _tenant_table(review: Review, tenant: str) -> Table:
    table = Table(
        "integration", "change", "object", "properties", title=f"{tenant}: {counts_text(review, tenant)}"
    )
    for integration in review.integrations(tenant):
        for change in review.of(tenant, integration):
            colour = _COLOUR[change.op]
            table.add_row(
                integration,
                Text(f"{_SYMBOL[change.op]} {change.op}", style=colour),
                Text(f"{change.kind} {change.name}"),
                Text("\n".join(property_text(p, change.op) for p in change.properties)),
            )
    return table


def terminal_text(review: Review, width: int = 120) -> str:
    """The terminal form as plain text, for tests and logs."""
    console = Console(width=width, record=True, color_system=None, file=_Discard())
    console.print(to_terminal(review))
    return console.export_text()


class _Discard:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


# -- markdown --------------------------------------------------------------------------------------------


def to_markdown(review: Review, limit: int = MARKDOWN_LIMIT) -> str:
    """The PR comment; under `limit` characters by shedding detail, never the summary or a warning."""
    for detail in ("properties", "changes", "none"):
        text = "\n".join(_markdown_lines(review, detail)) + "\n"
        if len(text) <= limit:
            return text
    return text  # the summary and warnings alone: never trimmed, even when long


def header_text(review: Review) -> str:
    """One line a reviewer reads first: where, what, when, and whether anything is refused or at risk."""
    parts = [f"stack {', '.join(review.stacks) or '?'}"]
    if review.commit:
        parts.append(f"commit {review.commit}")
    if review.generated_at:
        parts.append(review.generated_at)
    parts.append(counts_text(review))
    refusals = sum(v.mandatory for v in review.violations)
    parts.append(f"{refusals} refusal(s)" if refusals else "no refusals")
    if review.warnings:
        parts.append(f"{len(review.warnings)} data-loss warning(s)")
    return " · ".join(parts)


def _markdown_lines(review: Review, detail: str) -> Iterable[str]:
    verdict = (
        ":no_entry: refused" if review.blocked else (":warning:" if review.warnings else ":white_check_mark:")
    )
    yield f"## Dezky preview {verdict}"
    yield ""
    yield f"**{header_text(review)}**"
    if review.violations:
        yield ""
        if review.blocked:
            yield "> :no_entry: **The policy pack refuses this change; it cannot be applied until these are fixed:**"
        yield from (f"> - {code(violation_text(v))}" for v in review.violations)
    if review.warnings:
        yield ""
        yield from (f"> :warning: **{warning}**" for warning in review.warnings)
    if review.hidden:
        yield ""
        yield f"_{hidden_text(review)}_"
    yield ""
    yield "| tenant | integration | create | update | replace | delete |"
    yield "|---|---|---:|---:|---:|---:|"
    for tenant in review.tenants():
        for integration in review.integrations(tenant):
            counts = review.counts(tenant, integration)
            yield f"| {tenant} | {integration} | " + " | ".join(str(counts[op]) for op in OPS) + " |"
    if detail == "none":
        yield ""
        yield "_Details left out to fit a comment; run `dezky review` for all of them._"
        return
    yield from _markdown_details(review, with_properties=detail == "properties")


def _markdown_details(review: Review, with_properties: bool) -> Iterable[str]:
    """Each tenant folded in `<details>`, so a one-tenant change reads in one screen before unfolding."""
    for tenant in review.tenants():
        yield ""
        yield f"<details><summary><b>{tenant}</b>: {counts_text(review, tenant)}</summary>"
        for integration in review.integrations(tenant):
            yield ""
            yield f"**{integration}** — {counts_text(review, tenant, integration)}"
            yield ""
            for change in review.of(tenant, integration):
                yield f"- `{_SYMBOL[change.op]}` {change.op} {change.kind} {code(change.name)}"
                if with_properties:
                    yield from (f"  - {code(property_text(p, change.op))}" for p in change.properties)
        yield ""
        yield "</details>"
    if not with_properties:
        yield ""
        yield "_Property details left out to fit a comment; run `dezky review` for all of them._"


# -- plain lines (a CI log: nothing is ever cut to fit a width) -------------------------------------------


def to_plain(review: Review) -> str:
    lines = [header_text(review)]
    lines += [violation_text(v) for v in review.violations]
    lines += [f"WARNING: {warning}" for warning in review.warnings]
    if review.hidden:
        lines.append(hidden_text(review))
    for tenant in review.tenants():
        lines.append(f"{tenant}: {counts_text(review, tenant)}")
        for integration in review.integrations(tenant):
            for change in review.of(tenant, integration):
                lines.append(f"  {_SYMBOL[change.op]} {change.op} {integration} {change.kind} {change.name}")
                lines += [f"      {property_text(p, change.op)}" for p in change.properties]
    return "\n".join(lines) + "\n"


def code(text: str) -> str:
    """Inline code that survives backticks in the text (a display name may hold one)."""
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def render(review: Review, fmt: str) -> str:
    if fmt == "json":
        return to_json(review)
    if fmt == "markdown":
        return to_markdown(review)
    if fmt == "plain":
        return to_plain(review)
    return terminal_text(review)
