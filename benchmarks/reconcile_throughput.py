"""Reconciliation throughput: ``secu_sync``'s ``reconcile`` over many due attempts, with the
provider in its own process behind a network that takes 50 ms per call.

Set-up: ATTEMPTS checkouts opened through the app (each a Smart Transaction at the sandbox,
"created", as a buyer who never paid leaves it), synced once so that the app holds their answers.
Then, for each run, every attempt is made due again and ``reconcile`` runs:

- "no latency, 1 thread": the app's own work per synced attempt (wall time and this process's
  CPU time per attempt; the sandbox's work is in its own process);
- "50 ms, N threads": the goal. Ideal = attempts x calls per attempt x 50 ms / concurrency; the
  goal is elapsed <= 1.25 x ideal.

The sandbox runs in a process of its own (``_network.sandbox_process``) on a database of its own
(on ``BENCH_DATABASE_URL``'s server when set: its call log is written on every call, which
SQLite serialises), behind ``_network.delayed`` (25 ms each way, switched off for the set-up and
the runs without latency: one URL throughout, since the sandbox's answers name the host they
were asked at). Calls are counted from the client's log lines (the token, fetched before, not
included). ``BENCH_RECONCILE_ATTEMPTS`` and ``BENCH_RECONCILE_CONCURRENCY`` (e.g. ``4,8``) change
the run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from _harness import Environment, run, table, target, title
from _network import base_url, delayed, sandbox_process
from django.db import connections
from django.test.utils import override_settings

ATTEMPTS = int(os.environ.get("BENCH_RECONCILE_ATTEMPTS", "1000"))
LATENCY_MS = 50
CONCURRENCY = tuple(int(c) for c in os.environ.get("BENCH_RECONCILE_CONCURRENCY", "4,8").split(","))
GOAL = 1.25


class Calls(logging.Handler):
    """Counts the client's "secuconnect METHOD PATH -> ..." lines (one per call sent)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("secuconnect ") and "/oauth/" not in message:
            self.count += 1


@contextmanager
def counting() -> Iterator[Calls]:
    logger = logging.getLogger("secu_marketplace.provider.client")
    handler = Calls()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@contextmanager
def provider_at(base: str) -> Iterator[None]:
    from django.conf import settings

    current = dict(settings.SECU_MARKETPLACE)
    with override_settings(SECU_MARKETPLACE={**current, "API_URL": f"{base}/sandbox"}):
        yield


def open_checkouts(count: int) -> None:
    from secu_marketplace.services.checkout import start_checkout
    from tests.factories import guide_order

    orders = [guide_order() for _ in range(count)]

    def one(order_id: int) -> None:
        from secu_marketplace.models import Order

        try:
            start_checkout(Order.objects.get(pk=order_id))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, [o.pk for o in orders]))


def make_due() -> None:
    from secu_marketplace.models import CheckoutAttempt

    CheckoutAttempt.objects.update(last_synced_at=None, claimed_until=None)


def reconcile_all(concurrency: int) -> tuple[float, float, int, int, int]:
    """elapsed s, CPU s of this process, attempts synced, calls, attempts failed"""
    from secu_marketplace.services.bulk_sync import reconcile

    make_due()
    with counting() as calls:
        cpu, started = time.process_time(), time.perf_counter()
        attempts, summary = reconcile(min_age=0, concurrency=concurrency)
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, used, len(attempts), calls.count, summary.failed


def main(env: Environment) -> None:
    from secu_marketplace.models import CheckoutAttempt
    from secu_marketplace.provider.client import SecuconnectClient

    title(
        f"reconcile_throughput: {ATTEMPTS} due attempts, sandbox in its own process, "
        f"{LATENCY_MS} ms per call",
        env,
    )
    with sandbox_process() as described, delayed(base_url(described), LATENCY_MS) as link:
        print(f"provider: the sandbox in its own process, {described}; delaying proxy {link.url}")
        # One URL throughout: the sandbox's answers name the host they were asked at.
        with provider_at(link.url):
            link.latency(False)
            SecuconnectClient().token()
            started = time.perf_counter()
            open_checkouts(ATTEMPTS)
            print(f"opened {ATTEMPTS} checkouts in {time.perf_counter() - started:.1f} s")
            first = reconcile_all(4)  # the answers applied once; from now on nothing moves
            base = reconcile_all(1)
            rows = [
                ("first sync (answers applied), no latency", 4, *first),
                ("unchanged, no latency", 1, *base),
            ]
            results = []
            link.latency(True)
            for concurrency in CONCURRENCY:
                measured = reconcile_all(concurrency)
                rows.append((f"unchanged, {LATENCY_MS} ms per call", concurrency, *measured))
                results.append((concurrency, measured))
    open_left = CheckoutAttempt.objects.exclude(state="open").count()
    printed = []
    for label, concurrency, elapsed, cpu, synced, calls, failed in rows:
        per = calls / synced if synced else 0
        latency = LATENCY_MS if "ms per call" in label else 0
        ideal = synced * per * latency / 1000 / concurrency
        printed.append(
            (
                label,
                synced,
                calls,
                f"{per:.2f}",
                concurrency,
                f"{elapsed:.2f}",
                f"{ideal:.2f}" if ideal else "-",
                f"{elapsed / ideal:.2f}x" if ideal else "-",
                f"{elapsed * 1000 / synced:.2f}",
                f"{cpu * 1000 / synced:.2f}",
                failed,
            )
        )
    table(
        (
            "run",
            "attempts",
            "calls",
            "calls/attempt",
            "concurrency",
            "elapsed s",
            "ideal s",
            "ratio",
            "ms/attempt",
            "app CPU ms/attempt",
            "failed",
        ),
        printed,
    )
    if open_left:
        print(f"warning: {open_left} attempts are no longer open")
    # What the sandbox itself takes per call here (the 1-thread run without latency, less our
    # own CPU time): the goal's ideal counts the 50 ms only, as if the provider answered at once.
    _label, _c, elapsed1, cpu1, synced1, _calls, _failed = rows[1]
    provider_ms = max(0.0, (elapsed1 - cpu1) * 1000 / synced1) if synced1 else 0.0
    print(
        f"the sandbox's own time per call here: about {provider_ms:.1f} ms; with it, the ideal at "
        + ", ".join(
            f"concurrency {c} would be {m[3] * (LATENCY_MS + provider_ms) / 1000 / c:.2f} s "
            f"({m[0] / (m[3] * (LATENCY_MS + provider_ms) / 1000 / c):.2f}x)"
            for c, m in results
            if m[3]
        )
    )
    for concurrency, (elapsed, _cpu, synced, calls, failed) in results:
        ideal = calls * LATENCY_MS / 1000 / concurrency
        target(
            f"{synced} due attempts at {LATENCY_MS} ms, concurrency {concurrency}: elapsed "
            f"within {GOAL}x of attempts x calls x {LATENCY_MS} ms / concurrency",
            synced == ATTEMPTS and not failed and elapsed <= GOAL * ideal,
            f"{elapsed:.2f} s, ideal {ideal:.2f} s, {elapsed / ideal:.2f}x",
        )
        target(
            "1 API call per attempt whose Smart Transaction has not changed",
            calls == synced,
            f"{calls} calls for {synced} attempts",
        )


if __name__ == "__main__":
    run(main)
