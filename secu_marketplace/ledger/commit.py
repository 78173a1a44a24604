"""A provider answer's ``Plan``, written as it was decided: ``gather`` reads what the write holds
(under its locks), ``commit`` writes the plan. Every row is read once here and handed down."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from secu_marketplace.models import PaymentTransaction, Refund, StatusEvent, load_parts
from secu_marketplace.rules.decide import Held
from secu_marketplace.rules.plans import Event, PaymentWrite, Plan, RefundWrite
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole, RefundKind

from .deadlines import stamp
from .writer import Writer

# The fields of a Payment Transaction a plan writes (bulk_update needs their names).
PAYMENT_FIELDS = (
    "role",
    "sub_basket_id",
    "trans_id",
    "transaction_hash",
    "reference_id",
    "status_simple",
    "status_simple_text",
    "status",
    "status_text",
    "amount",
    "currency",
    "snapshot",
    "provider_updated",
)


def gather(w: Writer) -> Held:
    """What a plan needs, read once under the write's locks (order, attempt, the order's
    Payment Transaction rows and refund records: ``locked(payments=True, refunds=True)``): the
    sub-baskets with their suppliers and lines (one query; kept on the order for the pages and
    the receivers) and every attempt's number and state (no query when the lock found the
    attempt is the order's only one)."""
    order, attempt = w.order, w.locked_attempt
    subs = {sub.reference_id: sub for sub in load_parts(order)}
    if w.other_attempts:
        attempts = list(order.attempts.values_list("pk", "number", "state", "provider_status"))
    else:
        attempts = [(attempt.pk, attempt.number, attempt.state, attempt.provider_status)]
    before = ""
    if order.status == OrderStatus.DISPUTED:
        # Where it was before the dispute: a resolution never takes it below that.
        moves = StatusEvent.objects.filter(
            order=order, subject=StatusEvent.Subject.ORDER, to_status=OrderStatus.DISPUTED
        )
        before = moves.order_by("-pk").values_list("from_status", flat=True).first() or ""
    return Held(
        order=order,
        attempt=attempt,
        subs=subs,
        payments={row.pci_id: row for row in w.payments},
        refunds=list(w.refunds),
        attempts=attempts,
        before_dispute=before,
    )


def commit(w: Writer, plan: Plan) -> None:
    """Write ``plan``: the attempt, its Payment Transaction rows, the refund records, the
    order's moves and fields, one event per change; signals after commit (``Writer``)."""
    attempt = w.locked_attempt
    w.set_attempt(attempt, **plan.attempt)
    _events(w, plan.events)
    rows = _payments(w, plan.payments)
    _refunds(w, plan.refunds, rows)
    w.set_order(**plan.order)
    for move in plan.order_moves:
        moved = w.move(move.target, detail=move.detail)
        if moved and move.target == OrderStatus.NEEDS_REVIEW and plan.review_reason:
            w.set_order(review_reason=plan.review_reason)
    parts = {sub.pk: sub for sub in load_parts(w.order, items=False)}
    for write in plan.disputes:
        w.set_dispute(parts[write.sub_basket_id], write.state, detail=write.event.detail)
    if plan.invoice_paid:
        leading = next(
            (
                r
                for r in rows.values()
                if r.attempt_id == attempt.pk and r.role == PaymentRole.LEADING
            ),
            None,
        )
        w.news.invoice_paid = int(leading.amount or 0) if leading is not None else 0
    stamp(w)


def _events(w: Writer, events: Iterable[Event | None]) -> None:
    for event in events:
        if event is not None:
            w.note(
                event.subject, event.to_status, from_status=event.from_status, detail=event.detail
            )


def _payments(w: Writer, writes: tuple[PaymentWrite, ...]) -> dict[str, PaymentTransaction]:
    """Insert and update the rows in a fixed number of queries, whatever the basket's size;
    returns every row of the order by PCI id (new ones with their keys)."""
    rows = {row.pci_id: row for row in w.payments}
    new: list[PaymentTransaction] = []
    changed: list[PaymentTransaction] = []
    for write in writes:
        row = rows.get(write.pci_id)
        if row is None:
            row = PaymentTransaction(order=w.order, pci_id=write.pci_id, **write.fields)
            rows[write.pci_id] = row
            new.append(row)
        else:
            for name, value in write.fields.items():
                setattr(row, name, value)
            changed.append(row)
    parents = {write.pci_id: write.parent for write in writes}
    # Refunds last: the rows they refund may be new in this same plan and need their keys.
    PaymentTransaction.objects.bulk_create([row for row in new if not parents.get(row.pci_id)])
    for row in new + changed:
        parent = rows.get(parents.get(row.pci_id, ""))
        row.parent_id = parent.pk if parent is not None else row.parent_id
    PaymentTransaction.objects.bulk_create([row for row in new if parents.get(row.pci_id)])
    if changed:
        PaymentTransaction.objects.bulk_update(changed, [*PAYMENT_FIELDS, "parent_id", "updated"])
    _events(w, (write.event for write in writes))
    w.payments = list(rows.values())
    return rows


def _refunds(
    w: Writer, writes: tuple[RefundWrite, ...], rows: dict[str, PaymentTransaction]
) -> None:
    records = {record.pk: record for record in w.refunds}
    for write in writes:
        refund_row = rows.get(write.refund_pci) if write.refund_pci else None
        if write.record is None:
            record = _external(w, write, rows, refund_row)
            moved = True  # recorded now, in the state secuconnect reports
        else:
            record = records[write.record]
            link: dict[str, Any] = {}
            if refund_row is not None:
                link = {"refund_transaction_id": refund_row.pk, "refund_pci_id": refund_row.pci_id}
            moved = w.set_refund(record, write.state, **link)
        if moved:
            _events(w, [write.event])
            if write.done:
                w.refunded(record)


def _external(
    w: Writer,
    write: RefundWrite,
    rows: dict[str, PaymentTransaction],
    refund_row: PaymentTransaction | None,
) -> Refund:
    """A refund made outside this app (secuOffice), recorded as secuconnect shows it."""
    target = rows[write.target]
    record = Refund.objects.create(
        order=w.order,
        sub_basket_id=target.sub_basket_id,
        target=target,
        refund_transaction=refund_row,
        refund_pci_id=write.refund_pci,
        kind=RefundKind.REFUND,
        amount=write.amount,
        currency=write.currency,
        reason=write.reason,
        source="external",
        state=write.state,
    )
    w.refunds.append(record)
    return record
