"""Benchmark: the real Pulumi engine provisioning generated tenants (identity, mail, files, DNS).

Against a real PowerDNS and the spec-checked Authentik, Stalwart and OCIS emulators, for 1, 10 and 50 tenants
on one `dev` stack: wall time of `pulumi preview`, of the first `pulumi up` and of an up with no change;
resources per tenant; API calls per tenant on the first up and on the no-change up (which must make zero
writes), per service. Then one stack per tenant (`dev.<slug>`): what previewing one tenant's stack costs (a
pull request touching one tenant) against previewing the whole stack.

Run: .venv/bin/python benchmarks/engine_up.py [--sizes 1 10 50] [--split 10]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import Project, make_project, powerdns_config, services_config  # noqa: E402
from tests.emulators.authentik import AuthentikEmulator, authentik_openapi  # noqa: E402
from tests.emulators.loopback import LoopbackServer  # noqa: E402
from tests.emulators.ocis import OcisEmulator, ocis_openapi  # noqa: E402
from tests.emulators.stalwart import StalwartEmulator, registry_schema  # noqa: E402
from tests.fixtures.counting_proxy import CountingProxy, counting_proxy  # noqa: E402
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
  - email: anna@{slug}.example
    name: Anna {index}
  - email: ben@{slug}.example
    name: Ben {index}
files:
  spaces:
    - name: Projekte
      quota: 10GiB
      members:
        - group: members
          role: editor
"""


@dataclass
class Services:
    pdns: CountingProxy
    authentik: AuthentikEmulator
    stalwart: StalwartEmulator
    ocis: OcisEmulator
    api_key: str

    def config(self) -> dict[str, Any]:
        return {
            **powerdns_config(self.pdns.url, self.api_key),
            **services_config(self.authentik, self.stalwart, self.ocis),
        }

    def reset(self) -> None:
        for emulator in (self.authentik, self.stalwart, self.ocis):
            emulator.reset()
        self.pdns.counter.reset()

    def calls(self) -> dict[str, tuple[int, int]]:
        """(reads, writes) per service since the last `forget`."""
        return {
            "authentik": (self.authentik.reads, self.authentik.writes),
            "stalwart": (self.stalwart.read_count, self.stalwart.write_count),
            "ocis": (self.ocis.reads, self.ocis.writes),
            "powerdns": (self.pdns.counter.reads, self.pdns.counter.writes),
        }

    def forget(self) -> None:
        self.authentik.calls.clear()
        self.stalwart.forget_calls()
        self.ocis.calls.clear()
        self.pdns.counter.reset()


@contextlib.contextmanager
def running_services(scratch: Path) -> Iterator[Services]:
    emulators = (
        AuthentikEmulator(authentik_openapi()),
        StalwartEmulator(registry_schema()),
        OcisEmulator(ocis_openapi()),
    )
    with contextlib.ExitStack() as stack:
        pdns = stack.enter_context(running_powerdns(scratch / "pdns"))
        for emulator in emulators:
            server = stack.enter_context(LoopbackServer(emulator))
            emulator.url = server.url
        proxy = stack.enter_context(counting_proxy(pdns.api_url))
        yield Services(proxy, *emulators, api_key=pdns.api_key)


def slugs(prefix: str, count: int) -> list[str]:
    # Each run gets its own names: PowerDNS keeps zones between runs, and each run's Stalwart has new DKIM keys.
    return [f"{prefix}{index:04d}" for index in range(count)]


def write_tenants(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, slug in enumerate(names):
        path = folder / f"{slug}.yaml"
        path.write_text(TENANT.format(slug=slug, index=index))
        paths.append(path)
    return paths


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def quiet(_line: str) -> None:
    pass


def per_tenant(calls: dict[str, tuple[int, int]], count: int) -> str:
    return ", ".join(
        f"{name} {(r + w) / count:.0f} ({w / count:.0f} writes)" for name, (r, w) in calls.items()
    )


def one_stack(services: Services, base: Path, count: int) -> None:
    services.reset()
    names = slugs(f"one{count}x", count)
    project: Project = make_project(base, services.config(), write_tenants(base / "sources", names))
    _, preview_s = timed(lambda: project.preview(on_output=quiet))
    services.forget()
    first, up_s = timed(lambda: project.up(on_output=quiet))
    first_calls = services.calls()
    services.forget()
    again, again_s = timed(lambda: project.up(on_output=quiet))
    noop_calls = services.calls()
    resources = sum(first.summary.resource_changes.values()) - 1  # less the Stack itself
    changed = {k: v for k, v in again.summary.resource_changes.items() if k != "same"}
    print(
        f"  {count:>3} tenants: preview {preview_s:6.1f} s | first up {up_s:6.1f} s | no-change up {again_s:5.1f} s "
        f"| {resources / count:.0f} resources/tenant"
    )
    print(f"        calls/tenant on first up: {per_tenant(first_calls, count)}")
    noop = ", ".join(f"{name} {r + w} ({w} writes)" for name, (r, w) in noop_calls.items())
    print(f"        calls on the no-change up (all tenants): {noop}; changes: {changed or 'none'}")


def per_tenant_stacks(services: Services, base: Path, count: int) -> None:
    services.reset()
    names = slugs("split", count)
    project = make_project(base, services.config(), write_tenants(base / "sources", names))
    _, whole_s = timed(lambda: project.preview(on_output=quiet))
    total_up = sum(timed(lambda slug=slug: project.up(f"dev.{slug}", on_output=quiet))[1] for slug in names)
    _, one_s = timed(lambda: project.preview(f"dev.{names[0]}", on_output=quiet))
    print(f"one stack per tenant ({count} tenants, stacks dev.<slug>):")
    print(
        f"  preview of the whole dev stack {whole_s:.1f} s; preview of one tenant's stack {one_s:.1f} s; "
        f"up of every tenant stack in turn {total_up:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--split", type=int, default=10, help="tenants for the per-tenant-stack comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, running_services(Path(scratch)) as services:
        print("one dev stack, all tenants (3 users, 1 space each):")
        for size in args.sizes:
            one_stack(services, Path(scratch) / f"one-{size}", size)
        if args.split:
            per_tenant_stacks(services, Path(scratch) / "split", args.split)


if __name__ == "__main__":
    main()
