"""A refund's own writes: recorded (under the order's and its refund records' locks, what is
left re-checked there) before secuconnect is asked, then what the answer says. What the answer
means is decided by the refund service; the next sync keeps the record true to secuconnect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from secu_marketplace.exceptions import ProcessingError, StaleRefund
from secu_marketplace.models import Order, PaymentTransaction, Refund, StatusEvent, SubBasket
from secu_marketplace.read.payments import refund_records
from secu_marketplace.rules.refunds import left_to_refund
from secu_marketplace.rules.statuses import DisputeState, RefundKind, RefundState

from .writer import locked

REFUND = StatusEvent.Subject.REFUND


def record_request(
    order: Order,
    target: PaymentTransaction,
    amount: int,
    *,
    kind: str,
    reason: str,
    reduce_stakeholder_payment: bool,
    source: str,
    too_much: Callable[[int], Exception],
    lines: list[dict[str, Any]] | None = None,
    seen_refunds: int | None = None,
) -> Refund:
    """Record the request before it is sent, re-checking with the order and every refund record
    of it locked: ``too_much(left)`` is the error to raise when ``amount`` exceeds what is left;
    a part whose money came back is refused (a push may have recorded it since the caller
    looked); with ``seen_refunds`` (the newest refund record a confirmation saw, 0 for none),
    a refund recorded since raises ``StaleRefund``."""
    with locked(order.pk, source=source, refunds=True) as w:
        newest = max((record.pk for record in w.refunds), default=0)
        if seen_refunds is not None and newest != seen_refunds:
            raise StaleRefund(
                f"another refund was recorded on order {order.reference} since this one was "
                "confirmed: nothing was sent"
            )
        disputed = SubBasket.objects.filter(order=order, dispute=DisputeState.OPEN)
        if target.sub_basket_id is not None:
            disputed = disputed.filter(pk=target.sub_basket_id)
        if disputed.exists():
            raise ProcessingError(
                f"the buyer's money for order {order.reference} came back (a chargeback or a "
                "returned debit): it is not refunded while the issue is open"
            )
        left = left_to_refund(target.amount, target.status_simple, refund_records(target))
        if amount > left:
            raise too_much(left)
        return Refund.objects.create(
            order=order,
            sub_basket=target.sub_basket,
            target=target,
            kind=kind,
            amount=amount,
            currency=order.currency,
            reason=reason,
            reduce_stakeholder_payment=reduce_stakeholder_payment,
            source=source,
            target_amount_before=target.amount,
            lines=lines or [],
        )


def answered(record: Refund, refund_pci: str, *, source: str) -> Refund:
    """secuconnect executed the cancel: a refund transaction (``refund_pci``; pending until it
    is executed) or, before the buyer paid, the amount reduced (done, no transaction)."""
    with locked(record.order_id, source=source, refunds=True) as w:
        mine = next(r for r in w.refunds if r.pk == record.pk)
        if refund_pci:
            kind, state = RefundKind.REFUND, RefundState.PENDING
        else:
            kind, state = RefundKind.REDUCTION, RefundState.DONE
        w.set_refund(mine, state, kind=kind, refund_pci_id=refund_pci)
        detail = {
            "refund": mine.pk,
            "amount": mine.amount,
            "target": mine.target.pci_id,
            "kind": mine.kind,
            "sub_basket": mine.target.reference_id,
            "reason": mine.reason,
        }
        w.note(REFUND, mine.state, from_status=RefundState.REQUESTED, detail=detail)
        if mine.state == RefundState.DONE:
            w.refunded(mine)
    return mine


def not_answered(record: Refund, state: str, error: dict[str, Any], *, source: str) -> Refund:
    """The cancel failed (``FAILED``: it never ran) or its answer was lost (``UNKNOWN``: the
    next sync settles it)."""
    with locked(record.order_id, source=source, refunds=True) as w:
        mine = next(r for r in w.refunds if r.pk == record.pk)
        w.set_refund(mine, state, error=error)
    return mine
