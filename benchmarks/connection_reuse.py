"""Connection reuse: GET one Smart Transaction N times through ``SecuconnectClient``.

- "shared session": the app as it is; one ``requests.Session`` per process with a pool of
  keep-alive connections (its pool is emptied first, so the run starts cold).
- "fresh session per call": for contrast, ``secu_marketplace.client.session`` is patched to hand
  out a new ``requests.Session`` for every call (the previous one is closed), as code that calls
  ``requests.get`` each time would.

New TCP connections are counted twice: on the client, from urllib3's log lines ("Starting new
HTTP connection", "Resetting dropped connection"); on the server, as connections accepted by the
live server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import requests
from _harness import Environment, Timed, median, percentile, run, table, target, title

CALLS = 200
WARMUP = 5


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


@contextmanager
def fresh_session_per_call() -> Iterator[None]:
    from secu_marketplace import client as client_module

    current: list[requests.Session] = []

    def fresh() -> requests.Session:
        while current:
            current.pop().close()
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "secu-marketplace"})
        current.append(session)
        return session

    with mock.patch.object(client_module, "session", fresh):
        try:
            yield
        finally:
            while current:
                current.pop().close()


def measure(env: Environment, stx_id: str) -> tuple[list[float], int, int]:
    from secu_marketplace.client import SecuconnectClient

    client = SecuconnectClient()
    client.token()  # cached before the run: only the GETs are measured
    timings = []
    accepted = env.server.accepted
    with counting() as new:
        for _ in range(CALLS):
            with Timed() as t:
                answer = client.get_smart_transaction(stx_id)
            if answer.get("id") != stx_id:
                raise RuntimeError(f"GET {stx_id} answered {answer.get('id')!r}")
            timings.append(t.ms)
    return timings, new.count, env.server.accepted - accepted


def main(env: Environment) -> None:
    from secu_marketplace import client as client_module
    from secu_marketplace.builder import Buyer, Item, SupplierBasket, build_order
    from secu_marketplace.models import Supplier
    from secu_marketplace.sandbox import world
    from secu_marketplace.services.checkout import start_checkout

    title(f"connection_reuse: {CALLS} GETs of one Smart Transaction per strategy", env)
    contract, name = next(iter(world.GUIDE_SUPPLIER_CONTRACTS.items()))
    supplier = Supplier.objects.create(contract_id=contract, name=name)
    order = build_order(
        reference="BENCH-CONN",
        buyer=Buyer(
            email="max@example.net",
            forename="Max",
            surname="Mustermann",
            street="Musterstr. 55a",
            postal_code="09123",
            city="Musterstadt",
        ),
        baskets=[SupplierBasket(supplier, items=[Item("Kaffeepads", 2, 1995)])],
    )
    stx_id = str(start_checkout(order).attempt.stx_id)
    for _ in range(WARMUP):
        client_module.SecuconnectClient().get_smart_transaction(stx_id)

    client_module.session().close()  # the shared session starts with an empty pool
    shared, shared_new, shared_accepted = measure(env, stx_id)
    with fresh_session_per_call():
        fresh, fresh_new, fresh_accepted = measure(env, stx_id)

    table(
        (
            "strategy",
            "calls",
            "median ms/call",
            "p95 ms",
            "new connections (urllib3 log)",
            "accepted by server",
        ),
        [
            (
                "shared session (keep-alive)",
                CALLS,
                f"{median(shared):.2f}",
                f"{percentile(shared, 95):.2f}",
                shared_new,
                shared_accepted,
            ),
            (
                "fresh requests.Session per call",
                CALLS,
                f"{median(fresh):.2f}",
                f"{percentile(fresh, 95):.2f}",
                fresh_new,
                fresh_accepted,
            ),
        ],
    )
    saved = median(fresh) - median(shared)
    print(f"reuse saves {saved:.2f} ms per call on loopback (no TLS, no network round trips)")
    target(
        f"about 1 new connection for {CALLS} calls with the shared session",
        shared_new <= 2 and shared_accepted <= 2,
        f"{shared_new} new, {shared_accepted} accepted",
    )


if __name__ == "__main__":
    run(main)
