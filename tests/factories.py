"""The suite's orders, made with the test kit's factories (``secu_marketplace.testing.factories``,
the ones a shop uses) and the real builder."""

from __future__ import annotations

from typing import Any

from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order
from secu_marketplace.models import Order, Supplier
from secu_marketplace.sandbox import world
from secu_marketplace.testing.factories import SupplierFactory

__all__ = ["MAX", "SupplierFactory", "guide_order", "guide_suppliers"]

GUIDE_SUPPLIERS = list(world.GUIDE_SUPPLIER_CONTRACTS.items())


def guide_suppliers() -> tuple[Supplier, Supplier]:
    (c1, n1), (c2, n2) = GUIDE_SUPPLIERS
    return (
        SupplierFactory(contract_id=c1, name=n1),
        SupplierFactory(contract_id=c2, name=n2),
    )


MAX = Buyer(
    email="max@example.net",
    forename="Max",
    surname="Mustermann",
    phone="+49 555 5555555",
    street="Musterstr.",
    street_number="55 a",
    additional_address="Whg. 203",
    postal_code="09123",
    city="Musterstadt",
    country="DE",
)


def guide_order(reference: str | None = None, **kwargs: Any) -> Order:
    """The provider guide's two-supplier basket, with its sums as they really add up."""
    coffee, furniture = guide_suppliers()
    return build_order(
        reference=reference or f"T-{next(_counter)}",
        buyer=kwargs.pop("buyer", MAX),
        baskets=[
            SupplierBasket(
                coffee,
                items=[Item("Kaffeepads Aromata 20 Stück", 2, 1995, article_number="1")],
                shipping=Shipping("Standardversand", 450),
                fee=80,
            ),
            SupplierBasket(
                furniture,
                items=[Item("Magnettafel 70x50 cm", 1, 2995, article_number="1")],
                shipping=Shipping("Standardversand", 350),
                fee=70,
            ),
        ],
        **kwargs,
    )


def _counter_gen():  # type: ignore[no-untyped-def]
    n = 1000
    while True:
        n += 1
        yield n


_counter = _counter_gen()
