"""Tenant files: their model, how they are read, and the rules they must follow."""

from dezky.tenants.catalog import PLANS, PLATFORM_DOMAIN, RESERVED_SLUGS, Plan
from dezky.tenants.loader import LoadResult, load_tenants
from dezky.tenants.model import Tenant
from dezky.tenants.problems import Location, Problem

__all__ = [
    "PLANS",
    "PLATFORM_DOMAIN",
    "RESERVED_SLUGS",
    "LoadResult",
    "Location",
    "Plan",
    "Problem",
    "Tenant",
    "load_tenants",
]
