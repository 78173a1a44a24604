"""Checkout flow: time, DB queries and outbound API calls of "Pay now", the return page and a
push.

For each basket shape, K full flows against the sandbox on the live server:

1. "Pay now": ``POST /payments/pay/<token>/`` through Django's test client (the view and
   ``start_checkout``), timed, its queries captured on this thread's connection;
2. the buyer pays: the driver authorises the Smart Transaction (``POST .../prepare/creditcard``);
3. the buyer comes back: ``GET /payments/return/<token>/success/``, timed and its queries
   captured;
4. a new push (an id not seen before) about the leading transaction: ``POST
   /payments/push/<token>/``, its queries captured.

Goals (issues 10 and 16): Pay now <= 12, return page <= 12, new push <= 14, constant in basket
size (asserted, with no statement run twice, in tests/flows/test_query_counts.py). The return
page is the app's own work: nobody listens to its signals then (the demo shop's mail receivers
would add their own queries, the host's; tests/flows/test_query_counts.py bounds them).

Outbound calls are read from the sandbox's call log, per phase (the rows logged between the
start and the end of each step). The driver authenticated before the log was reset, so its token
is not counted; its prepare calls fall outside both phases. The cache is cleared before each
shape, so each shape pays for one token, amortised over its K checkouts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from _harness import Environment, Timed, percentile, queries, run, spread, table, target, title
from django.core.cache import cache
from django.test import Client

from tests.helpers import without_receivers

if TYPE_CHECKING:
    from secu_marketplace.models import Order, Supplier

K = 30
WARMUP = 2
GOALS = {"pay now": 12, "return page": 12, "new push": 14}
# (label, suppliers, items per supplier)
SHAPES = (("1 supplier x 1 item", 1, 1), ("3 suppliers x 1 item", 3, 1), ("3 x 12 items", 3, 12))


@dataclass
class Shape:
    label: str
    suppliers: int
    items: int
    start_ms: list[float] = field(default_factory=list)
    return_ms: list[float] = field(default_factory=list)
    start_queries: list[int] = field(default_factory=list)
    return_queries: list[int] = field(default_factory=list)
    push_queries: list[int] = field(default_factory=list)
    start_calls: list[Counter[str]] = field(default_factory=list)
    return_calls: list[Counter[str]] = field(default_factory=list)
    paid: int = 0
    bad_pages: list[int] = field(default_factory=list)


def _suppliers() -> list[Supplier]:
    from secu_marketplace.models import Supplier
    from secu_marketplace.sandbox import world

    contracts = {**world.GUIDE_SUPPLIER_CONTRACTS, **world.EXTRA_SUPPLIER_CONTRACTS}
    return [
        Supplier.objects.get_or_create(
            contract_id=contract, defaults={"name": name, "fee_rate": 200}
        )[0]
        for contract, name in contracts.items()
    ]


def _order(reference: str, suppliers: list[Supplier], count: int, items: int) -> Order:
    from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order

    buyer = Buyer(
        email="max@example.net",
        forename="Max",
        surname="Mustermann",
        street="Musterstr.",
        street_number="55 a",
        postal_code="09123",
        city="Musterstadt",
    )
    baskets = [
        SupplierBasket(
            supplier,
            items=[
                Item(f"Artikel {n}", 1 + n % 3, 199 + n, article_number=str(n))
                for n in range(items)
            ],
            shipping=Shipping("Standardversand", 450),
        )
        for supplier in suppliers[:count]
    ]
    return build_order(reference=reference, buyer=buyer, baskets=baskets)


def _last_call() -> int:
    from secu_marketplace.sandbox import control

    return int(control.calls().order_by("-pk").values_list("pk", flat=True).first() or 0)


def _calls_since(mark: int) -> Counter[str]:
    from secu_marketplace.sandbox import control

    return Counter(row["operation"] for row in control.call_rows(since_id=mark))


def flow(env: Environment, browser: Client, shape: Shape, reference: str) -> None:
    import json

    from secu_marketplace.links import push_path, return_path
    from secu_marketplace.models import Order, PaymentTransaction

    order = _order(reference, _suppliers(), shape.suppliers, shape.items)
    mark = _last_call()
    with queries() as q, Timed() as t:
        answer = browser.post(f"/payments/pay/{order.public_token}/")
    shape.start_ms.append(t.ms)
    shape.start_queries.append(len(q))
    shape.start_calls.append(_calls_since(mark))
    if answer.status_code != 303:
        shape.bad_pages.append(answer.status_code)
    attempt = order.attempts.get()

    env.driver.prepare(str(attempt.stx_id))

    mark = _last_call()
    with without_receivers(), queries() as q, Timed() as t:
        page = browser.get(return_path(attempt, "success"))
    shape.return_ms.append(t.ms)
    shape.return_queries.append(len(q))
    shape.return_calls.append(_calls_since(mark))
    if page.status_code != 200:
        shape.bad_pages.append(page.status_code)
    if Order.objects.get(pk=order.pk).status == "paid":
        shape.paid += 1

    leading = PaymentTransaction.objects.get(attempt=attempt, role="leading").pci_id
    body = {
        "object": "event.pushes",
        "id": f"evt_{reference}",
        "target": "payment.transactions",
        "type": "changed",
        "data": [{"object": "payment.transactions", "id": leading}],
    }
    url = push_path(attempt)
    with queries() as q:
        pushed = browser.post(url, json.dumps(body), content_type="application/json")
    shape.push_queries.append(len(q))
    if pushed.status_code != 200:
        shape.bad_pages.append(pushed.status_code)


def _per(calls: list[Counter[str]], k: int) -> str:
    total: Counter[str] = Counter()
    for c in calls:
        total.update(c)
    # The provider calls first, the token (amortised over the shape's flows) last.
    ops = sorted(total, key=lambda op: (op == "oauth.token", op))
    return " + ".join(f"{total[op] / k:.3g} {op}" for op in ops) or "none"


def main(env: Environment) -> None:
    from secu_marketplace.sandbox import control

    title(f"checkout_flow: {K} full flows per basket shape (after {WARMUP} warm-up flows)", env)
    browser = Client()
    env.driver.authenticate()  # the driver's own token, issued before any counting
    warmup = Shape("warm-up", 3, 2)
    for n in range(WARMUP):
        flow(env, browser, warmup, f"BENCH-WARM-{n}")

    shapes = [Shape(label, suppliers, items) for label, suppliers, items in SHAPES]
    for s, shape in enumerate(shapes):
        cache.clear()  # a cold token cache: each shape pays for one token
        control.reset_calls()
        for k in range(K):
            flow(env, browser, shape, f"BENCH-{s}-{k:03d}")

    table(
        (
            "basket",
            "sub-baskets",
            "pay now p50 ms",
            "p95 ms",
            "queries",
            "return p50 ms",
            "p95 ms",
            "queries",
            "push queries",
            "paid",
        ),
        [
            (
                shape.label,
                shape.suppliers,
                f"{percentile(shape.start_ms, 50):.1f}",
                f"{percentile(shape.start_ms, 95):.1f}",
                spread(shape.start_queries),
                f"{percentile(shape.return_ms, 50):.1f}",
                f"{percentile(shape.return_ms, 95):.1f}",
                spread(shape.return_queries),
                spread(shape.push_queries),
                f"{shape.paid}/{K}",
            )
            for shape in shapes
        ],
    )
    table(
        ("basket", "API calls per checkout (mean)", "API calls per return (mean)"),
        [(s.label, _per(s.start_calls, K), _per(s.return_calls, K)) for s in shapes],
    )

    start_counts = {n for s in shapes for n in s.start_queries}
    return_counts = {n for s in shapes for n in s.return_queries}
    push_counts = {n for s in shapes for n in s.push_queries}
    target(
        "DB queries constant in basket size",
        len(start_counts) == 1 and len(return_counts) == 1 and len(push_counts) == 1,
        f"pay now {spread(sorted(start_counts))}, return {spread(sorted(return_counts))}, "
        f"new push {spread(sorted(push_counts))} queries",
    )
    for name, counts in (
        ("pay now", start_counts),
        ("return page", return_counts),
        ("new push", push_counts),
    ):
        target(
            f"{name} <= {GOALS[name]} queries ({env.database.split(',')[0]})",
            max(counts) <= GOALS[name],
            f"{spread(sorted(counts))} queries",
        )
    # Each supplier's contract and its payment methods (getAvailablePaymentMethods, the
    # deprecated paymentMethods only as a fallback) are read once and then cached
    # (CONTRACT_CACHE_SECONDS; the shape's first checkout after the cache is cleared).
    contract_reads = ("contracts.get", "contracts.available_methods")
    create_ok = all(
        sum(c["oauth.token"] for c in s.start_calls) == 1
        and all(sum(c[k] for c in s.start_calls) == s.suppliers for k in contract_reads)
        and all(
            c["smart.create"] == 1
            and sum(c.values()) - c["oauth.token"] - sum(c[k] for k in contract_reads) == 1
            for c in s.start_calls
        )
        for s in shapes
    )
    target(
        "create = 1 call per checkout + per shape 1 token and each contract read once",
        create_ok,
    )
    return_ok = all(
        all(
            c["smart.get"] == 1 and c["payment.get"] == 1 + s.suppliers and len(c) == 2
            for c in s.return_calls
        )
        for s in shapes
    )
    target("return = 1 + (1 + sub-baskets) GETs (smart.get + payment.get)", return_ok)
    problems = [(s.label, s.bad_pages) for s in shapes if s.bad_pages]
    if problems or any(s.paid != K for s in shapes):
        print(f"problem: return pages not 200 {problems}; paid {[s.paid for s in shapes]}")


if __name__ == "__main__":
    run(main)
