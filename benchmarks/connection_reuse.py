"""Connection reuse over TLS with a realistic round trip: create + read of a Smart Transaction.

The sandbox runs in a process of its own (``_network.sandbox_process``), behind a proxy that
terminates TLS (a self-signed certificate made at start) and adds a 20 ms round trip to every
flight, the TCP and TLS handshakes included (``_network.delayed``). Two clients do the same
PAIRS create + read pairs, one after another, with a token fetched before:

- "our client": ``SecuconnectClient`` as it is, one ``requests.Session`` per process whose
  pool keeps the TLS connection alive;
- "a connection per call": ``requests.post`` / ``requests.get`` without a session, as
  pretix-secuconnect's client does, so every call pays a new TCP connection and TLS handshake.

New connections are counted from urllib3's log lines (after a few warm-up pairs). Goal: our
client does create + read at least 2.5x as fast as the other. The sandbox's own time per pair
(our client with the round trip switched off) is printed too: both clients pay it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from _harness import Environment, median, percentile, run, table, target, title
from _network import base_url, delayed, sandbox_process
from django.test.utils import override_settings

PAIRS = 60
WARMUP = 3
RTT_MS = 20
GOAL = 2.5


class NewConnections(logging.Handler):
    """Counts urllib3's "a new TCP connection is being made" log lines."""

    MARKERS = ("Starting new HTTP", "Resetting dropped connection")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.MARKERS):
            self.count += 1


@contextmanager
def counting() -> Iterator[NewConnections]:
    logger = logging.getLogger("urllib3.connectionpool")
    handler = NewConnections()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def payload() -> dict[str, Any]:
    """The body the app sends for a real order: a checkout's own attempt, built again."""
    from secu_marketplace.links import return_urls
    from secu_marketplace.provider.payloads import smart_transaction_payload
    from secu_marketplace.services.checkout import start_checkout
    from tests.factories import guide_order

    order = guide_order()
    attempt = start_checkout(order).attempt
    return smart_transaction_payload(order, attempt, urls=return_urls(attempt), language="en")


def ours(body: dict[str, Any]) -> None:
    from secu_marketplace.provider.client import SecuconnectClient

    client = SecuconnectClient()
    created = client.create_smart_transaction(body)
    read = client.get_smart_transaction(str(created["id"]))
    if read.get("id") != created["id"]:
        raise RuntimeError(f"read {created['id']} answered {read.get('id')!r}")


def per_call(api: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def pair(body: dict[str, Any]) -> None:
        created = requests.post(
            f"{api}/api/v2/Smart/Transactions", json=body, headers=headers, timeout=30
        )
        created.raise_for_status()
        stx_id = created.json()["id"]
        read = requests.get(
            f"{api}/api/v2/Smart/Transactions/{stx_id}", headers=headers, timeout=30
        )
        read.raise_for_status()
        if read.json().get("id") != stx_id:
            raise RuntimeError(f"read {stx_id} answered something else")

    return pair


def measure(pair: Any, body: dict[str, Any]) -> tuple[list[float], float, int]:
    """ms per pair, pairs per second, new connections"""
    for _ in range(WARMUP):
        pair(body)
    timings = []
    with counting() as new:
        started = time.perf_counter()
        for _ in range(PAIRS):
            begun = time.perf_counter()
            pair(body)
            timings.append((time.perf_counter() - begun) * 1000)
        elapsed = time.perf_counter() - started
    return timings, PAIRS / elapsed, new.count


def main(env: Environment) -> None:
    from django.conf import settings

    from secu_marketplace.provider import client as client_module
    from secu_marketplace.provider.client import SecuconnectClient

    title(
        f"connection_reuse: {PAIRS} create + read pairs over TLS with a {RTT_MS} ms round trip",
        env,
    )
    with sandbox_process() as described, delayed(base_url(described), RTT_MS, tls=True) as link:
        print(f"provider: the sandbox in its own process, {described}; TLS proxy {link.url}")
        api = f"{link.url}/sandbox"
        with override_settings(SECU_MARKETPLACE={**settings.SECU_MARKETPLACE, "API_URL": api}):
            body = payload()
            token = SecuconnectClient().token()
            client_module.session().close()  # our pool starts empty: its first connection counts
            kept, kept_rate, kept_new = measure(lambda b: ours(b), body)
            fresh, fresh_rate, fresh_new = measure(per_call(api, token), body)
            # The sandbox's own time per pair (our client, no added round trip): both clients
            # pay it, and a real provider's would differ.
            link.latency(False)
            server, _rate, _new = measure(lambda b: ours(b), body)
    table(
        ("client", "pairs", "pairs/s", "median ms/pair", "p95 ms", "new TLS connections"),
        [
            (
                "our client (kept-alive session)",
                PAIRS,
                f"{kept_rate:.1f}",
                f"{median(kept):.1f}",
                f"{percentile(kept, 95):.1f}",
                kept_new,
            ),
            (
                "a connection per call (requests.post/get)",
                PAIRS,
                f"{fresh_rate:.1f}",
                f"{median(fresh):.1f}",
                f"{percentile(fresh, 95):.1f}",
                fresh_new,
            ),
        ],
    )
    ratio = kept_rate / fresh_rate
    own = median(server)
    print(
        f"the sandbox's own time per pair here: about {own:.1f} ms (median, no added round trip); "
        f"less that, the medians' ratio is "
        f"{(median(fresh) - own) / max(median(kept) - own, 0.1):.2f}x"
    )
    target(
        f"create + read at least {GOAL}x the throughput of a connection per call "
        f"(TLS, {RTT_MS} ms round trip)",
        ratio >= GOAL,
        f"{ratio:.2f}x",
    )
    target(
        f"at most 1 new connection for {PAIRS * 2} calls with our client",
        kept_new <= 1,
        f"{kept_new} new, {fresh_new} for the other",
    )


if __name__ == "__main__":
    run(main)
