"""Tokens, double clicks, push/return ordering, forged tokens, an unreachable provider and a
mismatched answer: the failure modes of reliability.md §1, against the sandbox over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.core.signing import Signer
from django.db import connections
from django.test import Client

from secu_marketplace import checkpoints, signals
from secu_marketplace.links import return_path
from secu_marketplace.models import CheckoutAttempt, Order
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import control
from secu_marketplace.services.checkout import CheckoutStart, start_checkout
from tests.races import paused_at

from .conftest import Flow


def test_one_token_serves_many_checkouts(flow: Flow, calls: Callable[[str], int]) -> None:
    for _ in range(3):
        order = flow.order()
        flow.checkout(order)
    assert calls("smart.create") == 3
    assert calls("oauth.token") == 1


def test_token_expiring_mid_flow_is_renewed_once(flow: Flow, calls: Callable[[str], int]) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt)
    control.expire_tokens()  # 1200 s have passed: the cached token is now refused with 403/2003
    page = flow.come_back(started.attempt)
    assert b'data-state="paid"' in page.content
    assert calls("oauth.token") == 2
    assert control.count("smart.get", status=403) == 1


def test_a_token_the_provider_rejects_as_expired_is_renewed(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    flow.checkout(order)
    control.inject("smart.create", "token_expired")
    flow.checkout(flow.order())
    assert calls("oauth.token") == 2
    assert control.count("smart.create", status=200) == 2


def test_wrong_credentials_are_not_retried_forever(
    flow: Flow, settings: object, calls: Callable[[str], int]
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "CLIENT_SECRET": "wrong"}  # type: ignore[attr-defined]
    from secu_marketplace.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError):
        SecuconnectClient().get_smart_transaction("STX_" + "A" * 30)
    assert calls("oauth.token") == 1


def test_double_pay_now_opens_one_smart_transaction(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    browser = Client()
    first = browser.post(order.get_payment_url())
    second = browser.post(order.get_payment_url())
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert calls("smart.create") == 1
    assert order.attempts.count() == 1


@pytest.mark.postgres
def test_concurrent_pay_now_clicks_open_one_smart_transaction(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    n = 8
    barrier = threading.Barrier(n)
    locations: list[str] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait()
            response = Client().post(order.get_payment_url())
            assert response.status_code == 303, response.status_code
            locations.append(response["Location"])
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(set(locations)) == 1
    assert calls("smart.create") == 1
    assert CheckoutAttempt.objects.filter(order=order).count() == 1


def test_a_click_while_the_first_is_creating_waits_for_it_and_opens_nothing(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    """A is held after recording its attempt ("creating") and before the create call. B's click
    finds that attempt, waits for it instead of creating a second Smart Transaction, and sends
    the buyer to the one A created."""
    order = flow.order()
    waiting = threading.Event()
    second: list[CheckoutStart | BaseException] = []

    def click_b() -> None:
        try:
            second.append(start_checkout(Order.objects.get(pk=order.pk)))
        except BaseException as error:
            second.append(error)
        finally:
            connections.close_all()

    def click_a() -> CheckoutStart:
        return start_checkout(Order.objects.get(pk=order.pk))

    checkpoints.install("checkout.waiting", waiting.set)
    try:
        with paused_at("checkout.before_create", click_a) as first:
            b = threading.Thread(target=click_b)
            b.start()
            assert waiting.wait(10), "B did not find A's attempt creating"
            assert calls("smart.create") == 0
        b.join(30)
    finally:
        checkpoints.install("checkout.waiting", None)
    assert first.error is None, first.error
    assert isinstance(second[0], CheckoutStart), second
    assert calls("smart.create") == 1
    assert second[0].attempt.pk == first.result.attempt.pk
    assert second[0].url == first.result.url
    assert CheckoutAttempt.objects.filter(order=order).count() == 1


def _receiver_counter() -> tuple[list[str], Callable[..., None]]:
    seen: list[str] = []

    def receiver(sender: object, order: Order, **kwargs: object) -> None:
        seen.append(f"{order.reference}:{kwargs['new_status']}")

    return seen, receiver


@pytest.mark.parametrize(
    "push_first", [True, False], ids=["push-before-return", "return-before-push"]
)
def test_push_and_return_in_either_order_give_the_same_result(flow: Flow, push_first: bool) -> None:
    seen, receiver = _receiver_counter()
    signals.order_paid.connect(receiver)
    try:
        order = flow.order()
        started = flow.checkout(order)
        flow.pay(started.attempt, "creditcard")
        if push_first:
            assert flow.deliver_pushes() == 3  # leading + one per sub-basket
            page = flow.come_back(started.attempt)
        else:
            page = flow.come_back(started.attempt)
            assert flow.deliver_pushes() == 3
    finally:
        signals.order_paid.disconnect(receiver)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert b'data-state="paid"' in page.content
    assert seen == [f"{order.reference}:paid"]
    assert order.payments.count() == 3
    assert order.events.filter(subject="order", to_status="paid").count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        Signer(salt="another.salt").sign("x" * 32),
        Signer(key="another-installation", salt="secu_marketplace.attempt").sign("x" * 32),
    ],
    ids=["garbage", "other-salt", "foreign-installation"],
)
def test_forged_or_foreign_return_tokens_get_404_and_no_api_call(
    flow: Flow, token: str, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    flow.checkout(order)
    control.reset_calls()
    for outcome in ("success", "error", "abort"):
        response = Client().get(f"/payments/return/{token}/{outcome}/")
        assert response.status_code == 404
        assert order.reference.encode() not in response.content
    assert (
        Client()
        .post(f"/payments/push/{token}/", data=b"{}", content_type="application/json")
        .status_code
        == 404
    )
    assert calls("smart.get") == 0


def test_a_token_with_a_valid_signature_but_no_attempt_is_404(flow: Flow) -> None:
    token = Signer(salt="secu_marketplace.attempt").sign("no-such-key")
    assert Client().get(f"/payments/return/{token}/success/").status_code == 404


def test_unknown_outcome_word_is_404(flow: Flow) -> None:
    started = flow.checkout(flow.order())
    assert Client().get(return_path(started.attempt, "paid")).status_code == 404


@pytest.mark.parametrize("fault", ["http_503", "http_502", "malformed_json"])
def test_provider_failing_on_return_shows_the_confirming_page(flow: Flow, fault: str) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt)
    control.inject("smart.get", fault, times=3)  # the first GET and both retries
    page = flow.come_back(started.attempt)
    assert page.status_code == 200
    assert b'data-state="confirming"' in page.content
    assert b'http-equiv="refresh"' in page.content
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT  # not paid, and certainly not "failed"
    # The refresh, once the provider answers again, shows the truth.
    page = flow.come_back(started.attempt)
    assert b'data-state="paid"' in page.content


def test_provider_timing_out_on_return_shows_the_confirming_page(
    flow: Flow, settings: object
) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt)
    # Short only for the return: a busy machine may take longer than 0.3 s to create.
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "READ_TIMEOUT": 0.3, "GET_RETRIES": 0}  # type: ignore[attr-defined]
    control.inject("smart.get", "latency", latency_ms=800)
    page = flow.come_back(started.attempt)
    assert page.status_code == 200
    assert b'data-state="confirming"' in page.content
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    # Let the slow request finish on the server before the test's database goes away.
    deadline = time.monotonic() + 5
    while control.count("smart.get") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_transient_503_is_retried_for_reads(flow: Flow, calls: Callable[[str], int]) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt)
    control.inject("smart.get", "http_503", times=1)
    page = flow.come_back(started.attempt)
    assert b'data-state="paid"' in page.content
    assert calls("smart.get") == 2


def test_an_amount_mismatch_goes_to_review_and_is_never_paid(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    # Someone else's, cheaper transaction, paid: the classic "replay a captured success URL".
    cheap = flow.sandbox.create(
        {
            "contract": {"id": started.attempt.contract_id},
            "merchantRef": order.reference,
            "is_demo": True,
            "basket_info": {"sum": 100, "currency": "EUR"},
            "customer": {"contact": {"forename": "A", "surname": "B", "email": "a@example.net"}},
        }
    )
    flow.sandbox.prepare(cheap["id"], "creditcard")
    CheckoutAttempt.objects.filter(pk=started.attempt.pk).update(stx_id=cheap["id"])
    page = flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "amount 100 is not 7785" in order.review_reason
    assert b'data-state="needs_review"' in page.content
    # And it stays there, whatever arrives later.
    flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDS_REVIEW


def test_a_lost_create_answer_is_resolved_without_a_second_smart_transaction(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    from secu_marketplace.exceptions import OutcomeUnknown
    from secu_marketplace.rules.statuses import AttemptState

    order = flow.order()
    control.inject("smart.create", "drop_response")
    with pytest.raises(OutcomeUnknown):
        flow.checkout(order)
    attempt = order.attempts.get()
    assert attempt.state == AttemptState.UNKNOWN
    assert calls("smart.create") == 1
    # The buyer clicks again: the lost Smart Transaction is found by its token and reused.
    again = flow.checkout(order)
    assert calls("smart.create") == 1
    assert again.attempt.pk == attempt.pk
    assert again.attempt.stx_id
    flow.pay(again.attempt)
    flow.come_back(again.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
