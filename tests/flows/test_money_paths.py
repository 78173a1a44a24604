"""Issue 8's defects, each as it was found: a slow create, concurrent ship/capture/refund,
refunds that never ran, revoked credentials, the URL's word, secu_sync's exit, signed URLs in
logs. Every test here failed before its fix."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from secu_marketplace import signals
from secu_marketplace.exceptions import AuthenticationError, ProcessingError
from secu_marketplace.links import push_path
from secu_marketplace.models import CheckoutAttempt, Order, Refund, StatusEvent
from secu_marketplace.read.payments import newest_refund
from secu_marketplace.rules.statuses import AttemptState, OrderStatus, RefundState, Source
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import SmartTransaction as ProviderStx
from secu_marketplace.services import capture, refunds, shipping
from secu_marketplace.services.sync import SyncResult, sync_attempt
from tests.races import paused_at

from .conftest import Flow


@pytest.fixture
def heard() -> Iterator[list[str]]:
    log: list[str] = []
    pairs = []
    for name in ("sub_basket_shipped", "order_shipped", "order_paid", "order_refunded"):
        signal = getattr(signals, name)

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            log.append(_name)

        signal.connect(receiver, weak=False)
        pairs.append((signal, receiver))
    yield log
    for signal, receiver in pairs:
        signal.disconnect(receiver)


def _short_timeouts(settings: Any, margin: float) -> float:
    """Connect 0.5 s, read 1 s: the window in which a create may still land is 1.5 s + margin."""
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "CONNECT_TIMEOUT": 0.5,
        "READ_TIMEOUT": 1.0,
        "LOST_CREATE_MARGIN": margin,
    }
    return 1.5 + margin


def _stx_count(order: Order) -> int:
    return ProviderStx.objects.filter(merchant_ref=order.reference).count()


# --- a slow create ------------------------------------------------------------------------------


def test_a_slow_create_never_opens_a_second_smart_transaction(
    flow: Flow, settings: Any, calls: Callable[[str], int]
) -> None:
    window = _short_timeouts(settings, margin=1.0)
    order = flow.order()
    control.inject("smart.create", "latency", latency_ms=2000)
    browser = Client()
    sent = time.monotonic()
    assert browser.post(order.get_payment_url()).status_code == 503  # read timeout after 1 s
    # Pressed again at once: the first create is still running at the provider.
    assert browser.post(order.get_payment_url()).status_code == 503
    time.sleep(max(window - (time.monotonic() - sent), 0) + 0.3)
    again = browser.post(order.get_payment_url())
    assert again.status_code == 303
    assert calls("smart.create") == 1
    assert _stx_count(order) == 1
    attempt = order.attempts.get(state=AttemptState.OPEN)
    assert attempt.stx_id == ProviderStx.objects.get(merchant_ref=order.reference).stx_id


def test_a_late_smart_transaction_is_found_and_aborted_by_reconciliation(
    flow: Flow, settings: Any, calls: Callable[[str], int]
) -> None:
    window = _short_timeouts(settings, margin=0.0)
    order = flow.order()
    control.inject("smart.create", "latency", latency_ms=int((window + 1.5) * 1000))
    browser = Client()
    sent = time.monotonic()
    assert browser.post(order.get_payment_url()).status_code == 503
    time.sleep(max(window - (time.monotonic() - sent), 0) + 0.2)
    # Past the window the first create is taken as never made: a second one is opened ...
    assert browser.post(order.get_payment_url()).status_code == 303
    while calls("smart.create") < 2:  # ... and then the first lands after all
        time.sleep(0.1)
    assert _stx_count(order) == 2
    call_command("secu_sync", "--min-age", "0", "--no-progress")
    late = order.attempts.get(number=1)
    assert late.stx_id is not None
    assert late.state == AttemptState.CLOSED
    assert calls("smart.abort") == 1
    assert ProviderStx.objects.get(stx_id=late.stx_id).status == "cancelled"
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.attempts.get(number=2).state == AttemptState.OPEN


# --- concurrency: a stale answer --------------------------------------------------------------


def test_an_answer_read_before_payment_and_committed_after_it_changes_nothing(
    flow: Flow, heard: list[str]
) -> None:
    """A reads the Smart Transaction while the buyer is still at checkout and is held before
    it commits; meanwhile the buyer pays and B (the push) commits "paid". A's answer, older
    than what is held, must not move the order, the attempt or a payment row back, and must
    write no event."""
    order = flow.order()
    attempt = flow.checkout(order).attempt

    def read_before_paying() -> SyncResult:
        return sync_attempt(CheckoutAttempt.objects.get(pk=attempt.pk), source=Source.RECONCILE)

    with paused_at("sync.before_commit", read_before_paying) as first:
        control.advance_clock(5)  # the payment is later than A's read, as in life
        flow.pay(attempt, "creditcard")
        newer = sync_attempt(CheckoutAttempt.objects.get(pk=attempt.pk), source=Source.PUSH)
        assert newer.order.status == OrderStatus.PAID
        events = list(StatusEvent.objects.filter(order=order).values_list("pk", flat=True))
        rows = {p.pci_id: p.status_simple for p in order.payments.all()}
        held = newer.attempt.provider_status
    assert held != "created"
    assert first.error is None, first.error
    stale = first.result
    assert stale is not None
    assert not stale.changed
    assert stale.order.status == OrderStatus.PAID  # the result says what is held
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert attempt.provider_status == held
    assert {p.pci_id: p.status_simple for p in order.payments.all()} == rows
    assert list(StatusEvent.objects.filter(order=order).values_list("pk", flat=True)) == events
    assert heard.count("order_paid") == 1


# --- concurrency: ship, capture, reductions -----------------------------------------------------


def test_three_concurrent_ship_calls_report_once(
    flow: Flow, heard: list[str], calls: Callable[[str], int]
) -> None:
    order = flow.paid_order("invoice")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.reset_calls()

    def ship() -> object:
        return shipping.ship_sub_basket(Order.objects.get(pk=order.pk), sb0, carrier="DHL")

    refused = 0
    with paused_at("ship.before_call", ship) as first:
        for _ in range(2):
            try:
                ship()
            except ProcessingError:
                refused += 1
    assert first.error is None, first.error
    assert refused == 2
    assert calls("payment.capture") == 1
    assert StatusEvent.objects.filter(order=order, subject="shipping").count() == 1
    assert heard.count("sub_basket_shipped") == 1


def test_concurrent_captures_call_the_provider_once(
    flow: Flow, settings: Any, heard: list[str], calls: Callable[[str], int]
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "AUTO_CAPTURE": False}
    order = flow.paid_order("creditcard")
    assert order.status == OrderStatus.AUTHORIZED
    control.reset_calls()

    def capture_order() -> object:
        return capture.capture(Order.objects.get(pk=order.pk))

    with paused_at("capture.before_call", capture_order) as first, pytest.raises(ProcessingError):
        capture_order()
    assert first.error is None, first.error
    assert calls("smart.start") == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert heard.count("order_paid") == 1


def test_a_reduction_in_flight_counts_against_what_is_left(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")  # nothing paid yet: a cancel reduces the amount
    flow.come_back(started.attempt)
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.reset_calls()

    def reduce() -> object:
        return refunds.refund(Order.objects.get(pk=order.pk), sub_basket=sb0)

    with paused_at("refund.before_call", reduce) as first, pytest.raises(ProcessingError):
        reduce()
    assert first.error is None, first.error
    assert calls("payment.cancel") == 1


# --- refunds that never ran, or whose outcome is unknown ----------------------------------------


def test_a_refund_that_failed_before_it_ran_can_be_retried(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.inject("payment.cancel", "http_500")
    (record,) = refunds.refund(order, sub_basket=sb0, amount=700).refunds
    assert record.state != RefundState.DONE
    call_command("secu_sync", "--min-age", "0", "--no-progress", "--order", order.reference)
    record.refresh_from_db()
    assert record.state == RefundState.FAILED  # the provider shows no refund: it never ran
    (again,) = refunds.refund(order, sub_basket=sb0, amount=700).refunds
    assert again.state == RefundState.DONE
    assert Refund.objects.filter(order=order, state=RefundState.DONE).count() == 1


def test_a_refund_refused_for_credentials_does_not_stay_requested(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.inject("payment.cancel", "token_expired", times=2)
    with pytest.raises(AuthenticationError):  # a new token refused too: credentials
        refunds.refund(order, sub_basket=sb0, amount=700)
    record = Refund.objects.get(order=order)
    assert record.state == RefundState.FAILED
    (again,) = refunds.refund(order, sub_basket=sb0, amount=700).refunds
    assert again.state == RefundState.DONE


def test_a_refund_whose_answer_was_lost_is_settled_by_reading_the_provider(
    flow: Flow, settings: Any
) -> None:
    order = flow.paid_order("creditcard")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.inject("payment.cancel", "drop_response")
    control.inject("smart.get", "http_503", times=3)  # the re-read right after fails too
    (record,) = refunds.refund(order, sub_basket=sb0, amount=700).refunds
    assert record.state == RefundState.UNKNOWN
    call_command("secu_sync", "--min-age", "0", "--no-progress", "--order", order.reference)
    record.refresh_from_db()
    assert record.state == RefundState.DONE


# --- revoked credentials ------------------------------------------------------------------------


def _revoke(settings: Any) -> None:
    from django.core.cache import cache

    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "CLIENT_SECRET": "revoked"}
    cache.clear()


def test_revoked_credentials_on_pay_now_give_a_clear_page(flow: Flow, settings: Any) -> None:
    order = flow.order()
    _revoke(settings)
    response = Client().post(order.get_payment_url())
    assert response.status_code == 503
    assert b'data-reason="configuration"' in response.content


def test_revoked_credentials_on_the_admin_refund_page_give_a_message(
    flow: Flow, settings: Any, admin_client: Client
) -> None:
    order = flow.paid_order("creditcard")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    _revoke(settings)
    response = admin_client.post(
        f"/admin/secu_marketplace/order/{order.pk}/refund/",
        {
            "sub_basket": str(sb0.pk),
            "amount": "7.00",
            "reason": "damaged",
            "step": "confirm",
            "seen": str(newest_refund(order)),
        },
    )
    assert response.status_code == 200
    assert "credentials" in response.content.decode()


# --- the URL's word -----------------------------------------------------------------------------


def test_the_success_url_of_an_aborted_checkout_does_not_move_it_back(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.come_back(started.attempt, "abort")
    page = flow.come_back(started.attempt, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.ABORTED
    assert b'data-state="aborted"' in page.content


def test_confirming_ends_after_a_bounded_wait(flow: Flow, settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "CONFIRMING_FOR": 0}
    order = flow.order()
    started = flow.checkout(order)
    page = flow.come_back(started.attempt, "success")  # never paid
    assert b'data-state="awaiting"' in page.content
    status = Client().get(f"/payments/order/{order.public_token}/")
    assert b'data-state="awaiting"' in status.content


# --- secu_sync and logs -------------------------------------------------------------------------


def test_secu_sync_exits_non_zero_and_says_what_failed(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    control.inject("smart.get", "http_503", times=3)
    with pytest.raises(CommandError, match=str(started.attempt.stx_id)):
        call_command("secu_sync", "--min-age", "0", "--no-progress")


def test_debug_logs_never_show_the_signed_urls(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="secu_marketplace")
    started = flow.checkout(flow.order())
    assert "creating Smart Transaction" in caplog.text
    sent = flow.sandbox.stx(str(started.attempt.stx_id))["application_context"]["return_urls"]
    assert set(sent) == {"url_success", "url_error", "url_abort", "url_push"}
    for url in sent.values():
        token = url.rstrip("/").split("/")[-2 if "/return/" in url else -1]
        assert token not in caplog.text
        assert token.rsplit(":", 1)[1] not in caplog.text  # not even the signature


def test_a_push_with_nul_characters_is_recorded_not_a_500(flow: Flow) -> None:
    started = flow.checkout(flow.order())
    body = b'{"object": "event.pushes", "id": "\\u0000", "target": "\\u0000x", "data": []}'
    response = Client().post(push_path(started.attempt), data=body, content_type="application/json")
    assert response.status_code == 200


def test_a_shipping_report_whose_answer_was_lost_is_settled_by_reading_the_part(
    flow: Flow, heard: list[str], calls: Callable[[str], int]
) -> None:
    order = flow.paid_order("invoice")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.inject("payment.capture", "drop_response")  # captured, the answer never arrives
    shipping.ship_sub_basket(order, sb0, carrier="DHL")
    sb0.refresh_from_db()
    assert sb0.shipped_at is not None
    assert calls("payment.capture") == 1
    assert StatusEvent.objects.filter(order=order, subject="shipping").count() == 1
    assert heard.count("sub_basket_shipped") == 1
