"""The sandbox clock and what reads it (push retries over 24 h, token expiry, CHECKOUT_TTL), the
push timeout, the switches for what nothing public decides, and consecutive TA numbers."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, override_settings

from secu_marketplace.sandbox import clock, control, transitions
from secu_marketplace.sandbox.models import PushDelivery
from tests.helpers import SandboxApi, control_client

from .conftest import authorised, leading_id, mixed_body, plain_body

# The provider's promise: retried until 200 for 24 h, with the defaults' backoff (2 s … 600 s).
WINDOW = {"PUSH_MODE": "manual", "PUSH_BACKOFF_BASE": 2.0, "PUSH_BACKOFF_MAX": 600.0}
HOUR = 3600


# The clock's offset and the switches are rows in the test's database: each test starts from
# real time and the defaults, because its transaction is rolled back (or flushed) afterwards.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Shop:
    """A push receiver on a fixed port that can be down (503, or not listening at all)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.answer = 200
        self.received = 0
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/push"

    def up(self) -> None:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                shop.received += 1
                self.send_response(shop.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def shop() -> Iterator[Shop]:
    receiver = Shop(_free_port())
    yield receiver
    receiver.down()


def _until_due(delivery: PushDelivery) -> None:
    """Let the sandbox clock run to the delivery's next attempt."""
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - clock.now()).total_seconds()
    if wait > 0:
        control.advance_clock(wait + 0.001)


@override_settings(SECU_SANDBOX=WINDOW)
@pytest.mark.parametrize("outage", ["503", "connection refused"])
def test_a_shop_down_for_30_minutes_still_gets_the_push(
    api: SandboxApi, shop: Shop, outage: str
) -> None:
    if outage == "503":
        shop.answer = 503
        shop.up()
    authorised(api, "debit", plain_body(url_push=shop.url))
    [delivery] = PushDelivery.objects.all()
    started = clock.now()
    while (clock.now() - started).total_seconds() < 30 * 60:
        assert len(control.deliver_due_pushes()) == 1
        delivery.refresh_from_db()
        assert delivery.state == PushDelivery.State.PENDING  # retried, not given up
        assert control.deliver_due_pushes() == []  # the next retry waits for its backoff
        _until_due(delivery)
    # The shop is back.
    if outage == "503":
        shop.answer = 200
    else:
        shop.up()
    _until_due(delivery)
    assert len(control.deliver_due_pushes()) == 1
    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.DELIVERED
    history = delivery.history
    failed = history[:-1]
    assert len(failed) >= 8  # 2, 4, 8 … 512, then every 600 s
    assert all(h["status"] != 200 for h in failed)
    assert {h["status"] for h in failed} == ({503} if outage == "503" else {None})
    assert history[-1]["status"] == 200
    first, last = (datetime.fromisoformat(h["at"]) for h in (history[0], history[-1]))
    assert (last - first).total_seconds() >= 30 * 60
    gaps = [
        (datetime.fromisoformat(b["at"]) - datetime.fromisoformat(a["at"])).total_seconds()
        for a, b in itertools.pairwise(history)
    ]
    assert max(gaps) <= 600 + 1  # the backoff is capped
    assert delivery.delivered_at is not None


@override_settings(SECU_SANDBOX=WINDOW)
def test_a_push_is_given_up_only_after_24_hours(api: SandboxApi, shop: Shop) -> None:
    shop.answer = 503
    shop.up()
    authorised(api, "debit", plain_body(url_push=shop.url))
    [delivery] = PushDelivery.objects.all()
    control.deliver_due_pushes()
    control.advance_clock(23 * HOUR)
    control.deliver_due_pushes()
    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.PENDING  # 23 h: still trying
    # The last attempt is made when the window closes, not later.
    assert (delivery.next_attempt_at - delivery.created).total_seconds() <= 24 * HOUR
    control.advance_clock(HOUR + 1)
    control.deliver_due_pushes()
    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.FAILED
    assert delivery.attempts == 3
    assert shop.received == 3


@override_settings(SECU_SANDBOX={**WINDOW, "PUSH_RETRY_FOR": 48 * HOUR})
def test_the_window_is_a_setting(api: SandboxApi, shop: Shop) -> None:
    shop.answer = 503
    shop.up()
    authorised(api, "debit", plain_body(url_push=shop.url))
    control.deliver_due_pushes()
    control.advance_clock(25 * HOUR)
    control.deliver_due_pushes()
    assert PushDelivery.objects.get().state == PushDelivery.State.PENDING


@override_settings(SECU_SANDBOX={**WINDOW, "PUSH_TIMEOUT": 0.3})
def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(api: SandboxApi) -> None:
    # Accepts the connection, reads nothing, never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/push"
        authorised(api, "debit", plain_body(url_push=url))
        began = time.monotonic()
        control.deliver_due_pushes()
        assert time.monotonic() - began < 3
    finally:
        silent.close()
    delivery = PushDelivery.objects.get()
    assert delivery.state == PushDelivery.State.PENDING  # failed attempt, retried later
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "Timeout" in delivery.last_error


def test_the_defaults_are_the_providers_promise() -> None:
    from secu_marketplace.sandbox import conf

    assert conf.DEFAULTS["PUSH_RETRY_FOR"] == 24 * HOUR
    assert conf.DEFAULTS["PUSH_TIMEOUT"] == 30.0


# --- The clock itself, and what else reads it ----------------------------------------------------


def test_the_clock_control_api(sandbox_world: object) -> None:
    client = control_client()
    before = client.get("/sandbox/control/clock").json()
    assert before["offset"] == 0
    moved = client.post(
        "/sandbox/control/clock", {"advance": 1800}, content_type="application/json"
    ).json()
    assert moved["offset"] == 1800
    assert clock.offset() == 1800
    assert (clock.now() - datetime.fromisoformat(before["now"])).total_seconds() >= 1800
    refused = client.post(
        "/sandbox/control/clock", {"advance": -5}, content_type="application/json"
    )
    assert refused.status_code == 400
    reset = client.post("/sandbox/control/clock", {"reset": True}, content_type="application/json")
    assert reset.json()["offset"] == 0


def test_tokens_expire_by_the_sandbox_clock(api: SandboxApi) -> None:
    assert api.get("/api/v2/Smart/Transactions").status == 200
    control.advance_clock(1201)
    expired = api.get("/api/v2/Smart/Transactions")
    assert expired.status == 403
    assert expired.json()["code"] == 2003
    api.authenticate()
    assert api.get("/api/v2/Smart/Transactions").status == 200


def test_checkout_ttl_runs_on_the_sandbox_clock(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    assert Client().get(f"/sandbox/checkout/{stx['id']}/").status_code == 200
    control.advance_clock(24 * HOUR + 1)
    api.authenticate()
    assert Client().get(f"/sandbox/checkout/{stx['id']}/").status_code == 410
    assert api.prepare(stx["id"], "debit").status == 409


# --- Switches ------------------------------------------------------------------------------------


def test_switches_default_and_can_be_set_through_the_control_api(sandbox_world: object) -> None:
    client = control_client()
    assert client.get("/sandbox/control/switches").json()["switches"] == {
        "CANCEL_STATUS": "cancelled",
        "ABORT_STATUS": "cancelled",
        "UNKNOWN_ID": "404",
        "SUB_PUSHES": True,
        "QUERY_SPELLING": "merchantRef",
        "METHOD_NAMES": "smart",
        "CONTRACT_CREATED": "created",
        "CHARGEBACK_PARTS": True,
        "CANCEL_PAID": "refuse",
    }
    answer = client.post(
        "/sandbox/control/switches",
        {"CANCEL_STATUS": "failed", "UNKNOWN_ID": 403, "SUB_PUSHES": False},
        content_type="application/json",
    ).json()["switches"]
    assert answer["CANCEL_STATUS"] == "failed"
    assert answer["UNKNOWN_ID"] == "403"
    assert control.switches()["SUB_PUSHES"] is False
    bad = client.post(
        "/sandbox/control/switches", {"ABORT_STATUS": "gone"}, content_type="application/json"
    )
    assert bad.status_code == 400
    unknown = client.post("/sandbox/control/switches", {"NOPE": 1}, content_type="application/json")
    assert unknown.status_code == 400
    client.post(
        "/sandbox/control/switches", {"CANCEL_STATUS": None}, content_type="application/json"
    )
    assert control.switches()["CANCEL_STATUS"] == "cancelled"
    assert client.delete("/sandbox/control/switches").json()["switches"]["UNKNOWN_ID"] == "404"


@override_settings(SECU_SANDBOX={"PUSH_MODE": "manual", "QUERY_SPELLING": "both"})
def test_a_switch_defaults_to_its_setting_and_a_run_time_value_wins(
    sandbox_world: object,
) -> None:
    assert control.switches()["QUERY_SPELLING"] == "both"
    control.set_switch("QUERY_SPELLING", "merchant_ref")
    assert control.switches()["QUERY_SPELLING"] == "merchant_ref"


@override_settings(SECU_SANDBOX={"PUSH_MODE": "manual"})
@pytest.mark.parametrize("sub_pushes", [True, False])
def test_the_sub_pushes_switch(api: SandboxApi, sub_pushes: bool) -> None:
    control.set_switch("SUB_PUSHES", sub_pushes)
    stx = authorised(api, "prepaid", mixed_body(url_push="http://127.0.0.1:9/push"))
    answer = api.post(
        f"/api/v2/Payment/Secupayprepays/{leading_id(stx)}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    assert answer.status == 200, answer.text
    pushed = [d.body["data"][0]["id"] for d in PushDelivery.objects.order_by("pk")]
    ids = [t["id"] for t in stx["transactions"]]
    # Two changes each (authorised, then accepted); subs only when the switch says so.
    assert len(pushed) == (6 if sub_pushes else 2)
    assert set(pushed) == (set(ids) if sub_pushes else {ids[0]})
    # A refund is pushed either way, also a sub-transaction's refund.
    sub = ids[1]
    refund = api.post(f"/api/v2/Payment/Transactions/{sub}/cancel", {"reduce_amount_by": 100})
    assert refund.status == 200, refund.text
    added = PushDelivery.objects.filter(body__type="added")
    assert added.count() == 1


# --- TA numbers ---------------------------------------------------------------------------------


def test_ta_numbers_are_eight_digits_and_consecutive_per_payment(api: SandboxApi) -> None:
    first = authorised(api, "creditcard", mixed_body())
    second = authorised(api, "creditcard", mixed_body())
    for stx in (first, second):
        numbers = [t["trans_id"] for t in stx["transactions"]]
        assert numbers == list(range(numbers[0], numbers[0] + 3))
        assert all(10_000_000 <= n <= 99_999_999 for n in numbers)
    assert second["trans_id"] > first["transactions"][-1]["trans_id"]
    refund = api.post(f"/api/v2/Payment/Transactions/{leading_id(second)}/cancel", {}).json()
    assert len({r["trans_id"] for r in refund}) == len(refund)


@pytest.mark.django_db(transaction=True)
def test_blocks_reserved_at_once_never_overlap(sandbox_world: object) -> None:
    from django.db import close_old_connections, transaction

    blocks: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def reserve(size: int) -> None:
        try:
            for _ in range(5):
                with transaction.atomic():
                    first = transitions.reserve_trans_ids(size)
                blocks.append((first, size))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=reserve, args=(n,)) for n in (1, 3, 4, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    taken = [n for first, size in blocks for n in range(first, first + size)]
    assert len(taken) == len(set(taken)) == 5 * (1 + 3 + 4 + 2)
