"""From a cart and the buyer's details to an ``Order``, through the app's builder.

One sub-basket per supplier, the supplier's shipping in it, and the fee left to the supplier's
fee rule (``fee=None``): every sum is computed by ``secu_marketplace.builder``.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order
from secu_marketplace.exceptions import BasketError
from secu_marketplace.models import Order

from .cart import CartContents

REFERENCE_PREFIX = "MM"
# Give up (and let the buyer submit again) after this many references taken by racing checkouts.
MAX_REFERENCE_TRIES = 20


def supplier_baskets(contents: CartContents) -> list[SupplierBasket]:
    return [
        SupplierBasket(
            group.supplier,
            items=[
                Item(
                    line.product.name,
                    line.quantity,
                    line.product.price,
                    tax_rate=line.product.tax_rate,
                    article_number=line.product.article_number,
                )
                for line in group.lines
            ],
            shipping=(
                Shipping(group.shipping.description, group.shipping.price, group.shipping.tax_rate)
                if group.shipping
                else None
            ),
        )
        for group in contents.groups
    ]


def reference_prefix(day: date) -> str:
    return f"{REFERENCE_PREFIX}-{day:%Y%m%d}-"


def place_order(contents: CartContents, buyer: Buyer, *, language: str = "") -> Order:
    """Create the order, with the next free reference of the day ("MM-20250131-7").

    Raises ``BasketError`` when the builder refuses the cart (an empty cart, say).
    """
    baskets = supplier_baskets(contents)
    prefix = reference_prefix(timezone.localdate())
    number = Order.objects.filter(reference__startswith=prefix).count() + 1
    for _try in range(MAX_REFERENCE_TRIES):
        reference = f"{prefix}{number}"
        number += 1
        if Order.objects.filter(reference=reference).exists():
            continue
        try:
            return build_order(
                reference=reference,
                buyer=buyer,
                baskets=baskets,
                currency=contents.currency,
                language=language,
            )
        except BasketError:
            raise
        except ValueError:
            continue  # a concurrent checkout took this reference a moment ago
    raise RuntimeError(f"no free order reference after {MAX_REFERENCE_TRIES} tries ({prefix}...)")
