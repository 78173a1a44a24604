"""A refund's own writes: recorded (under the order's and its refund records' locks, what is
left re-checked there) before secuconnect is asked, then what the answer says. What the answer
means is decided by the refund service; the next sync keeps the record true to secuconnect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from secu_marketplace.models import Order, PaymentTransaction, Refund, StatusEvent
from secu_marketplace.read.payments import refund_records
from secu_marketplace.rules.refunds import left_to_refund
from secu_marketplace.rules.statuses import RefundKind, RefundState

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
) -> Refund:
    """Record the request before it is sent; ``too_much(left)`` is the error to raise when
    ``amount`` exceeds what is left, re-checked with every refund record of the order locked."""
    with locked(order.pk, source=source, refunds=True):
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
