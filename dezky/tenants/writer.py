"""Rendering a new tenant file that an operator will go on editing by hand."""

from __future__ import annotations

import datetime as dt
import json

from dezky.tenants.schema import SCHEMA_COMMENT


def render_new_tenant(
    *, slug: str, name: str, domain: str, plan: str, admin_email: str, created: dt.date
) -> str:
    # json.dumps quotes a string the way YAML reads it back, whatever characters the name holds.
    return "\n".join(
        [
            SCHEMA_COMMENT,
            f"slug: {slug}",
            f"name: {json.dumps(name, ensure_ascii=False)}",
            "status: active",
            f"created: {created.isoformat()}",
            f"plan: {plan}",
            "domains:",
            f"  primary: {domain}",
            "users:",
            f"  - email: {admin_email}",
            "    name: Administrator",
            "    role: admin",
            "",
        ]
    )
