"""Admin order list: queries and time of the changelist at 10 and 100,000 orders.

The first 10 orders are written with ``bulk_create`` (orders, 1-3 sub-baskets each with an
article and shipping, one checkout attempt for every order past "new"); the rest in bulk, with
``INSERT ... SELECT FROM generate_series`` on PostgreSQL and ``bulk_create`` in batches on
SQLite, the same shapes without line items (the list never shows them). Never through the API:
the rows respect the models' constraints but no Smart Transaction exists in the sandbox.
Creation dates are spread over the last year, so the date filter selects a part.

A superuser (``force_login``) loads the first page, a search by reference and each list filter
(status, payment method, supplier, date), each once to warm up and REPEAT times measured.
Goal (issue 10): each within 2x of its own time at 10 orders. Run it on PostgreSQL with
``BENCH_DATABASE_URL=postgres://...`` (the harness creates its own database there).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _harness import Environment, Timed, median, queries, run, spread, table, target, title
from django.test import Client

SIZES = (10, 100_000)
REPEAT = 5
GOAL = 2.0  # each page at the largest size within 2x of its time at the smallest
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


def create_orders(
    first: int, last: int, suppliers: list[Any], rng: random.Random, *, with_items: bool = True
) -> None:
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
                    created=_created(i),
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
        if with_items:
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


def _created(i: int) -> Any:
    """Order ``i``'s creation time: spread over the last year (the newest orders last)."""
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() - timedelta(minutes=5 * (100_000 - i) % 525_600)


def fill(first: int, last: int, suppliers: list[Any], rng: random.Random) -> None:
    """Orders ``first`` .. ``last - 1`` as fast as the database allows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        for start in range(first, last, 5_000):
            create_orders(start, min(start + 5_000, last), suppliers, rng, with_items=False)
        return
    from secu_marketplace.models import CheckoutAttempt, Order, SubBasket

    statuses = [status for status, _state in STATUSES]
    states = [state for _status, state in STATUSES]
    contracts = [s.contract_id for s in suppliers]
    supplier_ids = [s.pk for s in suppliers]
    o, b, a = Order._meta.db_table, SubBasket._meta.db_table, CheckoutAttempt._meta.db_table
    with connection.cursor() as cursor:
        # The same shapes as create_orders: status by i % 9, 1 + i % n sub-baskets, one attempt
        # per order past "new"; created spread over the last year like _created().
        cursor.execute(
            f"""
            INSERT INTO {o} (public_token, reference, status, currency, total, payment_method,
                email, forename, surname, company, phone, street, street_number,
                additional_address, postal_code, city, country, language, review_reason,
                created, updated)
            SELECT md5(i::text || 'token'), 'BENCH-' || lpad(i::text, 5, '0'),
                (%(statuses)s::text[])[1 + i %% 9], 'EUR', 1000 + i %% 9000,
                CASE WHEN (%(states)s::text[])[1 + i %% 9] = 'settled'
                     THEN 'creditcard' ELSE '' END,
                'buyer' || i || '@example.net', 'Erika', 'Muster' || i, '', '', 'Musterstr.',
                (1 + i %% 99)::text, '', '09123', 'Musterstadt', 'DE', '', '',
                now() - make_interval(mins => (5 * (100000 - i)) %% 525600), now()
            FROM generate_series(%(first)s, %(last)s - 1) AS i
            """,  # noqa: S608 (table names from the models' meta; values are parameters)
            {"statuses": statuses, "states": states, "first": first, "last": last},
        )
        cursor.execute(
            f"""
            INSERT INTO {b} (order_id, position, supplier_id, contract_id, reference_id,
                description, sum, fee, shipped_at, carrier, tracking_id, invoice_number, dispute)
            SELECT o.id, p, (%(suppliers)s::bigint[])[1 + p], (%(contracts)s::text[])[1 + p],
                'sb' || p, 'Basket', 500, 10, NULL, '', '', '', ''
            FROM {o} o CROSS JOIN generate_series(0, %(n)s - 1) AS p
            WHERE o.reference >= %(lo)s AND p <= substr(o.reference, 7)::int %% %(n)s
            """,  # noqa: S608 (table names from the models' meta; values are parameters)
            {
                "suppliers": supplier_ids,
                "contracts": contracts,
                "lo": f"BENCH-{first:05d}",
                "n": len(suppliers),
            },
        )
        cursor.execute(
            f"""
            INSERT INTO {a} (order_id, number, key, state, stx_id, provider_status,
                payment_method, preselected_method, checkout_url, amount, currency,
                contract_id, is_demo, basket_fingerprint, returned_via, created, updated)
            SELECT o.id, 1, md5(o.id::text || 'key'), st.state,
                'STX_' || upper(substr(md5(o.id::text) || md5(o.reference), 1, 30)),
                CASE st.state WHEN 'settled' THEN 'ok' WHEN 'open' THEN 'created'
                     ELSE st.state END,
                CASE WHEN st.state = 'settled' THEN 'creditcard' ELSE '' END, '', '',
                o.total, 'EUR', 'GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2', true, '', '', now(), now()
            FROM {o} o
            JOIN LATERAL (
                SELECT (%(states)s::text[])[1 + substr(o.reference, 7)::int %% 9] AS state
            ) st ON true
            WHERE o.reference >= %(lo)s AND st.state IS NOT NULL
            """,  # noqa: S608 (table names from the models' meta; values are parameters)
            {"states": states, "lo": f"BENCH-{first:05d}"},
        )
        # What autovacuum does on a live table after such a load: statistics for the planner
        # and its estimates, the visibility map for index-only scans.
        for table_name in (o, b, a):
            cursor.execute(f"VACUUM ANALYZE {table_name}")


def measure(browser: Client, params: dict[str, str], expect: str) -> tuple[int, float, float, str]:
    """(queries, median ms, median database ms, problem) of one changelist URL."""
    browser.get(URL, params)  # warm-up
    counts, timings, db_timings, problem = [], [], [], ""
    for _ in range(REPEAT):
        with queries() as q, Timed() as t:
            page = browser.get(URL, params)
        counts.append(len(q))
        timings.append(t.ms)
        db_timings.append(sum(float(query["time"]) for query in q.captured_queries) * 1000)
        if page.status_code != 200:
            problem = f"HTTP {page.status_code}"
        elif expect not in page.content.decode():
            problem = f"{expect!r} missing from the page"
    if len(set(counts)) > 1:
        problem = problem or f"query count varies between repeats: {spread(counts)}"
    return counts[0], median(timings), median(db_timings), problem


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

    from datetime import timedelta

    from django.utils import timezone

    week_ago = (timezone.now() - timedelta(days=7)).replace(microsecond=0).isoformat()
    pages: tuple[tuple[str, dict[str, str], str], ...] = (
        ("first page", {}, "BENCH-"),
        (f"search q={SEARCHED}", {"q": SEARCHED}, f">{SEARCHED}<"),
        ("filter status=paid", {"status__exact": "paid"}, "BENCH-"),
        ("filter payment method", {"payment_method": "creditcard"}, "BENCH-"),
        ("filter supplier", {"supplier": str(suppliers[1].pk)}, "BENCH-"),
        ("filter created, past 7 days", {"created__gte": week_ago}, "BENCH-"),
    )
    # Pages of 10 rows at both sizes, so the ratio shows what grows with the number of orders,
    # not the rows drawn (at 10 orders a page can only hold 10); a full page of the admin's
    # default 100 rows at the largest size is printed after, for what staff see.
    from secu_marketplace.admin.orders import OrderAdmin

    full_page = OrderAdmin.list_per_page
    OrderAdmin.list_per_page = SIZES[0]
    results: dict[str, list[tuple[int, float, float, str]]] = {name: [] for name, _p, _e in pages}
    rows: list[tuple[object, ...]] = []
    made = 0
    for size in SIZES:
        with Timed() as t:
            if made == 0:
                create_orders(made, size, suppliers, rng)
            else:
                fill(made, size, suppliers, rng)
        made = size
        print(f"  {Order.objects.count():>7,} orders in the database ({t.ms / 1000:.1f} s to add)")
        for name, params, expect in pages:
            count, ms, db_ms, problem = measure(browser, params, expect)
            results[name].append((count, ms, db_ms, problem))
            rows.append((name, f"{size:,}", count, f"{ms:.1f}", f"{db_ms:.1f}", problem or "ok"))
    table(("page", "orders", "queries", "median ms", "of it in the database", "check"), rows)
    OrderAdmin.list_per_page = full_page
    full = []
    for name, params, expect in pages:
        count, ms, db_ms, problem = measure(browser, params, expect)
        full.append((name, f"{made:,}", full_page, f"{ms:.1f}", f"{db_ms:.1f}", problem or "ok"))
    print(f"\nthe same pages with the admin's {full_page} rows per page:")
    table(("page", "orders", "rows per page", "median ms", "of it in the database", "check"), full)
    ratios = [
        (
            name,
            measured[-1][1] / measured[0][1] if measured[0][1] else float("inf"),
            measured[-1][2] / measured[0][2] if measured[0][2] else float("inf"),
        )
        for name, measured in results.items()
    ]
    table(
        (
            "page",
            f"ms at {SIZES[0]:,}",
            f"ms at {SIZES[-1]:,}",
            "ratio",
            "database ms ratio",
            "goal",
        ),
        [
            (
                name,
                f"{results[name][0][1]:.1f}",
                f"{results[name][-1][1]:.1f}",
                f"{r:.2f}x",
                f"{db:.2f}x",
                f"<= {GOAL:g}x",
            )
            for name, r, db in ratios
        ],
    )
    for name, ratio, db_ratio in ratios:
        target(
            f"{name} at {SIZES[-1]:,} orders within {GOAL:g}x of its time at {SIZES[0]:,}",
            ratio <= GOAL,
            f"{ratio:.2f}x; database time {db_ratio:.2f}x",
        )
    # At the largest size a long list is counted by the planner's estimate, one query; below
    # 10,000 rows the exact COUNT follows it: a page may take one query less, never more.
    constant = all(measured[-1][0] <= measured[0][0] for measured in results.values())
    detail = "; ".join(
        f"{name}: {spread([r[0] for r in measured])}" for name, measured in results.items()
    )
    target("changelist query count does not grow with the number of orders", constant, detail)
    print(f"note: the ratios compare pages of {SIZES[0]} rows at both sizes")
    for name, measured in results.items():
        for size, (_q, _ms, _db, trouble) in zip(SIZES, measured, strict=True):
            if trouble:
                print(f"problem: {name} at {size:,} orders: {trouble}")


if __name__ == "__main__":
    run(main)
