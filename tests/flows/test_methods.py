"""Every payment method, end to end against the sandbox as the provider really answers
(docs/provider.md): what the order becomes, what the buyer is shown, and what a supplier's
cancellation does before and after the buyer's money has arrived."""

from __future__ import annotations

import pytest

from secu_marketplace.models import Order, Refund
from secu_marketplace.money import format_money
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole, RefundKind, RefundState
from secu_marketplace.services import refunds, shipping
from secu_marketplace.views.payment import order_status_url

from .conftest import Flow

# Methods whose money moves when the buyer confirms on Smart Checkout.
INSTANT = ["creditcard", "debit", "paypal", "sofort", "giropay", "eps", "easycredit"]


def _place(flow: Flow, method: str) -> tuple[Order, object]:
    order = flow.order()
    started = flow.checkout(order, method=method)
    flow.pay(started.attempt, method)
    page = flow.come_back(started.attempt)
    order.refresh_from_db()
    return order, page


def _remote(flow: Flow, order: Order, reference: str | None = None) -> dict:
    role = PaymentRole.SUB if reference else PaymentRole.LEADING
    query = order.payments.filter(role=role)
    if reference:
        query = query.filter(reference_id=reference)
    return flow.sandbox.pci(query.get().pci_id)


def _check_status(flow: Flow, order: Order, reference: str) -> dict:
    pci = order.payments.get(role=PaymentRole.SUB, reference_id=reference).pci_id
    answer = flow.sandbox.get(f"/api/v2/Payment/Transactions/{pci}/checkStatus")
    assert answer.status == 200, answer.text
    return answer.json()


def _assert_money_returned(
    flow: Flow, order: Order, record: Refund, reference: str, amount: int
) -> None:
    """A refund after the buyer paid: a refund transaction as the provider shows one (6,
    accepted, cleared "open", negative, ref_type 19); the original keeps its amount and what is
    left (checkStatus) is net of the refund."""
    assert record.kind == RefundKind.REFUND
    assert record.state == RefundState.DONE
    refund = flow.sandbox.pci(record.refund_pci_id)
    assert refund["amount"] == -amount
    assert (refund["status"], refund["details"]["status_simple"]) == (6, 1)
    assert refund["details"]["cleared"] == "open"
    assert refund["parents"][0]["ref_type_id"] == 19
    original = order.sub_baskets.get(reference_id=reference).sum
    assert _remote(flow, order, reference)["amount"] == original
    assert _check_status(flow, order, reference)["amount"] == original - amount


@pytest.mark.parametrize("method", INSTANT)
def test_an_instant_method_is_paid_and_a_supplier_refund_returns_money(
    flow: Flow, method: str
) -> None:
    order, page = _place(flow, method)
    assert order.status == OrderStatus.PAID
    assert order.payment_method == method
    assert b'data-state="paid"' in page.content
    assert b"IBAN" not in page.content
    leading = _remote(flow, order)
    assert leading["details"]["status_simple"] == 1
    assert leading["status"] == 6

    sb1 = order.sub_baskets.get(reference_id="sb1")
    (record,) = refunds.refund(order, sub_basket=sb1, amount=1000, reason="Kratzer").refunds
    _assert_money_returned(flow, order, record, "sb1", 1000)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_easycredit_tells_the_buyer_the_instalment_plan(flow: Flow) -> None:
    order, page = _place(flow, "easycredit")
    plan = order.payment_instructions
    for key in ("interest", "total_value", "number_of_installments", "installment"):
        assert key in plan, plan
    html = page.content.decode()
    assert 'data-state="paid"' in html
    assert 'id="secu-installments"' in html
    assert str(plan["number_of_installments"]) in html


def test_prepaid_waits_for_the_transfer_and_is_reduced_then_refunded(flow: Flow) -> None:
    order, page = _place(flow, "prepaid")
    assert order.status == OrderStatus.PENDING
    assert b'data-state="pending_transfer"' in page.content
    leading = _remote(flow, order)
    # As recorded: 25 "Vorkasse wartend", authorized, cleared open.
    assert (leading["status"], leading["details"]["status_simple"]) == (25, 2)
    assert leading["details"]["cleared"] == "open"

    # Before the money arrives a supplier's part is only reduced: no refund transaction.
    sb1 = order.sub_baskets.get(reference_id="sb1")
    (reduction,) = refunds.refund(order, sub_basket=sb1, amount=345).refunds
    assert reduction.kind == RefundKind.REDUCTION
    assert reduction.state == RefundState.DONE
    assert not order.payments.filter(role=PaymentRole.REFUND).exists()
    assert _remote(flow, order, "sb1")["amount"] == sb1.sum - 345
    page = flow.browser.get(order_status_url(order))
    due = format_money(order.total - 345, order.currency)
    assert f'data-field="amount">{due}<' in page.content.decode()  # what the buyer owes now

    # The money arrives: paid. A refund now returns money through a refund transaction.
    leading_pci = order.payments.get(role=PaymentRole.LEADING).pci_id
    answer = flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading_pci}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    assert answer.status == 200, answer.text
    flow.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    sb0 = order.sub_baskets.get(reference_id="sb0")
    (refund,) = refunds.refund(order, sub_basket=sb0, amount=440).refunds
    assert refund.kind == RefundKind.REFUND
    assert refund.state == RefundState.DONE
    assert _remote(flow, order, "sb0")["amount"] == sb0.sum  # unchanged by a refund


def test_invoice_ship_capture_refund_before_and_after_the_buyer_pays(flow: Flow) -> None:
    order, page = _place(flow, "invoice")
    assert order.status == OrderStatus.CONFIRMED  # the shop may ship; the buyer has not paid
    assert b'data-state="invoice"' in page.content
    assert b"DE81850400611005523759" in page.content
    sb0, sb1 = order.sub_baskets.order_by("position")

    # Shipping sb0 captures its invoice: 86 "Rechnung offen", accepted, but cleared "open".
    shipping.ship_sub_basket(order, sb0, carrier="DHL", tracking_id="1", invoice_number="R-1")
    captured = _remote(flow, order, "sb0")
    assert captured["status"] == 86
    assert captured["details"]["status_simple"] == 1
    assert captured["details"]["cleared"] == "open"
    assert captured["completion_date"]
    assert captured["invoice_number"] == "R-1"

    # Refunding part of a shipped invoice the buyer has not paid lowers what they owe.
    (reduction,) = refunds.refund(order, sub_basket=sb0, amount=1000, reason="Ruecksendung").refunds
    assert reduction.kind == RefundKind.REDUCTION
    assert reduction.state == RefundState.DONE
    assert not order.payments.filter(role=PaymentRole.REFUND).exists()
    assert _remote(flow, order, "sb0")["amount"] == sb0.sum - 1000
    assert _check_status(flow, order, "sb0")["amount"] == sb0.sum - 1000
    page = flow.browser.get(order_status_url(order))
    assert b'data-state="invoice"' in page.content  # still owed: the bank details stay
    assert b"DE81850400611005523759" in page.content

    shipping.ship_sub_basket(order, sb1, carrier="DHL", tracking_id="2", invoice_number="R-2")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    # The buyer pays the invoice.
    leading = order.payments.get(role=PaymentRole.LEADING).pci_id
    answer = flow.sandbox.post(
        f"/api/v2/Payment/Secupayinvoices/{leading}/TestChangedPaymentStatus",
        {"new_status_id": 9},
    )
    assert answer.status == 200, answer.text
    flow.deliver_pushes()
    page = flow.browser.get(order_status_url(order))
    assert b'data-state="paid"' in page.content
    assert b"DE81850400611005523759" not in page.content

    # After payment a refund returns money, and the original's amount stays.
    (refund,) = refunds.refund(order, sub_basket=sb1, amount=500, reason="Kulanz").refunds
    _assert_money_returned(flow, order, refund, "sb1", 500)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_a_shipped_invoice_cancelled_in_full_before_payment_owes_nothing(flow: Flow) -> None:
    order, _ = _place(flow, "invoice")
    shipping.ship_order(order, carrier="DHL")
    outcome = refunds.refund(order, reason="Annahme verweigert")
    assert {r.kind for r in outcome.refunds} == {RefundKind.REDUCTION}
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    page = flow.browser.get(order_status_url(order))
    assert b"DE81850400611005523759" not in page.content


@pytest.mark.parametrize("intent", ["order", "sale"])
def test_the_buyer_is_sent_to_the_link_each_intent_answers(
    flow: Flow, settings: object, intent: str
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "INTENT": intent}  # type: ignore[attr-defined]
    order = flow.order()
    started = flow.checkout(order, method="paypal")
    remote = flow.sandbox.stx(str(started.attempt.stx_id))
    assert remote["payment_context"]["payment_methods"] == ["paypal"]
    if intent == "order":
        assert "payment_links" not in remote
        assert started.url == remote["checkout_links"]["url_checkout"]
    else:
        assert "checkout_links" not in remote
        assert started.url == remote["payment_links"]["paypal"]
    assert flow.browser.get(started.url.replace(flow.base_url, "")).status_code == 200
    flow.pay(started.attempt, "paypal")
    flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
