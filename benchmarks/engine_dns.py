"""Benchmark: the real Pulumi engine provisioning generated tenants' DNS into a real PowerDNS.

For 1, 10 and 50 tenants on one `dev` stack: wall time of `pulumi preview` and of the first `pulumi up`,
resources per tenant, PowerDNS API calls per tenant on the first up and on an up with no change (which must
make zero writes). Then the same tenants as one stack per tenant (`dev.<slug>`): the time to preview one
tenant's stack, which is what a pull request touching one tenant costs, against previewing the whole stack.

Run: .venv/bin/python benchmarks/engine_dns.py [--sizes 1 10 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import make_project, powerdns_config  # noqa: E402
from tests.fixtures.counting_proxy import counting_proxy  # noqa: E402
from tests.fixtures.powerdns import running_powerdns  # noqa: E402

TENANT = """slug: {slug}
name: Benchmark Tenant {index}
status: active
created: 2026-01-01
plan: business
domains:
  primary: {slug}.example
users:
  - email: admin@{slug}.example
    name: Admin {index}
    role: admin
"""


def write_tenants(folder: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        slug = f"bench{index:04d}"
        path = folder / f"{slug}.yaml"
        path.write_text(TENANT.format(slug=slug, index=index))
        paths.append(path)
    return paths


def timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def quiet(_line: str) -> None:
    pass


def one_stack(base: Path, api_url: str, api_key: str, count: int) -> dict[str, float]:
    sources = base / "sources"
    sources.mkdir(parents=True)
    with counting_proxy(api_url) as proxy:
        project = make_project(base, powerdns_config(proxy.url, api_key), write_tenants(sources, count))
        stack = project.stack("dev")
        _, preview_s = timed(lambda: stack.preview(on_output=quiet))
        proxy.counter.reset()
        first, up_s = timed(lambda: stack.up(on_output=quiet))
        first_reads, first_writes = proxy.counter.reads, proxy.counter.writes
        proxy.counter.reset()
        again, again_s = timed(lambda: stack.up(on_output=quiet))
        resources = sum(first.summary.resource_changes.values()) - 1  # less the Stack itself
        return {
            "tenants": count,
            "preview_s": preview_s,
            "up_s": up_s,
            "noop_up_s": again_s,
            "resources_per_tenant": resources / count,
            "calls_per_tenant_first_up": (first_reads + first_writes) / count,
            "writes_per_tenant_first_up": first_writes / count,
            "calls_noop_up": proxy.counter.reads + proxy.counter.writes,
            "writes_noop_up": proxy.counter.writes,
            "noop_changes": {k: v for k, v in again.summary.resource_changes.items() if k != "same"},
        }


def per_tenant_stacks(base: Path, api_url: str, api_key: str, count: int) -> dict[str, float]:
    sources = base / "sources"
    sources.mkdir(parents=True)
    project = make_project(base, powerdns_config(api_url, api_key), write_tenants(sources, count))
    slugs = [f"bench{index:04d}" for index in range(count)]
    _, whole_preview_s = timed(lambda: project.stack("dev").preview(on_output=quiet))
    total_up = 0.0
    for slug in slugs:
        _, seconds = timed(lambda slug=slug: project.stack(f"dev.{slug}").up(on_output=quiet))
        total_up += seconds
    _, one_preview_s = timed(lambda: project.stack(f"dev.{slugs[0]}").preview(on_output=quiet))
    return {
        "tenants": count,
        "whole_stack_preview_s": whole_preview_s,
        "one_tenant_stack_preview_s": one_preview_s,
        "all_tenant_stacks_up_s": total_up,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--split", type=int, default=10, help="tenants for the per-tenant-stack comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, running_powerdns(Path(scratch) / "pdns") as pdns:
        print("one dev stack, all tenants:")
        for size in args.sizes:
            row = one_stack(Path(scratch) / f"one-{size}", pdns.api_url, pdns.api_key, size)
            print(
                f"  {row['tenants']:>3} tenants: preview {row['preview_s']:6.1f} s, first up {row['up_s']:6.1f} s, "
                f"no-change up {row['noop_up_s']:5.1f} s; {row['resources_per_tenant']:.0f} resources/tenant; "
                f"PowerDNS calls/tenant on first up {row['calls_per_tenant_first_up']:.0f} "
                f"({row['writes_per_tenant_first_up']:.0f} writes); no-change up: {row['calls_noop_up']} calls, "
                f"{row['writes_noop_up']} writes, changes {row['noop_changes'] or 'none'}"
            )
        split = per_tenant_stacks(Path(scratch) / "split", pdns.api_url, pdns.api_key, args.split)
        print(f"one stack per tenant ({split['tenants']} tenants, stacks dev.<slug>):")
        print(
            f"  preview of the whole dev stack {split['whole_stack_preview_s']:.1f} s; preview of one tenant's stack "
            f"{split['one_tenant_stack_preview_s']:.1f} s; up of every tenant stack in turn "
            f"{split['all_tenant_stacks_up_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
