"""A flood of distinct pushes to one payment's push URL (issue 14, "pushes that cannot be
amplified"; docs/security.md, "The push endpoint").

Whoever holds a push URL can send pushes with ids the app has never seen. Before coalescing,
every distinct push was one re-read at secuconnect (40 pushes made 40 reads in 2 s). Now a read
that starts after a push arrived covers it, and a payment is read for pushes at most once per
``PUSH_READ_INTERVAL`` (2 s by default, as here). For 40, 400 and 4,000 distinct pushes, sent by
16 threads as fast as the server takes them, this prints the reads the sandbox saw (its call log),
the ceiling one read per interval allows for the flood's duration, the pushes acknowledged per
second and their latency. Target: reads within that ceiling, every push answered 200.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from _harness import Environment, percentile, run, table, target, title
from django.test.utils import override_settings

FLOODS = (40, 400, 4000)
THREADS = 16
INTERVAL = 2.0


def flood(url: str, stx_id: str, count: int, first: int) -> tuple[list[int], list[float], float]:
    """Send ``count`` distinct pushes; their statuses, latencies (ms) and the whole duration."""
    local = threading.local()
    statuses: list[int] = []
    latencies: list[float] = []

    def send(number: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = {
            "object": "event.pushes",
            "id": f"evt_{number:032x}",
            "target": "smart.transactions",
            "type": "changed",
            "data": [{"object": "smart.transactions", "id": stx_id}],
        }
        began = time.perf_counter()
        answer = session.post(url, json=body, timeout=60)
        latencies.append((time.perf_counter() - began) * 1000)
        statuses.append(answer.status_code)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(send, range(first, first + count)))
    return statuses, latencies, time.perf_counter() - began


def main(env: Environment) -> None:
    from django.conf import settings

    from secu_marketplace.links import push_path
    from secu_marketplace.sandbox import control
    from secu_marketplace.services.checkout import start_checkout
    from tests.factories import guide_order

    title("push_flood", env)
    rows = []
    met = True
    limits = {**settings.SECU_MARKETPLACE, "PUSH_READ_INTERVAL": INTERVAL}
    # The inbox keeps 200 per payment; the flood is about reads, so let it store them all.
    limits["PUSH_INBOX_LIMIT"] = max(FLOODS) + 1
    with override_settings(SECU_MARKETPLACE=limits):
        for count in FLOODS:
            started = start_checkout(guide_order())
            env.driver.prepare(str(started.attempt.stx_id), "creditcard")
            url = env.url + push_path(started.attempt)
            control.reset_calls()
            statuses, latencies, took = flood(url, str(started.attempt.stx_id), count, count)
            # The last read may start up to one interval after the last push arrived.
            time.sleep(INTERVAL + 1)
            reads = control.count("smart.get")
            ceiling = math.ceil(took / INTERVAL) + 1
            ok = set(statuses) == {200} and reads <= ceiling
            met = met and ok
            rows.append(
                (
                    count,
                    f"{took:.1f} s",
                    f"{count / took:.0f}/s",
                    round(percentile(latencies, 50), 1),
                    round(percentile(latencies, 95), 1),
                    reads,
                    ceiling,
                    ",".join(str(s) for s in sorted(set(statuses))),
                )
            )
    table(
        (
            "pushes",
            "took",
            "acknowledged",
            "p50 ms",
            "p95 ms",
            "reads at secuconnect",
            "ceiling",
            "statuses",
        ),
        rows,
    )
    target(
        f"at most one read per {INTERVAL:g} s of flood (+1), every push answered 200",
        met,
        "; ".join(f"{r[0]} pushes: {r[5]} reads" for r in rows),
    )


if __name__ == "__main__":
    run(main)
