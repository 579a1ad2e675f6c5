"""The exit statuses of every `dezky` command, in one place (`dezky --help` prints this table).

Scripts and CI branch on them as they do on `terraform plan -detailed-exitcode` and `pulumi preview
--expect-no-changes`: 3 is not a failure but "there is something to apply", 4 and 5 are refusals that a
person must look at, 1 is a run that went wrong. `dezky restore-drill` keeps its own documented statuses
(`hetzner/backup.py` DrillFailure), which a backup monitor reads.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    #: done; for `--exit-code` checks: done and nothing to change
    OK = 0
    #: the command ran and failed: a service or the engine said no, a run failed, a tenant is not provisioned
    FAILURE = 1
    #: the command line is wrong: unknown option or value, missing argument, no such file, tenant or git ref,
    #: the engine not installed, a refusal to overwrite; nothing was done
    USAGE = 2
    #: `--exit-code` (drift and review checks): the plan has changes
    CHANGES_PRESENT = 3
    #: refused by the policy pack or the data guard (a delete of unmarked data); nothing was applied
    REFUSED = 4
    #: one or more tenant files do not validate (`dezky validate` lists every problem)
    INVALID_TENANT_FILES = 5


#: what `dezky --help` shows; the README's table says the same
EXIT_CODE_TABLE = "\n".join(
    [
        "Exit status:",
        "  0  ok (with --exit-code: no changes)",
        "  1  failure: a run, a service or the engine failed",
        "  2  usage error: bad option or argument, no such file, tenant or ref; nothing done",
        "  3  changes present (review/status with --exit-code)",
        "  4  refused by the policy pack or the data guard; nothing applied",
        "  5  invalid tenant files (dezky validate lists the problems)",
    ]
)
