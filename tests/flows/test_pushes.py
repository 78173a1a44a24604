"""Push notifications: every status through the push path alone, duplicates, disorder, foreign
ids, a provider hiccup while processing, malformed bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secu_marketplace.links import push_path
from secu_marketplace.models import Order, PushNotification
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import PushDelivery

from .conftest import Flow

P = PushNotification.Outcome


def push_url(flow: Flow, order: Order) -> str:
    return push_path(order.attempts.order_by("-number").first())


def body(pci: str, push_id: str = "evt_" + "a" * 32) -> dict[str, Any]:
    return {
        "object": "event.pushes",
        "id": push_id,
        "created": "2026-11-28T12:00:00+01:00",
        "target": "payment.transactions",
        "type": "changed",
        "data": [{"object": "payment.transactions", "id": pci}],
    }


def _set(
    flow: Flow, order: Order, method: str, status: int, role: str = PaymentRole.LEADING
) -> None:
    resource = {
        "prepaid": "Secupayprepays",
        "invoice": "Secupayinvoices",
        "creditcard": "Secupaycreditcards",
        "debit": "Secupaydebits",
    }[method]
    stx = flow.sandbox.stx(str(order.attempts.get().stx_id))
    pci = stx["transactions"][0]["id"]
    answer = flow.sandbox.post(
        f"/api/v2/Payment/{resource}/{pci}/TestChangedPaymentStatus", {"new_status_id": status}
    )
    assert answer.status == 200, answer.text


@pytest.mark.parametrize(
    ("method", "outcome", "later", "expected"),
    [
        ("creditcard", "success", None, OrderStatus.PAID),
        ("debit", "success", None, OrderStatus.PAID),
        ("paypal", "success", None, OrderStatus.PAID),
        ("invoice", "success", None, OrderStatus.CONFIRMED),  # accepted, the buyer owes it
        ("invoice", "success", 9, OrderStatus.PAID),  # the buyer pays it
        ("prepaid", "success", None, OrderStatus.PENDING),
        ("prepaid", "success", 1, OrderStatus.PAID),  # the money arrives
        ("prepaid", "success", 3, OrderStatus.FAILED),  # the prepayment is denied
        ("prepaid", "success", 5, OrderStatus.CANCELLED),  # the prepayment is voided
        ("creditcard", "declined", None, OrderStatus.FAILED),
    ],
)
def test_the_push_path_alone_brings_every_status(
    flow: Flow, method: str, outcome: str, later: int | None, expected: str
) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, method, outcome=outcome)
    if later is not None:
        _set(flow, order, method, later)
    delivered = flow.deliver_pushes()
    assert delivered >= 1
    order.refresh_from_db()
    assert order.status == expected
    assert PushDelivery.objects.exclude(state="delivered").count() == 0  # every push got its 200
    assert (
        PushNotification.objects.filter(attempt__order=order, outcome=P.PROCESSED).count()
        == delivered
    )
    assert order.events.filter(subject="order", to_status=expected, source="push").count() == 1


def test_authorised_without_auto_capture_through_pushes(flow: Flow, settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "AUTO_CAPTURE": False}
    order = flow.order()
    flow.pay(flow.checkout(order).attempt, "creditcard")
    flow.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.AUTHORIZED


def test_a_duplicate_push_is_answered_without_an_api_call(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt)
    flow.come_back(started.attempt)
    leading = order.payments.get(role=PaymentRole.LEADING).pci_id
    client = Client()
    first = client.post(
        push_url(flow, order), json.dumps(body(leading)), content_type="application/json"
    )
    assert first.status_code == 200
    control.reset_calls()
    for _ in range(5):
        again = client.post(
            push_url(flow, order), json.dumps(body(leading)), content_type="application/json"
        )
        assert again.status_code == 200
        assert again.content == b"already processed"
    assert calls("smart.get") == calls("payment.get") == 0
    push = PushNotification.objects.get(push_id=body(leading)["id"])
    assert push.deliveries == 6
    assert push.outcome == P.PROCESSED


def test_pushes_out_of_order_never_move_an_order_back(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    _set(flow, order, "prepaid", 1)  # pending, then accepted: two pushes per transaction
    deliveries = list(PushDelivery.objects.order_by("-created", "-pk"))
    from secu_marketplace.sandbox import pushes as sandbox_pushes

    for delivery in deliveries:  # newest first
        assert sandbox_pushes.deliver(delivery)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert list(order.events.filter(subject="order").values_list("to_status", flat=True)) == [
        "awaiting_payment",
        "paid",
    ]


def test_a_push_naming_someone_elses_transaction_changes_nothing(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    mine = flow.order()
    flow.checkout(mine)  # created, not paid
    theirs = flow.order()
    paid = flow.checkout(theirs)
    flow.pay(paid.attempt)
    flow.come_back(paid.attempt)
    foreign = theirs.payments.get(role=PaymentRole.LEADING).pci_id
    response = Client().post(
        push_url(flow, mine),
        json.dumps(body(foreign, "evt_" + "b" * 32)),
        content_type="application/json",
    )
    assert response.status_code == 200  # no point in secuconnect retrying it
    mine.refresh_from_db()
    assert mine.status == OrderStatus.AWAITING_PAYMENT
    assert not mine.payments.exists()
    push = PushNotification.objects.get(push_id="evt_" + "b" * 32)
    assert push.outcome == P.SUSPICIOUS
    assert foreign in push.error


def test_a_push_for_an_unknown_transaction_is_suspicious(flow: Flow) -> None:
    order = flow.order()
    flow.checkout(order)
    response = Client().post(
        push_url(flow, order),
        json.dumps(body("PCI_" + "Q" * 30, "evt_" + "c" * 32)),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert PushNotification.objects.get(push_id="evt_" + "c" * 32).outcome == P.SUSPICIOUS


def test_a_push_while_secuconnect_answers_503_is_retried_until_it_lands(flow: Flow) -> None:
    order = flow.order()
    flow.pay(flow.checkout(order).attempt, "creditcard")
    control.inject("smart.get", "http_503", times=30)
    flow.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert set(PushDelivery.objects.values_list("last_status_code", flat=True)) == {503}
    assert PushDelivery.objects.filter(state="pending").count() == 3  # the sandbox will retry
    assert PushNotification.objects.filter(outcome=P.FAILED).count() == 3
    control.clear_faults()
    flow.deliver_pushes()  # the retries
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert PushDelivery.objects.filter(state="delivered", attempts=2).count() == 3
    assert PushNotification.objects.filter(outcome=P.PROCESSED).count() == 3


NOT_A_JSON_OBJECT = [
    b"",
    b"not json",
    b"[]",
    b'"event.pushes"',
    b"42",
    b"null",
    b"{" * 5000,
    b"\xff\xfe{}",
]


@pytest.mark.parametrize("raw", NOT_A_JSON_OBJECT, ids=range(len(NOT_A_JSON_OBJECT)))
def test_a_body_that_is_not_a_json_object_gets_400_and_no_api_call(
    flow: Flow, raw: bytes, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    flow.checkout(order)
    events = order.events.count()
    control.reset_calls()
    response = Client().post(push_url(flow, order), raw, content_type="application/json")
    assert response.status_code == 400
    assert calls("smart.get") == calls("payment.get") == calls("oauth.token") == 0
    assert not PushNotification.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.events.count() == events


def test_an_absurdly_large_body_gets_413(flow: Flow) -> None:
    order = flow.order()
    flow.checkout(order)
    response = Client().post(
        push_url(flow, order), b"x" * (70 * 1024), content_type="application/json"
    )
    assert response.status_code == 413
    assert not PushNotification.objects.exists()


PCI = "PCI_" + "A" * 30
# JSON objects the app cannot act on: each is acknowledged (secuconnect re-sends anything but
# 200 for 24 hours) and kept in the inbox as ignored, with why.
UNUSABLE = {
    "bare event": {"object": "event.pushes"},
    "other object": {**body(PCI), "object": "something.else"},
    "empty data": {**body(PCI), "data": []},
    "short PCI id": {**body(PCI), "data": [{"object": "payment.transactions", "id": "PCI_short"}]},
    "injection id": {
        **body(PCI),
        "data": [{"object": "payment.transactions", "id": "'; DROP TABLE"}],
    },
    "TWINT id": {
        **body(PCI),
        "data": [{"object": "payment.transactions", "id": "TWI_8GH2KX0011"}],
    },
    "unknown target": {**body(PCI), "target": "general.stores"},
    "network token target": {
        "object": "event.pushes",
        "id": "evt_qe5dvzd3ave7x9n2",
        "target": "payment.containers",
        "type": "changed",
        "data": [{"object": "payment.containers", "id": "PCT_" + "B" * 30}],
    },
    "too many items": {**body(PCI), "data": [body(PCI)["data"][0]] * 21},
    "no id at all": {k: v for k, v in body(PCI).items() if k != "id"} | {"object": "x"},
}


UNUSABLE["NUL characters"] = {**body(PCI), "\x00": "\x00", "target": "\x00payment"}


@pytest.mark.parametrize("name", list(UNUSABLE))
def test_a_push_the_app_cannot_use_is_acknowledged_and_recorded_as_ignored(
    flow: Flow, name: str, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    flow.checkout(order)
    events = order.events.count()
    control.reset_calls()
    raw = json.dumps(UNUSABLE[name]).encode()
    response = Client().post(push_url(flow, order), raw, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.content.startswith(b"ignored")
    assert calls("smart.get") == calls("payment.get") == 0
    (record,) = PushNotification.objects.all()
    assert record.outcome == P.IGNORED
    assert record.error  # says why
    assert record.attempt is not None
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.events.count() == events
    # A redelivery lands on the same row, without a second one.
    again = Client().post(push_url(flow, order), raw, content_type="application/json")
    assert again.status_code == 200
    record.refresh_from_db()
    assert record.deliveries == 2
    assert PushNotification.objects.count() == 1


@pytest.mark.parametrize(
    "push_id",
    [
        "evt_d7a9cbd91c125ae409398b4e0e3199be",  # 32 hex, as pushed today
        "evt_12345678",  # the Push-Service page's example
        "evt_659486d09ffb726e4507f9c2",  # 24 hex
        "evt_qe5dvzd3ave7k2lm",  # not hex at all
    ],
)
def test_every_documented_push_id_shape_is_acted_on(flow: Flow, push_id: str) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "creditcard")
    leading = flow.sandbox.stx(str(started.attempt.stx_id))["transactions"][0]["id"]
    response = Client().post(
        push_url(flow, order), json.dumps(body(leading, push_id)), content_type="application/json"
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert PushNotification.objects.get(push_id=push_id).outcome == P.PROCESSED


def test_a_legacy_push_naming_this_payments_hash_is_acted_on(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "invoice")
    flow.come_back(started.attempt)  # the payment's transactions, hashes included, are known
    leading = order.payments.get(role=PaymentRole.LEADING)
    legacy = {
        "object": "event.pushes",
        "id": "evt_" + "d" * 32,
        "created": "2026-11-28T12:00:00+01:00",
        "target": "payment.secupayinvoices",
        "type": "changed",
        "data": [{"object": "payment.secupayinvoices", "id": leading.transaction_hash}],
    }
    response = Client().post(
        push_url(flow, order), json.dumps(legacy), content_type="application/json"
    )
    assert response.status_code == 200
    assert PushNotification.objects.get(push_id=legacy["id"]).outcome == P.PROCESSED
    other = {**legacy, "id": "evt_" + "e" * 32}
    other["data"] = [{"object": "payment.secupaydebits", "id": "zzzzzzzzzzzz12345678"}]
    response = Client().post(
        push_url(flow, order), json.dumps(other), content_type="application/json"
    )
    assert response.status_code == 200
    record = PushNotification.objects.get(push_id=other["id"])
    assert record.outcome == P.IGNORED
    assert "hash" in record.error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=json_values
    | st.fixed_dictionaries(
        {"object": st.just("event.pushes"), "id": st.text(), "data": json_values}
    )
)
def test_arbitrary_json_never_causes_a_500_or_an_api_call(flow: Flow, payload: Any) -> None:
    order = Order.objects.first() or flow.order()
    if not order.attempts.exists():
        flow.checkout(order)
    control.reset_calls()
    response = Client().post(
        push_url(flow, order), json.dumps(payload), content_type="application/json"
    )
    # Not an object: refused. An object: acknowledged, and ignored (it names nothing usable).
    assert response.status_code == (200 if isinstance(payload, dict) else 400)
    assert control.calls().count() == 0
    if isinstance(payload, dict):
        assert PushNotification.objects.filter(outcome=P.IGNORED).exists()


def test_a_push_for_a_forged_url_is_404_without_reading_the_body(flow: Flow) -> None:
    response = Client().post(
        "/payments/push/forged/", b"not even json", content_type="application/json"
    )
    assert response.status_code == 404
    assert Client().get("/payments/push/forged/").status_code == 405
