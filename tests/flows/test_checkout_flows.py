"""The guide's steps 1-4 for a marketplace basket, against the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from secu_marketplace.models import PaymentTransaction, StatusEvent
from secu_marketplace.rules.statuses import AttemptState, OrderStatus, PaymentRole
from secu_marketplace.sandbox import control

from .conftest import Flow


def test_card_payment_stores_every_id(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    assert started.url.endswith(f"/sandbox/checkout/{started.attempt.stx_id}/")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT

    flow.pay(started.attempt, "creditcard")
    page = flow.come_back(started.attempt)

    assert page.status_code == 200
    assert b'data-state="paid"' in page.content
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payment_method == "creditcard"
    assert order.trans_id
    payments = {p.role: p for p in order.payments.exclude(role=PaymentRole.SUB)}
    subs = {p.reference_id: p for p in order.payments.filter(role=PaymentRole.SUB)}
    assert payments[PaymentRole.LEADING].amount == order.total
    assert payments[PaymentRole.LEADING].trans_id == order.trans_id
    assert set(subs) == {"sb0", "sb1"}
    for sub in order.sub_baskets.all():
        assert subs[sub.reference_id].sub_basket == sub
        assert subs[sub.reference_id].amount == sub.sum
        assert subs[sub.reference_id].status_simple == 1
        assert subs[sub.reference_id].transaction_hash.startswith(
            payments[PaymentRole.LEADING].transaction_hash
        )


def test_prepaid_shows_transfer_instructions_and_a_girocode(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order, method="prepaid")
    # Intent "order" answers only the general link; the preselection limits the methods.
    remote = flow.sandbox.stx(str(started.attempt.stx_id))
    assert started.url == remote["checkout_links"]["url_checkout"]
    assert remote["payment_context"]["payment_methods"] == ["prepaid"]
    flow.pay(started.attempt, "prepaid")
    page = flow.come_back(started.attempt)

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.payment_instructions["purpose"] == f"TA {order.trans_id}"
    html = page.content.decode()
    assert 'data-state="pending_transfer"' in html
    assert "DE81850400611005523759" in html
    assert f"TA {order.trans_id}" in html
    assert "<svg" in html  # the GiroCode, rendered by us, not fetched from the provider
    assert "/qr/epc" not in html


def test_money_arriving_later_turns_a_prepaid_order_paid(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    arrived = flow.kit.money_arrives(order, deliver=False)  # TestChangedPaymentStatus, no push
    assert arrived["details"]["status_simple_text"] == "accepted"
    # Within seconds of the last sync the page answers from what we know...
    page = flow.browser.get(f"/payments/order/{order.public_token}/")
    assert b'data-state="pending_transfer"' in page.content
    # ...and the buyer checking back later makes the app ask secuconnect.
    order.attempts.update(last_synced_at=timezone.now() - timedelta(minutes=1))
    page = flow.browser.get(f"/payments/order/{order.public_token}/")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert b'data-state="paid"' in page.content


def test_declined_then_try_again_and_pay(flow: Flow, calls: Callable[[str], int]) -> None:
    order = flow.order()
    first = flow.checkout(order)
    flow.pay(first.attempt, "creditcard", outcome="declined")
    page = flow.come_back(first.attempt, "error")
    assert b'data-state="failed"' in page.content
    assert b"secu-retry" in page.content
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED

    second = flow.checkout(order)
    assert second.attempt.pk != first.attempt.pk
    assert second.attempt.stx_id != first.attempt.stx_id
    assert calls("smart.create") == 2
    flow.pay(second.attempt, "debit")
    flow.come_back(second.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    first.attempt.refresh_from_db()
    assert first.attempt.state == AttemptState.FAILED


def test_abort_then_try_again_reuses_the_created_smart_transaction(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    first = flow.checkout(order)
    page = flow.come_back(first.attempt, "abort")
    assert b'data-state="aborted"' in page.content
    order.refresh_from_db()
    assert order.status == OrderStatus.ABORTED

    again = flow.checkout(order)
    assert again.reused
    assert again.attempt.stx_id == first.attempt.stx_id
    assert calls("smart.create") == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    flow.pay(again.attempt, "paypal")
    flow.come_back(again.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_changed_basket_supersedes_the_open_smart_transaction(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.order()
    first = flow.checkout(order)
    order.email = "other@example.net"  # what the buyer pays for, as sent, has changed
    order.save()
    second = flow.checkout(order)
    assert second.attempt.stx_id != first.attempt.stx_id
    first.attempt.refresh_from_db()
    assert first.attempt.state == AttemptState.CLOSED
    assert flow.sandbox.stx(str(first.attempt.stx_id))["status"] == "cancelled"
    assert calls("smart.create") == 2
    assert calls("smart.abort") == 1


def test_success_word_in_the_url_is_not_trusted(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    page = flow.come_back(started.attempt, "success")  # not paid at all
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert b'data-state="confirming"' in page.content
    assert not PaymentTransaction.objects.filter(order=order).exists()


def test_timeline_has_one_event_per_real_change(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt)
    for _ in range(3):
        flow.come_back(started.attempt)
    transitions = list(
        StatusEvent.objects.filter(order=order, subject="order").values_list(
            "from_status", "to_status"
        )
    )
    assert transitions == [("new", "awaiting_payment"), ("awaiting_payment", "paid")]
    control.reset_calls()


def test_the_smart_transaction_speaks_the_buyers_language(flow: Flow) -> None:
    order = flow.order()
    response = flow.browser.post(order.get_payment_url(), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert response.status_code == 303
    stx = flow.sandbox.stx(str(order.attempts.get().stx_id))
    assert stx["application_context"]["language"] == "de"
    fee = stx["basket"]["products"][0]["sub_basket"][-1]
    assert fee["desc"] == "Marktplatzgebühr"
    page = flow.browser.get(f"/payments/order/{order.public_token}/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Diese Bestellung wurde noch nicht bezahlt" in page.content.decode()
