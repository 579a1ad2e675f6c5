"""The Pulumi program: one Tenant component per tenant file (see dezky/program.py)."""

from dezky.program import run

run()
