"""Push race: many duplicate pushes and a return hit for one payment at the same moment.

reliability.md §3.3's figure: "32 concurrent duplicate pushes plus 1 return hit on the same
attempt give exactly 1 pending->paid transition, 1 confirmation signal, 32/32 pushes recorded,
0 HTTP 5xx, over >= 30 repetitions". Each trial: a prepaid order waits for the transfer; the
money arrives at the sandbox; then N threads post the same push (one evt_ id) or a fresh one and
one thread loads the buyer's return page, all released together by a barrier. Counted: order
transitions to paid, order_paid signals, pushes in the inbox, non-2xx answers.

A PostgreSQL figure (SQLite serialises every writer, so a race there proves nothing): it runs on
BENCH_DATABASE_URL, else on SECU_TEST_POSTGRES_URL's server (as ``make benchmarks`` under
``.ci/run`` has it); with neither set it says so and runs nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

if not os.environ.get("BENCH_DATABASE_URL", "").strip():
    if not os.environ.get("SECU_TEST_POSTGRES_URL", "").strip():
        print("push_race: not run; it needs PostgreSQL (set BENCH_DATABASE_URL=postgres://...)")
        sys.exit(0)
    os.environ["BENCH_DATABASE_URL"] = os.environ["SECU_TEST_POSTGRES_URL"]

# Imported after the database is chosen: _harness reads BENCH_DATABASE_URL on import.
import requests
from _harness import Environment, run, table, target, title
from django.db import connection, connections

TRIALS = 30
PUSHERS = (32,)


def trial(env: Environment, pushers: int, same_id: bool, n: int) -> dict[str, Any]:
    from secu_marketplace import signals
    from secu_marketplace.links import push_path, return_path
    from secu_marketplace.models import PushNotification
    from secu_marketplace.rules.statuses import PaymentRole
    from secu_marketplace.services.checkout import start_checkout
    from tests.factories import guide_order

    order = guide_order()
    started = start_checkout(order)
    env.driver.prepare(str(started.attempt.stx_id), "prepaid")
    requests.get(env.url + return_path(started.attempt, "success"), timeout=10)
    leading = order.payments.get(role=PaymentRole.LEADING).pci_id
    env.driver.session.post(
        f"{env.url}/sandbox/api/v2/Payment/Secupayprepays/{leading}/TestChangedPaymentStatus",
        json={"new_status_id": 1},
        headers={"Authorization": f"Bearer {env.driver.token}"},
        timeout=10,
    ).raise_for_status()

    paid: list[int] = []

    def heard(sender: Any, order: Any, **kwargs: Any) -> None:
        paid.append(order.pk)

    signals.order_paid.connect(heard)
    barrier = threading.Barrier(pushers + 1)
    statuses: list[int] = []
    url = env.url + push_path(started.attempt)

    def push(i: int) -> None:
        # Unique per trial and configuration; shared by all threads when same_id.
        evt = f"evt_{int(same_id):04x}{n:08x}{0 if same_id else i + 1:020x}"
        body = {
            "object": "event.pushes",
            "id": evt,
            "target": "payment.transactions",
            "type": "changed",
            "data": [{"object": "payment.transactions", "id": leading}],
        }
        with requests.Session() as session:
            barrier.wait()
            statuses.append(session.post(url, json=body, timeout=30).status_code)

    def come_back() -> None:
        with requests.Session() as session:
            barrier.wait()
            statuses.append(
                session.get(
                    env.url + return_path(started.attempt, "success"), timeout=30
                ).status_code
            )

    threads = [threading.Thread(target=push, args=(i,)) for i in range(pushers)]
    threads.append(threading.Thread(target=come_back))
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    signals.order_paid.disconnect(heard)
    transitions = order.events.filter(subject="order", to_status="paid").count()
    inbox = PushNotification.objects.filter(attempt__order=order)
    return {
        "transitions": transitions,
        "signals": paid.count(order.pk),
        "errors": sum(1 for s in statuses if s >= 500),
        "non_200": sum(1 for s in statuses if s != 200),
        "deliveries": sum(inbox.values_list("deliveries", flat=True)),
        "rows": inbox.count(),
        "ms": elapsed * 1000,
    }


def main(env: Environment) -> None:
    if connection.vendor != "postgresql":
        raise SystemExit(f"push_race needs PostgreSQL, not {connection.vendor}")
    title("push_race", env)
    rows = []
    all_met = True
    for pushers in PUSHERS:
        for same_id in (True, False):
            results = [trial(env, pushers, same_id, n) for n in range(TRIALS)]
            connections.close_all()
            exact = sum(1 for r in results if r["transitions"] == 1 and r["signals"] == 1)
            errors = sum(r["errors"] for r in results)
            recorded = sum(r["deliveries"] for r in results)
            all_met &= exact == TRIALS and errors == 0 and recorded == pushers * TRIALS
            rows.append(
                (
                    f"{pushers} pushes + 1 return",
                    "one evt_ id" if same_id else "distinct ids",
                    f"{exact}/{TRIALS}",
                    errors,
                    f"{recorded}/{pushers * TRIALS}",
                    round(sorted(r["ms"] for r in results)[TRIALS // 2]),
                )
            )
    table(
        (
            "burst",
            "push ids",
            "trials with exactly 1 transition and 1 signal",
            "5xx",
            "pushes recorded",
            "median ms",
        ),
        rows,
    )
    target(
        "every burst: exactly 1 pending->paid transition, 1 signal, 0 5xx, every push recorded",
        all_met,
    )


if __name__ == "__main__":
    run(main)
