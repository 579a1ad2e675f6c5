"""How long `dezky validate` takes on a large estate: 1,000 tenant files of about 20 users each.

    .venv/bin/python benchmarks/validate_tenants.py [--tenants 1000] [--users 20]

Writes the files into a temporary folder, validates them all with `load_tenants` (every per-file and cross-file
rule), and prints wall time and peak memory. The target on the 2-core CI machine is under 2 s and 300 MB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from dezky.tenants import load_tenants
from dezky.tenants.schema import SCHEMA_COMMENT

FIRST_NAMES = ("anna", "jonas", "lea", "paul", "mia", "felix", "emma", "noah", "lina", "ben", "ida", "tom")
LAST_NAMES = ("schmidt", "weber", "meyer", "wagner", "becker", "hoffmann", "koch", "richter", "wolf", "braun")


def tenant_file(index: int, users: int) -> str:
    """A realistic business-plan tenant: users with aliases and quotas, a shared mailbox, a list, spaces."""
    slug = f"kunde-{index:05d}"
    domain = f"{slug}.de"
    addresses = [
        f"{FIRST_NAMES[u % len(FIRST_NAMES)]}.{LAST_NAMES[u % len(LAST_NAMES)]}{u}@{domain}"
        for u in range(users)
    ]
    lines = [
        SCHEMA_COMMENT,
        f"slug: {slug}",
        f'name: "Kunde {index} GmbH & Co. KG"',
        "status: active",
        "created: 2025-03-14",
        "plan: business",
        "domains:",
        f"  primary: {domain}",
        f"  mail: [{slug}-shop.de]",
        "users:",
    ]
    for u, address in enumerate(addresses):
        lines += [
            f"  - email: {address}",
            f"    name: {address.split('@')[0].replace('.', ' ').title()}",
            f"    role: {'admin' if u == 0 else 'member'}",
            f"    aliases: [u{u}@{slug}-shop.de]",
            "    quota: 10GiB",
        ]
    lines += [
        "mail:",
        "  shared_mailboxes:",
        f"    - address: info@{domain}",
        "      name: Info",
        f"      members: [{', '.join(addresses[:3])}]",
        "  lists:",
        f"    - address: alle@{domain}",
        "      name: Alle",
        f"      members: [{', '.join(addresses)}]",
        "files:",
        "  spaces:",
        "    - name: Projekte",
        "      quota: 200GiB",
        "      members:",
        "        - group: members",
        "          role: editor",
        f"        - user: {addresses[0]}",
        "          role: manager",
        "branding:",
        f"  title: Kunde {index}",
        '  primary_color: "#1f4e79"',
        f"  logo_url: https://{domain}/logo.svg",
    ]
    return "\n".join(lines) + "\n"


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dezky-bench-") as tmp:
        folder = Path(tmp)
        for index in range(args.tenants):
            (folder / f"kunde-{index:05d}.yaml").write_text(tenant_file(index, args.users), encoding="utf-8")
        rss_before = peak_rss_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = load_tenants([folder])
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        users = sum(len(item.tenant.users) for item in result.tenants)
    if not result.ok:
        for problem in result.problems[:20]:
            print(problem.render(), file=sys.stderr)
        print(f"the generated tenants should be valid; {len(result.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"validated {result.files} files ({users} users) in {elapsed:.2f} s, "
        f"peak RSS {peak_rss_mb():.0f} MB (CPU {cpu:.2f} s; RSS before loading {rss_before:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
