"""Keeping refund records true to what secuconnect says (called inside sync's locked apply).

Each refund transaction secuconnect reports is matched to our record (by its id, or to the
request still waiting for it by target and amount); one nobody requested here was made elsewhere
(secuOffice) and is recorded as external. A record becomes ``done`` only when its refund
transaction is executed; the order becomes ``refunded`` when nothing is left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from secu_marketplace import ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.models import Order, PaymentTransaction, Refund, StatusEvent
from secu_marketplace.provider.answers import SimpleStatus, parse_payment
from secu_marketplace.rules.decide import refund_state
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole

logger = logging.getLogger(__name__)

# A refund transaction accepted or paid was executed; a part denied or void is dead.
DONE_SIMPLE = frozenset({SimpleStatus.ACCEPTED, SimpleStatus.PAID})
FAILED_SIMPLE = frozenset({SimpleStatus.DENIED, SimpleStatus.VOID})


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


def reconcile(
    writer: ledger.Writer,
    *,
    fetched_at: datetime | None = None,
    payments: list[PaymentTransaction] | None = None,
) -> list[Refund]:
    """Bring the order's refund records in line with its refund transactions; returns the
    records that became ``done`` just now (their signals are for after commit).

    ``fetched_at``: when the answer being applied was asked for. Records whose call had ended
    before then and that the answer does not show are settled from it (``_settle``).
    ``payments``: every Payment Transaction row of the order, when the caller holds them
    already (sync's apply has just stored them); read here otherwise."""
    order = writer.order
    records = writer.refunds  # locked by the write path
    finished: list[Refund] = []
    refunds: Iterable[PaymentTransaction]
    if payments is None:
        refunds = PaymentTransaction.objects.filter(
            order=order, role=PaymentRole.REFUND
        ).select_related("parent")
    else:
        by_pk = {p.pk: p for p in payments}
        refunds = [p for p in payments if p.role == PaymentRole.REFUND]
        for payment in refunds:
            if payment.parent_id is not None and payment.parent_id in by_pk:
                payment.parent = by_pk[payment.parent_id]  # no query per refund
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
                reason=parse_payment(payment.snapshot).description[:100],
                source="external",
                state=Refund.State.PENDING,
            )
            records.append(record)
            logger.info(
                "order %s: refund %s made outside this app recorded",
                order.reference,
                payment.pci_id,
            )
        new_state = refund_state(record.state, state_for(payment))
        if record.state == new_state and record.refund_transaction_id == payment.pk:
            continue
        old_state = record.state
        record.refund_transaction = payment
        record.refund_pci_id = payment.pci_id
        record.state = new_state
        record.save(update_fields=["refund_transaction", "refund_pci_id", "state", "updated"])
        if old_state != new_state:
            writer.note(
                StatusEvent.Subject.REFUND,
                new_state,
                from_status=old_state,
                detail={"refund": record.pk, "pci": payment.pci_id, "amount": record.amount},
            )
            if new_state == Refund.State.DONE:
                finished.append(record)
    if fetched_at is not None:
        for record in records:
            settled = _settle(record, fetched_at)
            if settled is None:
                continue
            old_state, record.state = record.state, settled
            record.save(update_fields=["state", "updated"])
            writer.note(
                StatusEvent.Subject.REFUND,
                settled,
                from_status=old_state,
                detail={"refund": record.pk, "amount": record.amount, "settled_by": "reading"},
            )
            if settled == Refund.State.DONE:
                finished.append(record)
    for record in finished:
        writer.refunded(record)
    return finished


def _settle(record: Refund, fetched_at: datetime) -> str | None:
    """What a refund record without a refund transaction turned out to be, read from an answer
    fetched at ``fetched_at``; None while that answer cannot tell.

    A reduction shows as its target's amount gone down. A refund shows as a refund transaction,
    so when the answer shows none the cancel never ran: it failed, and what it asked for is
    refundable again. Only calls that had ended before the answer was asked for are settled:
    ones that were answered (a 500, say), or ones sent longer ago than a call can take."""
    if record.state not in (Refund.State.REQUESTED, Refund.State.UNKNOWN):
        return None
    if record.refund_transaction_id is not None or record.refund_pci_id:
        return None
    if record.updated >= fetched_at:
        return None  # it changed after this answer was asked for
    target = PaymentTransaction.objects.get(pk=record.target_id)
    before = record.target_amount_before
    if (
        record.kind == Refund.Kind.REDUCTION
        and before is not None
        and target.amount is not None
        and target.amount <= before - record.amount
    ):
        return Refund.State.DONE
    # record.error is our own SecuconnectError.as_dict(), not a provider answer.
    answered = bool((record.error or {}).get("http_status"))  # own data
    sent_long_ago = record.created + timedelta(seconds=app_settings.landing_window) < fetched_at
    return Refund.State.FAILED if answered or sent_long_ago else None


def refundable(target: PaymentTransaction) -> int:
    """What is left to refund on ``target`` (a sub-transaction, or the leading one)."""
    if target.status_simple in FAILED_SIMPLE or not target.amount:
        return 0
    # For the leading transaction (the whole order) refunds of any of its parts count too.
    scope = (
        {"order_id": target.order_id} if target.role == PaymentRole.LEADING else {"target": target}
    )
    records = Refund.objects.filter(**scope).values_list("kind", "state", "amount")
    return left_to_refund(target, records)


def left_to_refund(target: PaymentTransaction, records: Iterable[tuple[str, str, int]]) -> int:
    """``refundable`` from the refund records in its scope, given as (kind, state, amount):
    the one rule, also used where the records are already loaded (``balances``)."""
    if target.status_simple in FAILED_SIMPLE or not target.amount:
        return 0
    # Refunds count until they are known to have failed. A reduction lowers the target's own
    # amount once done (the next sync shows it), so it counts only while it is in flight:
    # otherwise two reductions sent at once could both take what is left.
    in_flight = (Refund.State.REQUESTED, Refund.State.UNKNOWN)
    taken = sum(
        int(amount)
        for kind, state, amount in records
        if state != Refund.State.FAILED
        and (kind == Refund.Kind.REFUND or (kind == Refund.Kind.REDUCTION and state in in_flight))
    )
    return max(target.amount - taken, 0)


def fully_refunded(order: Order, records: list[Refund] | None = None) -> bool:
    """Nothing is left of the payment, and refunds or reductions (an invoice cancelled before
    the buyer paid it) are what took it: none of them is still on its way. ``records``: all
    the order's refund records, when the caller holds them (locked, in the write path)."""
    on_the_way = [Refund.State.PENDING, Refund.State.REQUESTED, Refund.State.UNKNOWN]
    if records is not None:
        states = {record.state for record in records}
        if Refund.State.DONE not in states or states.intersection(on_the_way):
            return False
    else:
        refunds = Refund.objects.filter(order=order)
        if not refunds.filter(state=Refund.State.DONE).exists():
            return False
        if refunds.filter(state__in=on_the_way).exists():
            return False
    leading = (
        PaymentTransaction.objects.filter(
            order=order, role=PaymentRole.LEADING, attempt__state="settled"
        )
        .order_by("-attempt__number")
        .first()
    )
    return leading is not None and refundable(leading) == 0


def after_refunds(order: Order, records: list[Refund] | None = None) -> Any:
    """The order status the refunds call for, or None."""
    if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED) and fully_refunded(order, records):
        return OrderStatus.REFUNDED
    return None
