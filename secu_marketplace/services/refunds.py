"""Keeping refund records true to what secuconnect says (called inside sync's locked apply).

Each refund transaction secuconnect reports is matched to our record (by its id, or to the
request still waiting for it by target and amount); one nobody requested here was made elsewhere
(secuOffice) and is recorded as external. A record becomes ``done`` only when its refund
transaction is executed; the order becomes ``refunded`` when nothing is left.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Sum

from secu_marketplace import signals
from secu_marketplace.models import Order, PaymentTransaction, Refund, StatusEvent
from secu_marketplace.statuses import OrderStatus, PaymentRole

logger = logging.getLogger(__name__)

DONE_SIMPLE = {1, 9}  # accepted, paid: the refund was executed
FAILED_SIMPLE = {3, 5}  # denied, void


def state_for(payment: PaymentTransaction) -> str:
    if payment.status_simple in DONE_SIMPLE:
        return Refund.State.DONE
    if payment.status_simple in FAILED_SIMPLE:
        return Refund.State.FAILED
    return Refund.State.PENDING


def _match(payment: PaymentTransaction, records: list[Refund]) -> Refund | None:
    for record in records:
        if record.refund_transaction_id == payment.pk or (
            record.refund_pci_id and record.refund_pci_id == payment.pci_id
        ):
            return record
    amount = -(payment.amount or 0)
    for record in records:
        if (
            record.refund_transaction_id is None
            and not record.refund_pci_id
            and record.target_id == payment.parent_id
            and record.amount == amount
            and record.state in (Refund.State.REQUESTED, Refund.State.UNKNOWN)
        ):
            return record
    return None


def reconcile(order: Order, *, source: str) -> list[Refund]:
    """Bring the order's refund records in line with its refund transactions; returns the
    records that became ``done`` just now (their signals are for after commit)."""
    records = list(Refund.objects.filter(order=order).select_for_update())
    finished: list[Refund] = []
    refunds = PaymentTransaction.objects.filter(
        order=order, role=PaymentRole.REFUND
    ).select_related("parent")
    for payment in refunds:
        if payment.parent is None or not payment.amount:
            continue
        record = _match(payment, records)
        if record is None:
            record = Refund.objects.create(
                order=order,
                sub_basket=payment.parent.sub_basket,
                target=payment.parent,
                refund_transaction=payment,
                refund_pci_id=payment.pci_id,
                amount=-payment.amount,
                currency=payment.currency or order.currency,
                reason=str(payment.snapshot.get("description") or "")[:100]
                if payment.snapshot
                else "",
                source="external",
                state=Refund.State.PENDING,
            )
            records.append(record)
            logger.info(
                "order %s: refund %s made outside this app recorded",
                order.reference,
                payment.pci_id,
            )
        new_state = state_for(payment)
        if record.state == new_state and record.refund_transaction_id == payment.pk:
            continue
        old_state = record.state
        record.refund_transaction = payment
        record.refund_pci_id = payment.pci_id
        record.state = new_state
        record.save(update_fields=["refund_transaction", "refund_pci_id", "state", "updated"])
        if old_state != new_state:
            StatusEvent.objects.create(
                order=order,
                subject=StatusEvent.Subject.REFUND,
                from_status=old_state,
                to_status=new_state,
                source=source,
                detail={"refund": record.pk, "pci": payment.pci_id, "amount": record.amount},
            )
            if new_state == Refund.State.DONE:
                finished.append(record)
    return finished


def refundable(target: PaymentTransaction) -> int:
    """What is left to refund on ``target`` (a sub-transaction, or the leading one)."""
    if target.status_simple in FAILED_SIMPLE or not target.amount:
        return 0
    # For the leading transaction (the whole order) refunds of any of its parts count too.
    scope = (
        {"order_id": target.order_id} if target.role == PaymentRole.LEADING else {"target": target}
    )
    taken = Refund.objects.filter(kind=Refund.Kind.REFUND, **scope).exclude(
        state=Refund.State.FAILED
    )
    return max(target.amount - (taken.aggregate(total=Sum("amount"))["total"] or 0), 0)


def fully_refunded(order: Order) -> bool:
    """Nothing is left of the payment, and refunds or reductions (an invoice cancelled before
    the buyer paid it) are what took it: none of them is still on its way."""
    refunds = Refund.objects.filter(order=order)
    if not refunds.filter(state=Refund.State.DONE).exists():
        return False
    if refunds.filter(
        state__in=[Refund.State.PENDING, Refund.State.REQUESTED, Refund.State.UNKNOWN]
    ).exists():
        return False
    leading = (
        PaymentTransaction.objects.filter(
            order=order, role=PaymentRole.LEADING, attempt__state="settled"
        )
        .order_by("-attempt__number")
        .first()
    )
    return leading is not None and refundable(leading) == 0


def send_after_commit(order_id: int, finished: list[Refund], source: str) -> None:
    if not finished:
        return
    ids = [record.pk for record in finished]

    def send() -> None:
        order = Order.objects.get(pk=order_id)
        for record in Refund.objects.filter(pk__in=ids).select_related("sub_basket"):
            signals.send(
                signals.order_refunded,
                order,
                old_status=order.status,
                new_status=order.status,
                source=source,
                amount=record.amount,
                sub_basket=record.sub_basket,
                refund=record,
            )

    transaction.on_commit(send)


def after_refunds(order: Order) -> Any:
    """The order status the refunds call for, or None."""
    if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED) and fully_refunded(order):
        return OrderStatus.REFUNDED
    return None
