"""Load test: checkout, return and push traffic against the multi-process deployment.

The deployment is tests/deployment.py's (docs/deployment.md): two gunicorn servers with two
worker processes of four threads each, on one port (``SO_REUSEPORT``), on PostgreSQL, the OAuth
token shared through Redis, the sandbox mounted on the same servers. Needs
``BENCH_DATABASE_URL=postgres://...`` and ``BENCH_REDIS_URL=redis://...``; without them it says
so and measures nothing (SQLite cannot serve several processes that write at once).

``BUYERS`` threads each play whole journeys over HTTP, as many as they can for ``SECONDS``:

1. checkout: the order page (GET, for the CSRF cookie), then "Pay now" (POST; the app creates
   the Smart Transaction at the sandbox and answers 303);
2. the buyer pays at the sandbox (not measured: that is secuconnect's side);
3. return: the buyer's browser comes back through ``url_success`` (GET; the app re-reads);
4. push: secuconnect's push (POST; the app re-reads) and one redelivery of it (answered from
   the inbox).

Reported per kind: requests, throughput, p50/p95 latency and errors (anything but the expected
status, or no answer). No goal is set in the issue for these figures; errors must be 0.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import defaultdict
from typing import Any

import requests
from _harness import Environment, SandboxDriver, percentile, run, table, target, title
from django.db import connection

BUYERS = 8
SECONDS = 30
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main(env: Environment) -> None:
    from secu_marketplace.links import push_path, return_path
    from secu_marketplace.models import CheckoutAttempt
    from tests.deployment import start
    from tests.factories import guide_order

    title("load_test", env)
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip()
    if connection.vendor != "postgresql" or not redis_url:
        print(
            "skipped: the multi-process deployment needs BENCH_DATABASE_URL=postgres://... and "
            "BENCH_REDIS_URL=redis://..."
        )
        return
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    database_url = f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    started = time.perf_counter()
    deployment = start(database_url, redis_url)
    base = deployment.app_url
    print(
        f"deployment: 2 gunicorn servers x 2 processes x 4 threads at {base}, up in "
        f"{time.perf_counter() - started:.1f} s; {BUYERS} buyers for {SECONDS} s"
    )
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    messages: set[str] = set()
    lock = threading.Lock()
    journeys = [0]
    orders_lock = threading.Lock()

    def timed(
        kind: str, expected: int, session: requests.Session, method: str, url: str, **kw: Any
    ) -> requests.Response | None:
        began = time.perf_counter()
        try:
            response = session.request(method, url, timeout=30, **kw)
        except requests.RequestException as error:
            with lock:
                errors[kind] += 1
                messages.add(f"{kind}: {type(error).__name__}")
            return None
        ms = (time.perf_counter() - began) * 1000
        with lock:
            timings[kind].append(ms)
            if response.status_code != expected:
                errors[kind] += 1
                messages.add(f"{kind}: HTTP {response.status_code}")
        return response

    def buyer(deadline: float) -> None:
        session = requests.Session()
        driver = SandboxDriver(base)
        try:
            while time.perf_counter() < deadline:
                with orders_lock:  # factory_boy's sequences are not thread-safe
                    order = guide_order()
                page = timed(
                    "checkout", 200, session, "GET", f"{base}/payments/order/{order.public_token}/"
                )
                match = CSRF_RE.search(page.text) if page is not None else None
                if match is None:
                    with lock:
                        errors["checkout"] += 1
                        messages.add("checkout: no CSRF token on the order page")
                    continue
                paid = timed(
                    "checkout",
                    303,
                    session,
                    "POST",
                    f"{base}/payments/pay/{order.public_token}/",
                    data={"csrfmiddlewaretoken": match.group(1)},
                    allow_redirects=False,
                )
                if paid is None or paid.status_code != 303:
                    continue
                attempt = CheckoutAttempt.objects.filter(order=order).order_by("-number").first()
                if attempt is None or not attempt.stx_id:
                    continue
                driver.prepare(str(attempt.stx_id), "creditcard")
                timed("return", 200, session, "GET", base + return_path(attempt))
                body = {
                    "object": "event.pushes",
                    "id": f"evt_{attempt.pk:032x}",
                    "target": "smart.transactions",
                    "type": "changed",
                    "data": [{"object": "smart.transactions", "id": attempt.stx_id}],
                }
                for _delivery in range(2):  # the push, then secuconnect's redelivery of it
                    timed("push", 200, session, "POST", base + push_path(attempt), json=body)
                with lock:
                    journeys[0] += 1
        finally:
            session.close()
            driver.close()
            connection.close()

    try:
        began = time.perf_counter()
        deadline = began + SECONDS
        threads = [threading.Thread(target=buyer, args=(deadline,)) for _ in range(BUYERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        deployment.stop()
    rows = []
    for kind in ("checkout", "return", "push"):
        values = timings[kind]
        rows.append(
            (
                kind,
                len(values),
                f"{len(values) / elapsed:.1f}",
                f"{percentile(values, 50):.0f}" if values else "-",
                f"{percentile(values, 95):.0f}" if values else "-",
                errors[kind],
            )
        )
    table(("traffic", "requests", "per second", "p50 ms", "p95 ms", "errors"), rows)
    print(f"{journeys[0]} complete journeys in {elapsed:.1f} s: {journeys[0] / elapsed:.2f}/s")
    for message in sorted(messages):
        print(f"  error: {message}")
    target("no errors under load", not any(errors.values()))


if __name__ == "__main__":
    run(main)
