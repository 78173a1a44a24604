"""Push notifications: ``event.pushes`` to ``url_push`` after every simple-status change, sent after
commit, retried with backoff until HTTP 200, recorded; manual and background delivery."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from secu_marketplace.sandbox import control, pushes
from secu_marketplace.sandbox.models import PushDelivery
from secu_marketplace.sandbox.statuses import Simple
from tests.helpers import SandboxApi, control_client, control_headers

from .conftest import authorised, leading_id, mixed_body, plain_body, sub_ids

MANUAL = {
    "PUSH_MODE": "manual",
    "PUSH_BACKOFF_BASE": 0.05,
    "PUSH_TIMEOUT": 2.0,
    "CONTROL_TOKEN": settings.SANDBOX_CONTROL_TOKEN,
}
BACKGROUND = {"PUSH_MODE": "background", "PUSH_BACKOFF_BASE": 0.05, "PUSH_TIMEOUT": 5.0}


class Receiver:
    """A shop's push endpoint: records what arrives and answers from a script of statuses."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: deque[int] = deque()
        self.delay = 0.0
        self.on_push: Any = None
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                entry = {"path": self.path, "headers": dict(self.headers), "raw": raw}
                entry["body"] = json.loads(raw)
                if receiver.on_push is not None:
                    entry["seen"] = receiver.on_push(entry["body"])
                time.sleep(receiver.delay)
                status = receiver.statuses.popleft() if receiver.statuses else 200
                # Recorded before answering: once the sender has its answer, the test may count.
                with receiver.arrived:
                    receiver.received.append(entry)
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/push?shop=1"

    def bodies(self) -> list[dict[str, Any]]:
        return [entry["body"] for entry in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return self.bodies()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _pci_ids(body: dict[str, Any]) -> list[str]:
    return [d["id"] for d in body["data"]]


# --- What is pushed, and when --------------------------------------------------------------


@override_settings(SECU_SANDBOX=MANUAL)
def test_push_body_and_request(api: SandboxApi, receiver: Receiver) -> None:
    stx = authorised(api, "debit", plain_body(url_push=receiver.url))
    pci_id = leading_id(stx)
    [delivery] = PushDelivery.objects.all()
    assert delivery.state == PushDelivery.State.PENDING
    assert delivery.url == receiver.url
    assert receiver.received == []  # manual mode: nothing is sent until asked

    sent = control.deliver_pushes()
    assert [d.pk for d in sent] == [delivery.pk]
    [entry] = receiver.received
    assert entry["path"] == "/push?shop=1"  # the URL's query string is kept
    assert entry["headers"]["Content-Type"] == "application/json"
    assert entry["headers"]["Accept"] == "*/*"
    body = entry["body"]
    assert set(body) == {"object", "id", "created", "target", "type", "data"}
    assert body["object"] == "event.pushes"
    assert re.fullmatch(r"evt_[0-9a-f]{32}", body["id"])
    assert datetime.fromisoformat(body["created"]).utcoffset() is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", body["created"])
    assert body["target"] == "payment.transactions"
    assert body["type"] == "changed"
    assert body["data"] == [{"object": "payment.transactions", "id": pci_id}]

    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None
    assert delivery.body == body
    assert delivery.push_id == body["id"]
    [attempt] = delivery.history
    assert attempt["status"] == 200
    assert attempt["error"] == ""
    assert attempt["ms"] >= 0
    # Delivered pushes are not sent again.
    assert control.deliver_pushes() == []
    assert len(receiver.received) == 1


@override_settings(SECU_SANDBOX=MANUAL)
def test_one_push_per_payment_transaction_of_a_mixed_basket(
    api: SandboxApi, receiver: Receiver
) -> None:
    stx = authorised(api, "creditcard", mixed_body(url_push=receiver.url))
    control.deliver_pushes()
    pushed = [_pci_ids(b)[0] for b in receiver.bodies()]
    assert sorted(pushed) == sorted(t["id"] for t in stx["transactions"])
    assert len({b["id"] for b in receiver.bodies()}) == 3  # every push has its own id


@override_settings(SECU_SANDBOX=MANUAL)
def test_every_simple_status_change_is_pushed(api: SandboxApi, receiver: Receiver) -> None:
    stx = authorised(api, "prepaid", plain_body(url_push=receiver.url))
    pci_id = leading_id(stx)
    path = f"/api/v2/Payment/Secupayprepays/{pci_id}/TestChangedPaymentStatus"
    api.post(path, {"new_status_id": Simple.ACCEPTED})
    # The same status again is no change: no push.
    api.post(path, {"new_status_id": Simple.ACCEPTED})
    api.post(path, {"new_status_id": Simple.ISSUE})
    control.deliver_pushes()
    bodies = receiver.bodies()
    assert len(bodies) == 3
    assert all(_pci_ids(b) == [pci_id] for b in bodies)
    assert all(b["type"] == "changed" for b in bodies)
    history = [
        d.payment_transaction.status_simple  # type: ignore[union-attr]
        for d in PushDelivery.objects.select_related("payment_transaction")
    ]
    assert history == [Simple.ISSUE] * 3  # the object now; the receiver must fetch it


@override_settings(SECU_SANDBOX=MANUAL)
def test_refunds_are_pushed(api: SandboxApi, receiver: Receiver) -> None:
    stx = authorised(api, "debit", plain_body(url_push=receiver.url))
    pci_id = leading_id(stx)
    control.deliver_pushes()
    _, refund = api.post(f"/api/v2/Payment/Transactions/{pci_id}/cancel", {}).json()
    control.deliver_pushes()
    later = receiver.bodies()[1:]
    # The new refund transaction ("added") and the original going void ("changed").
    assert sorted((b["type"], _pci_ids(b)[0]) for b in later) == sorted(
        [("added", refund["id"]), ("changed", pci_id)]
    )


@override_settings(SECU_SANDBOX=MANUAL)
def test_pushes_for_smart_level_operations(api: SandboxApi, receiver: Receiver) -> None:
    stx = authorised(api, "invoice", mixed_body(auto_capture=False, url_push=receiver.url))
    assert PushDelivery.objects.count() == 3  # authorised
    api.post(f"/api/v2/Smart/Transactions/{stx['id']}/start")
    assert PushDelivery.objects.count() == 6  # waiting for shipment
    api.post(
        f"/api/v2/Payment/Transactions/{sub_ids(stx)['sb0']}/capture",
        {"shipping_information": {"carrier": "DHL"}},
    )
    assert PushDelivery.objects.count() == 7  # sb0 accepted; the leading one still waits
    api.post(
        f"/api/v2/Smart/Transactions/{stx['id']}/setDelivery",
        {"delivery_options": {"type": "shipping", "shipped_by": "DHL"}},
    )
    assert PushDelivery.objects.count() == 9  # sb1 and the leading one accepted


@override_settings(SECU_SANDBOX=MANUAL)
def test_checkout_page_authorisation_is_pushed(api: SandboxApi, receiver: Receiver) -> None:
    stx = api.create(plain_body(url_push=receiver.url))
    Client().post(f"/sandbox/checkout/{stx['id']}/", {"method": "paypal", "outcome": "declined"})
    control.deliver_pushes()
    [body] = receiver.bodies()
    assert _pci_ids(body) == [leading_id(api.stx(stx["id"]))]


@override_settings(SECU_SANDBOX=MANUAL)
def test_no_url_push_no_pushes(api: SandboxApi) -> None:
    authorised(api, "debit", plain_body())
    assert not PushDelivery.objects.exists()


@override_settings(SECU_SANDBOX={"PUSH_MODE": "off"})
def test_push_mode_off_stores_nothing(api: SandboxApi, receiver: Receiver) -> None:
    authorised(api, "debit", plain_body(url_push=receiver.url))
    assert not PushDelivery.objects.exists()


# --- Retries -----------------------------------------------------------------------------------


@override_settings(SECU_SANDBOX=MANUAL)
@pytest.mark.parametrize("answer", [500, 503, 404, 201, 204, 302])
def test_anything_but_200_is_retried(api: SandboxApi, receiver: Receiver, answer: int) -> None:
    receiver.statuses.extend([answer, answer])
    authorised(api, "debit", plain_body(url_push=receiver.url))
    [delivery] = PushDelivery.objects.all()
    for expected_attempts in (1, 2):
        control.deliver_pushes()
        delivery.refresh_from_db()
        assert delivery.state == PushDelivery.State.PENDING
        assert delivery.attempts == expected_attempts
        assert delivery.last_status_code == answer
        assert delivery.next_attempt_at > timezone.now()
    control.deliver_pushes()
    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.DELIVERED
    assert [h["status"] for h in delivery.history] == [answer, answer, 200]
    assert len(receiver.received) == 3
    assert len({e["body"]["id"] for e in receiver.received}) == 1  # the same push each time


@override_settings(SECU_SANDBOX={**MANUAL, "PUSH_MAX_ATTEMPTS": 3})
def test_gives_up_after_max_attempts(api: SandboxApi, receiver: Receiver) -> None:
    receiver.statuses.extend([500] * 10)
    authorised(api, "debit", plain_body(url_push=receiver.url))
    for _ in range(5):
        control.deliver_pushes()
    [delivery] = PushDelivery.objects.all()
    assert delivery.state == PushDelivery.State.FAILED
    assert delivery.attempts == 3
    assert len(delivery.history) == 3
    assert len(receiver.received) == 3


@override_settings(SECU_SANDBOX={**MANUAL, "PUSH_MAX_ATTEMPTS": 2})
def test_unreachable_receiver_is_recorded(api: SandboxApi) -> None:
    authorised(api, "debit", plain_body(url_push="http://127.0.0.1:9/nothing-listens"))
    control.deliver_pushes()
    [delivery] = PushDelivery.objects.all()
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectionError")
    assert delivery.history[0]["status"] is None
    control.deliver_pushes()
    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.FAILED


@override_settings(SECU_SANDBOX={**MANUAL, "PUSH_BACKOFF_BASE": 2.0, "PUSH_BACKOFF_MAX": 10.0})
def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [pushes.backoff(n) for n in range(1, 7)] == [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


@override_settings(SECU_SANDBOX={**MANUAL, "PUSH_BACKOFF_BASE": 60.0})
def test_a_retry_waits_for_its_backoff(api: SandboxApi, receiver: Receiver) -> None:
    receiver.statuses.append(500)
    authorised(api, "debit", plain_body(url_push=receiver.url))
    [delivery] = PushDelivery.objects.all()
    assert len(pushes.deliver_due()) == 1  # due at once
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 55 < wait <= 60
    assert pushes.deliver_due() == []  # not yet
    assert pushes.deliver_due(now=timezone.now() + timedelta(seconds=61))  # now it is
    delivery.refresh_from_db()
    assert delivery.state == PushDelivery.State.DELIVERED


@override_settings(SECU_SANDBOX=MANUAL)
def test_push_rows_and_control_api(api: SandboxApi, receiver: Receiver) -> None:
    receiver.statuses.append(500)
    stx = authorised(api, "debit", plain_body(url_push=receiver.url))
    client = control_client()
    listed = client.get("/sandbox/control/pushes").json()["pushes"]
    assert [(p["state"], p["attempts"]) for p in listed] == [("pending", 0)]
    assert listed[0]["body"]["data"][0]["id"] == leading_id(stx)
    first = client.post("/sandbox/control/pushes").json()
    assert first["sent"] == 1
    assert first["pushes"][0]["last_status_code"] == 500
    second = client.post("/sandbox/control/pushes").json()
    assert second["sent"] == 1
    [row] = second["pushes"]
    assert row["state"] == "delivered"
    assert [h["status"] for h in row["history"]] == [500, 200]
    assert row["url"] == receiver.url


@override_settings(SECU_SANDBOX=MANUAL)
def test_management_command_sends_due_pushes(api: SandboxApi, receiver: Receiver) -> None:
    authorised(api, "debit", plain_body(url_push=receiver.url))
    out = io.StringIO()
    call_command("sandbox_deliver_pushes", stdout=out)
    assert out.getvalue().strip() == "1 push(es) sent, 1 acknowledged with 200."
    assert len(receiver.received) == 1


@override_settings(SECU_SANDBOX=MANUAL)
def test_admin_shows_deliveries(api: SandboxApi, receiver: Receiver, admin_client: Client) -> None:
    authorised(api, "debit", plain_body(url_push=receiver.url))
    control.deliver_pushes()
    delivery = PushDelivery.objects.get()
    page = admin_client.get("/admin/secu_sandbox/pushdelivery/")
    assert page.status_code == 200
    assert delivery.push_id in page.content.decode()


# --- Background delivery over real HTTP ---------------------------------------------------------


@pytest.fixture
def background(settings: Any) -> Iterator[None]:
    settings.SECU_SANDBOX = BACKGROUND
    yield
    assert pushes.sender.wait_idle(10)


def test_background_push_does_not_block_and_arrives_after_commit(
    live_api: SandboxApi, receiver: Receiver, background: None
) -> None:
    token = live_api.authenticate()
    receiver.delay = 1.0

    def fetch(body: dict[str, Any]) -> Any:
        # What the shop does on a push: fetch the object. It must already be committed.
        pci_id = body["data"][0]["id"]
        r = requests.get(
            f"{live_api.base_url}/sandbox/api/v2/Payment/Transactions/{pci_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        return r.status_code, r.json().get("details", {}).get("status_simple")

    receiver.on_push = fetch
    stx = live_api.create(plain_body(url_push=receiver.url))
    started = time.monotonic()
    answer = live_api.prepare(stx["id"], "debit")
    took = time.monotonic() - started
    assert answer.status == 200
    assert took < 0.8, f"the request waited for the push receiver ({took:.2f} s)"
    [body] = receiver.wait_for(1)
    assert _pci_ids(body) == [leading_id(answer.json())]
    assert receiver.received[0]["seen"] == (200, Simple.ACCEPTED)
    assert pushes.sender.wait_idle(5)
    delivery = PushDelivery.objects.get()
    assert delivery.state == PushDelivery.State.DELIVERED
    assert delivery.attempts == 1


def test_background_retries_until_200(
    live_api: SandboxApi, receiver: Receiver, background: None
) -> None:
    receiver.statuses.extend([500, 502])
    stx = live_api.create(plain_body(url_push=receiver.url))
    live_api.prepare(stx["id"], "creditcard")
    receiver.wait_for(3)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        delivery = PushDelivery.objects.get()
        if delivery.state == PushDelivery.State.DELIVERED:
            break
        time.sleep(0.05)
    assert delivery.state == PushDelivery.State.DELIVERED
    assert [h["status"] for h in delivery.history] == [500, 502, 200]
    # The backoff was respected: 0.05 s, then 0.1 s.
    moments = [datetime.fromisoformat(h["at"]) for h in delivery.history]
    assert (moments[1] - moments[0]).total_seconds() >= 0.04
    assert (moments[2] - moments[1]).total_seconds() >= 0.09


def test_background_gives_up(live_api: SandboxApi, receiver: Receiver, settings: Any) -> None:
    settings.SECU_SANDBOX = {**BACKGROUND, "PUSH_MAX_ATTEMPTS": 2}
    receiver.statuses.extend([500] * 5)
    stx = live_api.create(plain_body(url_push=receiver.url))
    live_api.prepare(stx["id"], "debit")
    receiver.wait_for(2)
    assert pushes.sender.wait_idle(5)
    delivery = PushDelivery.objects.get()
    assert delivery.state == PushDelivery.State.FAILED
    assert delivery.attempts == 2
    time.sleep(0.2)
    assert len(receiver.received) == 2


def test_manual_mode_over_http_sends_nothing_by_itself(
    live_api: SandboxApi, receiver: Receiver
) -> None:
    stx = live_api.create(plain_body(url_push=receiver.url))
    live_api.prepare(stx["id"], "debit")
    time.sleep(0.3)
    assert receiver.received == []
    sent = requests.post(
        f"{live_api.base_url}/sandbox/control/pushes", headers=control_headers(), timeout=5
    ).json()
    assert sent["sent"] == 1
    assert len(receiver.received) == 1
