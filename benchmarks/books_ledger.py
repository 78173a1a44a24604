"""The supplier ledger (``read.books.supplier_ledger``): queries and time at 100 and 10,000
orders, every one paid (two thirds with two or three suppliers), with a payout recorded for
every tenth part.

Orders come from ``admin_changelist.create_orders`` (bulk-created, never through the API), each
settled attempt gets a sub-transaction per part; payouts are written as rows. Goal (issue 19):
the same number of queries at both sizes (the ledger reads six tables whatever their size);
the time grows with the rows it adds up, and is printed. Run it on PostgreSQL with
``BENCH_DATABASE_URL=postgres://...``.
"""

from __future__ import annotations

import random
from typing import Any

from _harness import Environment, Timed, median, queries, run, table, target, title
from admin_changelist import create_orders

SIZES = (100, 10_000)
REPEAT = 5


def add_payments(suppliers: list[Any]) -> None:
    """A sub-transaction for every part of every settled attempt, and a payout line for every
    tenth part."""
    from django.db import transaction

    from secu_marketplace.models import PaymentTransaction, Payout, PayoutLine, SubBasket

    parts = SubBasket.objects.filter(
        order__attempts__state="settled", payments__isnull=True
    ).values_list("pk", "order_id", "order__attempts__pk", "sum", "supplier_id")
    with transaction.atomic():
        made = PaymentTransaction.objects.bulk_create(
            [
                PaymentTransaction(
                    attempt_id=attempt,
                    order_id=order,
                    sub_basket_id=sub,
                    role="sub",
                    pci_id=f"PCI_BENCH{sub:025d}",
                    trans_id=40_000_000 + sub,
                    status_simple=1,
                    amount=total,
                    currency="EUR",
                )
                for sub, order, attempt, total, _supplier in parts
            ],
            batch_size=500,
        )
        payout = Payout.objects.create(
            purpose=f"BENCH {len(made)}",
            currency="EUR",
            supplier=suppliers[0],
            contract_id=suppliers[0].contract_id,
        )
        from django.utils import timezone

        Payout.objects.filter(pk=payout.pk).update(date=timezone.now())
        PayoutLine.objects.bulk_create(
            [
                PayoutLine(
                    payout=payout,
                    provider_id=f"PPO_{p.pk}",
                    trans_id=p.trans_id,
                    payout_amount=p.amount or 0,
                    payment=p,
                    sub_basket_id=p.sub_basket_id,
                )
                for p in made[::10]
            ],
            batch_size=500,
        )


def main(env: Environment) -> None:
    from secu_marketplace.models import Order, Supplier
    from secu_marketplace.read.books import supplier_ledger
    from secu_marketplace.sandbox import world

    title(f"books_ledger: supplier_ledger() over every order, median of {REPEAT}", env)
    suppliers = [
        Supplier.objects.create(contract_id=contract, name=name, fee_rate=200)
        for contract, name in {
            **world.GUIDE_SUPPLIER_CONTRACTS,
            **world.EXTRA_SUPPLIER_CONTRACTS,
        }.items()
    ]
    rng = random.Random(20261206)
    rows, counts = [], []
    made = 0
    for size in SIZES:
        create_orders(made, size, suppliers, rng, with_items=False)
        add_payments(suppliers)
        made = size
        Order.objects.update(status="paid")
        supplier_ledger()  # warm-up
        timings = []
        for _ in range(REPEAT):
            with queries() as q, Timed() as t:
                ledger = supplier_ledger()
            timings.append(t.ms)
        counts.append(len(q))
        sold = sum(row.sold for row in ledger if row.supplier)
        rows.append((f"{size:,}", len(q), f"{median(timings):.0f}", f"{sold:,}"))
    table(("orders", "queries", "median ms", "sold (minor units)"), rows)
    target("the same queries at every size", len(set(counts)) == 1, f"{counts}")


if __name__ == "__main__":
    run(main)
