"""After checkout: capture, per-supplier cancel and refund, invoice shipping, external refunds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from secu_marketplace import signals
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Refund
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole, RefundKind, RefundState
from secu_marketplace.sandbox import control
from secu_marketplace.services import capture, refunds, shipping
from secu_marketplace.services.bulk_sync import refresh_order

from .conftest import Flow


@pytest.fixture
def heard() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every signal the app sends during the test, in order."""
    log: list[tuple[str, dict[str, Any]]] = []
    receivers = []
    for name in (
        "order_refunded",
        "sub_basket_shipped",
        "order_shipped",
        "order_paid",
        "order_cancelled",
        "invoice_paid",
    ):
        signal = getattr(signals, name)

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            log.append((_name, kwargs))

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    yield log
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def test_partial_refund_of_one_supplier_and_full_refund_of_another(flow: Flow, heard: list) -> None:
    order = flow.paid_order()
    sb0, sb1 = order.sub_baskets.order_by("position")
    first = refunds.refund(order, sub_basket=sb0, amount=1000, reason="Kaffee beschaedigt")
    (record,) = first.refunds
    assert record.state == RefundState.DONE
    assert record.kind == RefundKind.REFUND
    assert record.refund_transaction is not None
    assert record.refund_transaction.amount == -1000
    assert record.refund_transaction.parent.sub_basket == sb0
    second = refunds.refund(order, sub_basket=sb1)
    assert second.refunds[0].amount == sb1.sum
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # sb0 still has 3440 left
    refunded = [
        (kw["sub_basket"].reference_id, kw["amount"])
        for name, kw in heard
        if name == "order_refunded"
    ]
    assert refunded == [("sb0", 1000), ("sb1", sb1.sum)]

    refunds.refund(order, sub_basket=sb0)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.events.filter(subject="order", to_status="refunded").count() == 1
    sub_pcis = {p.reference_id: p for p in order.payments.filter(role=PaymentRole.SUB)}
    assert sub_pcis["sb1"].status_simple == 5  # void once fully refunded


@pytest.mark.in_process
def test_refunds_wait_for_secuconnect_to_execute_them(
    flow: Flow, settings: Any, heard: list
) -> None:
    settings.SECU_SANDBOX = {**settings.SECU_SANDBOX, "REFUNDS": "pending"}
    order = flow.paid_order()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    (record,) = refunds.refund(order, sub_basket=sb0, amount=500).refunds
    assert record.state == RefundState.PENDING
    assert not [name for name, _ in heard if name == "order_refunded"]
    flow.sandbox.post(
        f"/api/v2/Payment/Secupaycreditcards/{record.refund_pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    flow.deliver_pushes()  # secuconnect tells us the refund was executed
    record.refresh_from_db()
    assert record.state == RefundState.DONE
    assert [kw["amount"] for name, kw in heard if name == "order_refunded"] == [500]


def test_a_refund_larger_than_what_is_left_is_refused(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    order = flow.paid_order()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    refunds.refund(order, sub_basket=sb0, amount=4000)
    before = calls("payment.cancel")
    with pytest.raises(ProcessingError, match="more than is left"):
        refunds.refund(order, sub_basket=sb0, amount=441)
    assert calls("payment.cancel") == before
    refunds.refund(order, sub_basket=sb0, amount=440)
    with pytest.raises(ProcessingError, match="fully refunded already"):
        refunds.refund(order, sub_basket=sb0)


def test_refunds_are_refused_where_they_make_no_sense(flow: Flow) -> None:
    order = flow.order()
    flow.checkout(order)
    with pytest.raises(ProcessingError, match="nothing to refund"):
        refunds.refund(order)
    paid = flow.paid_order()
    with pytest.raises(ProcessingError, match="supplier by supplier"):
        refunds.refund(paid, amount=100)
    with pytest.raises(ProcessingError, match="bank statement"):
        refunds.refund(paid, reason="Rückerstattung <script>")
    with pytest.raises(ProcessingError, match="positive whole number"):
        refunds.refund(paid, sub_basket=paid.sub_baskets.first(), amount=0)


def test_the_whole_order_is_refunded_supplier_by_supplier(flow: Flow, heard: list) -> None:
    order = flow.paid_order("debit")
    outcome = refunds.refund(order, reason="Storno")
    assert sorted(r.sub_basket.reference_id for r in outcome.refunds) == ["sb0", "sb1"]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert sum(kw["amount"] for name, kw in heard if name == "order_refunded") == order.total


def test_cancelling_before_the_money_arrives_voids_the_payment(flow: Flow, heard: list) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    outcome = refunds.refund(order)
    assert [r.kind for r in outcome.refunds] == [RefundKind.REDUCTION]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert [name for name, _ in heard if name == "order_cancelled"] == ["order_cancelled"]


def test_a_partial_cancel_before_execution_reduces_that_suppliers_part(flow: Flow) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    sb1 = order.sub_baskets.get(reference_id="sb1")
    (record,) = refunds.refund(
        order, sub_basket=sb1, amount=345, reduce_stakeholder_payment=True
    ).refunds
    assert record.kind == RefundKind.REDUCTION
    assert record.state == RefundState.DONE
    part = order.payments.get(role=PaymentRole.SUB, sub_basket=sb1)
    assert part.amount == sb1.sum - 345
    assert (
        flow.sandbox.get(f"/api/v2/Payment/Transactions/{part.pci_id}/checkStatus").json()["amount"]
        == 3000
    )


def test_capture_with_auto_capture_off(flow: Flow, settings: Any, heard: list) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "AUTO_CAPTURE": False}
    order = flow.paid_order("creditcard")
    assert order.status == OrderStatus.AUTHORIZED
    capture.capture(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert flow.sandbox.stx(str(order.attempts.get().stx_id))["status"] == "received"
    with pytest.raises(ProcessingError, match="only authorised orders"):
        capture.capture(order)
    assert [name for name, _ in heard if name == "order_paid"] == ["order_paid"]


def test_invoice_is_shipped_supplier_by_supplier(flow: Flow, heard: list) -> None:
    order = flow.paid_order("invoice")
    # Accepted by secupay, not paid by the buyer: "confirmed", and order_paid says "ship".
    assert order.status == OrderStatus.CONFIRMED
    assert [(n, kw["new_status"]) for n, kw in heard] == [("order_paid", "confirmed")]
    assert order.payment_instructions["purpose"].startswith("TA ")
    sb0, sb1 = order.sub_baskets.order_by("position")
    shipping.ship_sub_basket(order, sb0, carrier="DHL", tracking_id="0034", invoice_number="R-1")
    part0 = order.payments.get(role=PaymentRole.SUB, sub_basket=sb0)
    part0_remote = flow.sandbox.pci(part0.pci_id)
    # Captured: the invoice is due (86, accepted), and the buyer has not paid it yet.
    assert (part0_remote["status"], part0_remote["details"]["status_simple"]) == (86, 1)
    assert part0_remote["details"]["cleared"] == "open"
    assert part0_remote["completion_date"]
    assert part0_remote["invoice_number"] == "R-1"
    assert part0_remote["order_id"] == order.reference
    assert (
        flow.sandbox.pci(order.payments.get(role=PaymentRole.SUB, sub_basket=sb1).pci_id)[
            "details"
        ]["status_simple"]
        == 14
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    with pytest.raises(ProcessingError, match="shipped already"):
        shipping.ship_sub_basket(order, sb0)

    shipping.ship_sub_basket(order, sb1, carrier="Hermes", tracking_id="H9", invoice_number="R-2")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert flow.sandbox.stx(str(order.attempts.get().stx_id))["status"] == "shipped"
    names = [name for name, _ in heard if name in ("sub_basket_shipped", "order_shipped")]
    assert names == ["sub_basket_shipped", "sub_basket_shipped", "order_shipped"]

    # The buyer pays the shipped invoice: the order stays shipped, invoice_paid says so, once
    # (read here, so that the signal is sent in this process even against a deployment).
    flow.kit.money_arrives(order, deliver=False)
    refresh_order(order)
    refresh_order(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    paid = [kw for name, kw in heard if name == "invoice_paid"]
    assert [kw["amount"] for kw in paid] == [order.total]
    assert [name for name, _ in heard].count("order_paid") == 1
    assert [
        kw["sub_basket"].reference_id for name, kw in heard if name == "sub_basket_shipped"
    ] == ["sb0", "sb1"]


def test_a_cancelled_sub_basket_is_not_shipped_and_the_rest_completes_the_order(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    sb0, sb1 = order.sub_baskets.order_by("position")
    refunds.refund(order, sub_basket=sb1)
    with pytest.raises(ProcessingError, match="nothing to ship"):
        shipping.ship_sub_basket(order, sb1)
    shipping.ship_order(order, carrier="DHL")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    sb0.refresh_from_db()
    assert sb0.carrier == "DHL"


def test_shipping_an_unpaid_order_is_refused(flow: Flow) -> None:
    order = flow.order()
    flow.checkout(order)
    with pytest.raises(ProcessingError, match="only paid orders"):
        shipping.ship_order(order)


def test_a_refund_made_in_secuoffice_is_discovered_on_sync(flow: Flow, heard: list) -> None:
    order = flow.paid_order("creditcard")
    sb1 = order.sub_baskets.get(reference_id="sb1")
    part = order.payments.get(role=PaymentRole.SUB, sub_basket=sb1)
    # Staff refund in secuOffice: it happens at secuconnect, not through this app.
    answer = flow.sandbox.post(
        f"/api/v2/Payment/Transactions/{part.pci_id}/cancel", {"reduce_amount_by": 1234}
    )
    assert answer.status == 200
    from secu_marketplace.services.bulk_sync import refresh_orders

    summary = refresh_orders([order], source="admin")
    assert summary.changed == 1
    record = Refund.objects.get(order=order)
    assert record.source == "external"
    assert record.amount == 1234
    assert record.sub_basket == sb1
    assert record.state == RefundState.DONE
    assert [kw["amount"] for name, kw in heard if name == "order_refunded"] == [1234]
    refresh_orders([order], source="admin")  # seen again: nothing new
    assert Refund.objects.filter(order=order).count() == 1
    assert len([1 for name, _ in heard if name == "order_refunded"]) == 1


def test_a_lost_cancel_answer_is_settled_by_the_next_sync(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    sb0 = order.sub_baskets.get(reference_id="sb0")
    control.inject("payment.cancel", "drop_response")
    (record,) = refunds.refund(order, sub_basket=sb0, amount=700).refunds
    assert record.state in (RefundState.UNKNOWN, RefundState.DONE)
    record.refresh_from_db()
    assert record.state == RefundState.DONE  # the re-read after the call found it
    assert record.refund_transaction is not None
    assert Refund.objects.filter(order=order).count() == 1
