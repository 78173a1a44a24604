"""secu_sync: settling what the buyer's browser and the pushes did not tell us."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone

from secu_marketplace import signals
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import OutcomeUnknown
from secu_marketplace.links import push_path, return_path
from secu_marketplace.models import CheckoutAttempt, Order
from secu_marketplace.rules.statuses import AttemptState, OrderStatus, PaymentRole, Source
from secu_marketplace.sandbox import control
from secu_marketplace.services.bulk_sync import claim
from secu_marketplace.services.sync import sync_attempt

from .conftest import Flow


def secu_sync(*args: str) -> str:
    out = io.StringIO()
    call_command("secu_sync", "--min-age", "0", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_payment_nobody_told_us_about_is_found(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "debit")  # the buyer closes the browser; the pushes are lost
    out = secu_sync()
    assert "checked 1, changed 1, unchanged 0, failed 0" in out
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(to_status="paid", source="reconcile").exists()


def test_prepaid_money_arriving_is_found_and_final_attempts_are_left_alone(flow: Flow) -> None:
    pending = flow.order()
    started = flow.checkout(pending)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    done = flow.order()
    other = flow.checkout(done)
    flow.pay(other.attempt, "creditcard")
    flow.come_back(other.attempt)
    leading = pending.payments.get(role=PaymentRole.LEADING)
    flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    out = secu_sync()
    assert "checked 1, changed 1" in out  # the paid order is final: not re-read
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PAID
    assert "checked 0" in secu_sync()  # nothing open any more


def test_an_attempt_left_unknown_by_a_lost_response_is_settled(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    control.inject("smart.create", "drop_response")
    with pytest.raises(OutcomeUnknown):
        flow.checkout(order)
    attempt = order.attempts.get()
    assert attempt.state == AttemptState.UNKNOWN
    assert "checked 1" in secu_sync()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.OPEN
    assert attempt.stx_id
    assert calls("smart.create") == 1
    # And the buyer, paying on that Smart Transaction, is recognised.
    flow.pay(attempt, "creditcard")
    secu_sync()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_create_that_never_reached_secuconnect_is_closed(flow: Flow) -> None:
    order = flow.order()
    control.inject("smart.create", "http_503")  # refused before processing: nothing exists
    from secu_marketplace.exceptions import ProviderUnavailable

    with pytest.raises(ProviderUnavailable):
        flow.checkout(order)
    attempt = order.attempts.get()
    assert attempt.state == AttemptState.FAILED
    # As if unsure, and sent longer ago than a create can take to land: only then does "not
    # found" mean "never created" (before, the create may still be running at secuconnect).
    long_ago = timezone.now() - timedelta(seconds=app_settings.landing_window + 1)
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(
        state=AttemptState.UNKNOWN, create_sent_at=long_ago
    )
    secu_sync()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FAILED
    assert flow.checkout(order).attempt.number == 2


def test_options_and_failures(flow: Flow) -> None:
    first, second = flow.order(), flow.order()
    flow.checkout(first)
    flow.checkout(second)
    assert "checked 1" in secu_sync("--limit", "1")
    assert "checked 1" in secu_sync("--order", second.reference)
    control.inject("smart.get", "http_503", times=10)
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 2 could not be synced"):
        call_command("secu_sync", "--min-age", "0", stdout=out, stderr=io.StringIO())
    assert "failed 2" in out.getvalue()
    control.clear_faults()
    out = io.StringIO()
    call_command("secu_sync", stdout=out)  # default min age: everything was just synced
    assert "checked 0" in out.getvalue()
    with pytest.raises(CommandError):
        secu_sync("--order", "NO-SUCH-ORDER")


@pytest.mark.postgres
def test_two_runs_at_once_split_the_work(flow: Flow) -> None:
    for _ in range(10):
        flow.checkout(flow.order())
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = []

    def run() -> None:
        try:
            barrier.wait()
            claimed.append([a.pk for a in claim(min_age=0, limit=None)])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, second = claimed
    assert not set(first) & set(second)
    assert len(first) + len(second) == 10


@pytest.mark.postgres
def test_return_push_and_sync_together_send_each_signal_once(flow: Flow) -> None:
    """reliability.md §3.3: many duplicate pushes, returns and syncs at once, one transition."""
    from django.test import Client

    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "creditcard")
    leading = flow.sandbox.stx(str(started.attempt.stx_id))["transactions"][0]["id"]
    heard: list[str] = []

    def receiver(sender: Any, order: Order, new_status: str, **kwargs: Any) -> None:
        heard.append(new_status)

    signals.order_status_changed.connect(receiver)
    n = 24
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            client = Client()
            if i % 3 == 0:
                response = client.get(return_path(started.attempt, "success"))
                assert response.status_code == 200
            elif i % 3 == 1:
                body = json.dumps(
                    {
                        "object": "event.pushes",
                        "id": f"evt_{i:032x}",
                        "target": "payment.transactions",
                        "type": "changed",
                        "data": [{"object": "payment.transactions", "id": leading}],
                    }
                )
                response = client.post(
                    push_path(started.attempt),
                    body,
                    content_type="application/json",
                )
                assert response.status_code == 200, response.content
            else:
                sync_attempt(
                    CheckoutAttempt.objects.get(pk=started.attempt.pk), source=Source.RECONCILE
                )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        signals.order_status_changed.disconnect(receiver)
    assert not errors, errors
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert heard == ["paid"]
    assert order.events.filter(subject="order", to_status="paid").count() == 1
    assert order.payments.count() == 3


def test_an_unchanged_smart_transaction_costs_one_call(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    """A pending transfer re-read with nothing new: the Smart Transaction only, nothing written;
    once the money arrives (the Smart Transaction moves), the Payment Transactions are read."""
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    events = order.events.count()
    gets, payment_gets = calls("smart.get"), calls("payment.get")
    assert "checked 1, changed 0, unchanged 1, failed 0" in secu_sync()
    assert calls("smart.get") - gets == 1
    assert calls("payment.get") == payment_gets
    assert order.events.count() == events
    # One order asked for by name is read in full.
    assert "checked 1, changed 0, unchanged 1" in secu_sync("--order", order.reference)
    assert calls("payment.get") > payment_gets
    payment_gets = calls("payment.get")
    leading = order.payments.get(role=PaymentRole.LEADING)
    flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    assert "checked 1, changed 1" in secu_sync()
    assert calls("payment.get") > payment_gets
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_stored_error_is_cleared_by_a_full_read(flow: Flow, calls: Callable[[str], int]) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    CheckoutAttempt.objects.filter(pk=started.attempt.pk).update(last_error={"message": "x"})
    payment_gets = calls("payment.get")
    secu_sync()
    assert calls("payment.get") > payment_gets
    started.attempt.refresh_from_db()
    assert started.attempt.last_error is None


def _age(attempt: CheckoutAttempt, seconds: float) -> None:
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(
        created=timezone.now() - timedelta(seconds=seconds)
    )


def test_an_abandoned_checkout_is_aborted_and_closed(
    flow: Flow, calls: Callable[[str], int], settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SYNC_ABANDON_AFTER": 3600}
    left, fresh = flow.order(), flow.order()
    abandoned = flow.checkout(left).attempt
    recent = flow.checkout(fresh).attempt
    _age(abandoned, 3601)
    _age(recent, 3500)
    assert "checked 2, changed 1, unchanged 1, failed 0" in secu_sync()
    assert calls("smart.abort") == 1
    abandoned.refresh_from_db()
    assert abandoned.state == AttemptState.CLOSED
    assert flow.sandbox.stx(str(abandoned.stx_id))["status"] != "approved"
    left.refresh_from_db()
    assert left.status == OrderStatus.ABORTED
    assert left.events.filter(subject="attempt", to_status="closed", source="reconcile").exists()
    recent.refresh_from_db()
    assert recent.state == AttemptState.OPEN
    # Closed: never re-read again; the buyer may still pay with a new checkout.
    assert "checked 1," in secu_sync()
    assert calls("smart.abort") == 1
    again = flow.checkout(left)
    assert again.attempt.number == 2
    flow.pay(again.attempt, "creditcard")
    flow.come_back(again.attempt)
    left.refresh_from_db()
    assert left.status == OrderStatus.PAID


def test_an_abandoned_checkout_being_paid_is_not_closed(
    flow: Flow, calls: Callable[[str], int], settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SYNC_ABANDON_AFTER": 3600}
    order = flow.order()
    attempt = flow.checkout(order).attempt
    _age(attempt, 7200)
    flow.pay(attempt, "creditcard")  # the buyer came back to the old link and paid
    secu_sync()
    assert calls("smart.abort") == 0
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SETTLED
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_abandoned_checkouts_are_kept_when_switched_off(
    flow: Flow, calls: Callable[[str], int], settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SYNC_ABANDON_AFTER": 0}
    order = flow.order()
    attempt = flow.checkout(order).attempt
    _age(attempt, 10 * 86400)
    assert "unchanged 1" in secu_sync()
    assert calls("smart.abort") == 0
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.OPEN
