"""Push endpoint under a steady load with many duplicates (reliability.md §3.6).

20 paid orders; 500 pushes, 80 % of them redeliveries of pushes already processed (secuconnect
resends until it sees 200), 20 % new ones that make the app re-read the payment. Two runs:

- "mixed": all 500 at 50 per second, in the order they come;
- "phased": the 100 new ones first at 10 per second, then the 400 redeliveries at 50 per second,
  which isolates the cost of the dedupe path.

The sandbox runs in the same process as the app (one interpreter, two cores, the load generator
beside them), so every new push's four or five API calls compete with the pushes for the CPU:
the mixed run measures that machine, the phased run the endpoint. Reported: latency percentiles
per kind and the outbound API calls (from the sandbox's call log).
Target: redeliveries p95 < 50 ms at 50/s without an API call; nothing but 200.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from _harness import Environment, percentile, run, table, target, title

RATE = 50
SECONDS = 10
DUPLICATES = 0.8
ORDERS = 20


def main(env: Environment) -> None:
    from secu_marketplace.links import push_path, return_path
    from secu_marketplace.rules.statuses import PaymentRole
    from secu_marketplace.sandbox import control
    from secu_marketplace.services.checkout import start_checkout
    from tests.factories import guide_order

    title("push_endpoint", env)
    targets = []
    for _ in range(ORDERS):
        order = guide_order()
        started = start_checkout(order)
        env.driver.prepare(str(started.attempt.stx_id), "creditcard")
        requests.get(env.url + return_path(started.attempt, "success"), timeout=10)
        leading = order.payments.get(role=PaymentRole.LEADING).pci_id
        targets.append((env.url + push_path(started.attempt), leading))

    rng = random.Random(7)
    seen: list[tuple[str, str, str]] = []
    plan: list[tuple[str, str, str, str]] = []
    for n in range(RATE * SECONDS):
        if seen and rng.random() < DUPLICATES:
            url, pci, evt = rng.choice(seen)
            plan.append(("duplicate", url, pci, evt))
        else:
            url, pci = rng.choice(targets)
            evt = f"evt_{n:032x}"
            seen.append((url, pci, evt))
            plan.append(("new", url, pci, evt))

    def fire(
        items: list[tuple[str, str, str, str]], rate: int
    ) -> tuple[dict[str, list[float]], list[int], float]:
        results: dict[str, list[float]] = {"new": [], "duplicate": []}
        statuses: list[int] = []
        local = threading.local()

        def send(kind: str, url: str, pci: str, evt: str) -> None:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            body = {
                "object": "event.pushes",
                "id": evt,
                "target": "payment.transactions",
                "type": "changed",
                "data": [{"object": "payment.transactions", "id": pci}],
            }
            began = time.perf_counter()
            response = session.post(url, json=body, timeout=30)
            results[kind].append((time.perf_counter() - began) * 1000)
            statuses.append(response.status_code)

        started_at = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for i, item in enumerate(items):
                delay = started_at + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, *item)
        return results, statuses, time.perf_counter() - started_at

    rows = []
    all_statuses: list[int] = []
    notes = []
    for run_name, batches in (
        ("mixed", [(plan, RATE)]),
        (
            "phased",
            [
                ([(k, u, p, e.replace("evt_", "evt_f")) for k, u, p, e in plan if k == "new"], 10),
                (
                    [
                        (k, u, p, e.replace("evt_", "evt_f"))
                        for k, u, p, e in plan
                        if k == "duplicate"
                    ],
                    RATE,
                ),
            ],
        ),
    ):
        for items, rate in batches:
            control.reset_calls()
            results, statuses, duration = fire(items, rate)
            all_statuses += statuses
            api = control.count("smart.get") + control.count("payment.get")
            for kind in ("duplicate", "new"):
                values = results[kind]
                if values:
                    rows.append(
                        (
                            run_name,
                            kind,
                            f"{len(items) / duration:.0f}/s",
                            len(values),
                            round(percentile(values, 50), 1),
                            round(percentile(values, 95), 1),
                            round(percentile(values, 99), 1),
                        )
                    )
            notes.append(f"{run_name} @ {rate}/s: {len(items)} pushes, {api} API GETs")
            if run_name == "phased" and rate == RATE:
                dup_p95 = percentile(results["duplicate"], 95)
                dup_api = api
    table(("run", "push", "rate", "count", "p50 ms", "p95 ms", "p99 ms"), rows)
    for note in notes:
        print(note)
    target(
        "redeliveries p95 < 50 ms at 50/s with no API call; only 200s",
        dup_p95 < 50 and dup_api == 0 and set(all_statuses) == {200},
        f"p95 {dup_p95:.1f} ms, {dup_api} API calls",
    )


if __name__ == "__main__":
    run(main)
