"""Admin order list: queries and time of the changelist at 10, 1,000 and 10,000 orders.

Orders are written with ``bulk_create`` (orders, 1-3 sub-baskets each with an article and
shipping, one checkout attempt for every order past "new"), never through the API: the rows
respect the models' constraints but no Smart Transaction exists in the sandbox. A superuser
(``force_login``) then loads the first page, a search by reference and a status filter, each
once to warm up and REPEAT times measured.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _harness import Environment, Timed, median, queries, run, spread, table, target, title
from django.test import Client

SIZES = (10, 1_000, 10_000)
REPEAT = 3
URL = "/admin/secu_marketplace/order/"
SEARCHED = "BENCH-00007"  # exists from the first size on
# Order status -> the state of its one checkout attempt (None: no attempt yet).
STATUSES: Sequence[tuple[str, str | None]] = (
    ("paid", "settled"),
    ("paid", "settled"),
    ("paid", "settled"),
    ("shipped", "settled"),
    ("pending", "settled"),
    ("awaiting_payment", "open"),
    ("failed", "failed"),
    ("aborted", "closed"),
    ("new", None),
)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _provider_id(prefix: str, rng: random.Random) -> str:
    return prefix + "".join(rng.choices(ALNUM, k=30))


def create_orders(first: int, last: int, suppliers: list[Any], rng: random.Random) -> None:
    """Orders ``first`` .. ``last - 1``, with their sub-baskets, line items and attempts."""
    from django.db import transaction

    from secu_marketplace.models import CheckoutAttempt, LineItem, Order, SubBasket

    plans = []
    for i in range(first, last):
        status, attempt_state = STATUSES[i % len(STATUSES)]
        baskets = []
        for position, supplier in enumerate(suppliers[: 1 + i % len(suppliers)]):
            price = 500 + (i * 37 + position * 101) % 9000
            quantity = 1 + i % 3
            total = price * quantity + 450
            baskets.append((position, supplier, price, quantity, total))
        plans.append((i, status, attempt_state, baskets))

    with transaction.atomic():
        orders = Order.objects.bulk_create(
            [
                Order(
                    reference=f"BENCH-{i:05d}",
                    status=status,
                    currency="EUR",
                    total=sum(b[4] for b in baskets),
                    payment_method="creditcard" if attempt_state == "settled" else "",
                    email=f"buyer{i}@example.net",
                    forename="Erika",
                    surname=f"Muster{i}",
                    street="Musterstr.",
                    street_number=str(1 + i % 99),
                    postal_code="09123",
                    city="Musterstadt",
                    country="DE",
                )
                for i, status, attempt_state, baskets in plans
            ],
            batch_size=500,
        )
        subs = []
        for order, (_i, _status, _state, baskets) in zip(orders, plans, strict=True):
            for position, supplier, _price, _quantity, total in baskets:
                subs.append(
                    SubBasket(
                        order=order,
                        position=position,
                        supplier=supplier,
                        contract_id=supplier.contract_id,
                        reference_id=f"sb{position}",
                        description=f"Basket {supplier.name}",
                        sum=total,
                        fee=total * 2 // 100,
                    )
                )
        subs = SubBasket.objects.bulk_create(subs, batch_size=500)
        lines = []
        plan_baskets = [b for _i, _s, _a, baskets in plans for b in baskets]
        for sub, (_position, _supplier, price, quantity, _total) in zip(
            subs, plan_baskets, strict=True
        ):
            lines.append(
                LineItem(
                    sub_basket=sub,
                    position=0,
                    description="Kaffeepads Aromata 20 Stück",
                    quantity=quantity,
                    unit_price=price,
                )
            )
            lines.append(
                LineItem(
                    sub_basket=sub,
                    position=1,
                    kind=LineItem.Kind.SHIPPING,
                    description="Standardversand",
                    unit_price=450,
                )
            )
        LineItem.objects.bulk_create(lines, batch_size=500)
        CheckoutAttempt.objects.bulk_create(
            [
                CheckoutAttempt(
                    order=order,
                    number=1,
                    state=state,
                    stx_id=_provider_id("STX_", rng),
                    provider_status={"settled": "ok", "open": "created"}.get(state, state),
                    payment_method="creditcard" if state == "settled" else "",
                    amount=order.total,
                    currency="EUR",
                    contract_id="GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2",
                )
                for order, (_i, _status, state, _baskets) in zip(orders, plans, strict=True)
                if state is not None
            ],
            batch_size=500,
        )


def measure(browser: Client, params: dict[str, str], expect: str) -> tuple[int, float, str]:
    """(queries, median ms, problem) of one changelist URL."""
    browser.get(URL, params)  # warm-up
    counts, timings, problem = [], [], ""
    for _ in range(REPEAT):
        with queries() as q, Timed() as t:
            page = browser.get(URL, params)
        counts.append(len(q))
        timings.append(t.ms)
        if page.status_code != 200:
            problem = f"HTTP {page.status_code}"
        elif expect not in page.content.decode():
            problem = f"{expect!r} missing from the page"
    if len(set(counts)) > 1:
        problem = problem or f"query count varies between repeats: {spread(counts)}"
    return counts[0], median(timings), problem


def main(env: Environment) -> None:
    from django.contrib.auth import get_user_model

    from secu_marketplace.models import Order, Supplier
    from secu_marketplace.sandbox import world

    title(f"admin_changelist: {URL} as a superuser, median of {REPEAT} loads", env)
    suppliers = [
        Supplier.objects.create(contract_id=contract, name=name, fee_rate=200)
        for contract, name in {
            **world.GUIDE_SUPPLIER_CONTRACTS,
            **world.EXTRA_SUPPLIER_CONTRACTS,
        }.items()
    ]
    admin = get_user_model().objects.create_superuser("bench-admin", "admin@example.net", "x")
    browser = Client()
    browser.force_login(admin)
    rng = random.Random(20240601)

    pages: tuple[tuple[str, dict[str, str], str], ...] = (
        ("first page", {}, "BENCH-"),
        (f"search q={SEARCHED}", {"q": SEARCHED}, f">{SEARCHED}<"),
        ("filter status=paid", {"status__exact": "paid"}, "BENCH-"),
    )
    results: dict[str, list[tuple[int, float, str]]] = {name: [] for name, _p, _e in pages}
    rows: list[tuple[object, ...]] = []
    made = 0
    for size in SIZES:
        with Timed() as t:
            create_orders(made, size, suppliers, rng)
        made = size
        print(f"  {Order.objects.count():>6} orders in the database ({t.ms / 1000:.1f} s to add)")
        for name, params, expect in pages:
            count, ms, problem = measure(browser, params, expect)
            results[name].append((count, ms, problem))
            rows.append((name, f"{size:,}", count, f"{ms:.1f}", problem or "ok"))
    table(("page", "orders", "queries", "median ms", "check"), rows)
    constant = all(len({r[0] for r in measured}) == 1 for measured in results.values())
    detail = "; ".join(
        f"{name}: {spread([r[0] for r in measured])}" for name, measured in results.items()
    )
    target("changelist query count does not grow with the number of orders", constant, detail)
    for name, measured in results.items():
        for size, (_q, _ms, trouble) in zip(SIZES, measured, strict=True):
            if trouble:
                print(f"problem: {name} at {size:,} orders: {trouble}")


if __name__ == "__main__":
    run(main)
