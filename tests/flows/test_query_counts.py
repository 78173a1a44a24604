"""Checkout start, return page and the admin's order list cost a constant number of queries,
however large the basket and however many orders there are."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from secu_marketplace.builder import Item, Shipping, SupplierBasket, build_order
from secu_marketplace.models import Order
from secu_marketplace.sandbox import world
from tests.factories import MAX, SupplierFactory

from .conftest import Flow

CONTRACTS = {**world.GUIDE_SUPPLIER_CONTRACTS, **world.EXTRA_SUPPLIER_CONTRACTS}


def _order(reference: str, suppliers: int, items: int) -> Order:
    baskets = []
    for contract, name in list(CONTRACTS.items())[:suppliers]:
        supplier = SupplierFactory(contract_id=contract, name=name)
        lines = [
            Item(f"{name} article {n}", 1 + n % 3, 199 + n, article_number=str(n))
            for n in range(items)
        ]
        baskets.append(SupplierBasket(supplier, items=lines, shipping=Shipping("Versand", 450)))
    return build_order(reference=reference, buyer=MAX, baskets=baskets)


def _queries(action) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)


def test_checkout_and_return_do_not_grow_with_the_basket(flow: Flow) -> None:
    small = _order("Q-SMALL", suppliers=1, items=1)
    large = _order("Q-LARGE", suppliers=3, items=12)

    counts = {}
    for name, order in (("small", small), ("large", large)):
        started = {}

        def checkout(order: Order = order, started: dict = started) -> None:  # type: ignore[type-arg]
            started["s"] = flow.checkout(order)

        start_queries = _queries(checkout)
        flow.pay(started["s"].attempt)
        return_queries = _queries(lambda started=started: flow.come_back(started["s"].attempt))
        counts[name] = (start_queries, return_queries)
        order.refresh_from_db()
        assert order.status == "paid"
        assert order.payments.count() == 1 + order.sub_baskets.count()

    assert counts["small"] == counts["large"], counts


def test_admin_order_list_does_not_grow_with_the_orders(flow: Flow, admin_client: Client) -> None:
    first = _order("Q-A-0", suppliers=2, items=2)
    flow.pay(flow.checkout(first).attempt)
    flow.come_back(
        first.attempt_set.first() if hasattr(first, "attempt_set") else first.attempts.get()
    )
    one = _queries(lambda: admin_client.get("/admin/secu_marketplace/order/"))
    for n in range(1, 12):
        order = _order(f"Q-A-{n}", suppliers=1 + n % 3, items=2)
        flow.checkout(order)
    many = _queries(lambda: admin_client.get("/admin/secu_marketplace/order/"))
    response = admin_client.get("/admin/secu_marketplace/order/")
    assert response.status_code == 200
    assert b"Q-A-11" in response.content
    assert one == many, (one, many)
