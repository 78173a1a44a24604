"""Checkout start, return page, pushes and the admin's order list cost a constant number of
queries, however large the basket and however many orders there are; the buyer's requests stay
within their ceilings and never run the same statement twice (issue 10, "Minimal queries";
issue 16 brought "Pay now" from 14 to 12 and the return page from 16 to 11).

The app's own work is counted, with nobody listening to its signals: the demo shop's mail
receivers add their own queries (``order_balance`` for the mail's figures), counted apart (the
benchmark table in docs/reliability.md). "Pay now" is two short transactions around the create
call, no lock held while secuconnect answers: the order and its lines before (two queries: the
lines come joined to their sub-baskets and suppliers), the attempt inserted under the order's
lock (which brings the newest attempt's id), and the answer written under the attempt's. The
return page is the sync's one transaction (the lock, the order's payment rows and refund
records, its parts, the writes) and a page rendered from the rows the sync holds."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from secu_marketplace.builder import Item, Shipping, SupplierBasket, build_order
from secu_marketplace.links import push_path
from secu_marketplace.models import Order, PushNotification
from secu_marketplace.sandbox import world
from tests.factories import MAX, SupplierFactory
from tests.helpers import without_receivers

from .conftest import Flow

CONTRACTS = {**world.GUIDE_SUPPLIER_CONTRACTS, **world.EXTRA_SUPPLIER_CONTRACTS}
# Ceilings per request, BEGIN and COMMIT included (Django counts them), the same on SQLite and
# PostgreSQL. benchmarks/checkout_flow.py prints the figures beside the goals.
PAY_NOW = 12
RETURN_PAGE = 12
NEW_PUSH = 14  # a new push about a payment already applied (the return page came first)
PAYING_PUSH = 14  # a new push that brings the payment
# The demo shop's mails to the buyer and each supplier on "paid" (its signal receivers): the
# host's queries, counted apart from the app's.
DEMO_MAILS = 4


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


def _statements(action: Callable[[], Any]) -> tuple[list[str], Any]:
    """The statements ``action`` runs on this thread's connection, and what it returned."""
    with CaptureQueriesContext(connection) as ctx:
        answer = action()
    return [query["sql"] for query in ctx.captured_queries], answer


def _repeated(statements: list[str]) -> list[str]:
    """Statements run more than once (BEGIN, SQLite's BEGIN IMMEDIATE and COMMIT belong to
    each transaction)."""
    counts = Counter(s for s in statements if not s.startswith(("BEGIN", "COMMIT")))
    return [sql[:200] for sql, n in counts.items() if n > 1]


def _push(flow: Flow, order: Order, push_id: str) -> Callable[[], Any]:
    """A push about ``order``'s leading transaction, sent as secuconnect would; returns the
    action that sends it (the lookups here stay out of the count)."""
    attempt = order.attempts.get()
    pci = flow.sandbox.stx(str(attempt.stx_id))["transactions"][0]["id"]
    url = push_path(attempt)
    body = {
        "object": "event.pushes",
        "id": push_id,
        "created": "2026-11-28T12:00:00+01:00",
        "target": "payment.transactions",
        "type": "changed",
        "data": [{"object": "payment.transactions", "id": pci}],
    }
    return lambda: flow.browser.post(url, json.dumps(body), content_type="application/json")


def test_the_buyers_requests_stay_within_their_ceilings_without_repeats(flow: Flow) -> None:
    """Pay now (the view), the return page, and two new pushes, for a small and a large basket:
    the same statements for both, within the ceilings, none run twice."""
    seen: dict[str, dict[str, int]] = {}
    for name, suppliers, items in (("small", 1, 1), ("large", 3, 12)):
        order = _order(f"Q-MIN-{name}", suppliers=suppliers, items=items)
        other = _order(f"Q-MIN-{name}-push", suppliers=suppliers, items=items)
        requests: dict[str, list[str]] = {}
        answers = []

        pay_url = f"/payments/pay/{order.public_token}/"
        requests["pay now"], answer = _statements(partial(flow.browser.post, pay_url))
        answers.append(answer)
        attempt = order.attempts.get()
        flow.pay(attempt)
        with without_receivers():
            requests["return page"], answer = _statements(partial(flow.come_back, attempt))
        answers.append(answer)
        push = _push(flow, order, f"evt_{name}_after_return")
        requests["new push"], answer = _statements(push)
        answers.append(answer)
        # The other order hears of its payment by push alone; once with the demo's mail
        # receivers listening, once (a third order) without.
        flow.pay(flow.checkout(other).attempt)
        with_mails, answer = _statements(_push(flow, other, f"evt_{name}_paying"))
        answers.append(answer)
        alone = _order(f"Q-MIN-{name}-alone", suppliers=suppliers, items=items)
        flow.pay(flow.checkout(alone).attempt)
        with without_receivers():
            requests["paying push"], answer = _statements(_push(flow, alone, f"evt_{name}_alone"))
        answers.append(answer)
        mails = len(with_mails) - len(requests["paying push"])

        assert [a.status_code for a in answers] == [303, 200, 200, 200, 200]
        assert 0 < mails <= DEMO_MAILS, mails
        for paid in (order, other, alone):
            paid.refresh_from_db()
            assert paid.status == "paid"
            assert paid.payments.count() == 1 + paid.sub_baskets.count()
        assert PushNotification.objects.filter(outcome="processed").count() == (
            3 if name == "small" else 6
        )
        for request, statements in requests.items():
            assert _repeated(statements) == [], (name, request)
        seen[name] = {request: len(statements) for request, statements in requests.items()}

    assert seen["small"] == seen["large"], seen
    counts = seen["small"]
    assert counts["pay now"] <= PAY_NOW, counts
    assert counts["return page"] <= RETURN_PAGE, counts
    assert counts["new push"] <= NEW_PUSH, counts
    assert counts["paying push"] <= PAYING_PUSH, counts


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
