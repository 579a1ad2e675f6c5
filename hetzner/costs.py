"""What the estate costs a month: one price table, and the sum over what the settings order.

Hetzner's list prices in EUR per month, without VAT, as ordered in 2026: the AX41-NVMe without setup fee (it is
paid once), Object Storage's base price (1 TB storage and 1 TB egress included) and the BX11 Storage Box (1 TB).
Decimal, so that 39 + 5 + 3.20 + 3.20 is 50.40 and not 50.400000000000006.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

MONTHLY_PRICES_EUR: dict[str, Decimal] = {
    "ax41-nvme": Decimal("39.00"),
    "object-storage": Decimal("5.00"),
    "bx11": Decimal("3.20"),
}


class UnknownProduct(KeyError):
    pass


def price(product: str) -> Decimal:
    try:
        return MONTHLY_PRICES_EUR[product.lower()]
    except KeyError:
        known = ", ".join(sorted(MONTHLY_PRICES_EUR))
        raise UnknownProduct(
            f"no monthly price for `{product}` in hetzner/costs.py (known: {known})"
        ) from None


def monthly_cost_eur(products: Iterable[str]) -> Decimal:
    """The monthly sum for these products, one entry per unit ordered."""
    return sum((price(product) for product in products), Decimal("0.00"))
