"""``sync_attempt``: the one function every entry point calls to learn an attempt's state.

The return pages, the push endpoint, the admin's refresh and ``secu_sync`` all come here. It

1. fetches the Smart Transaction and its Payment Transactions, outside any lock (reconciliation
   stops after the Smart Transaction when it reads exactly as stored: ``stop_if_unchanged``);
2. checks the answer belongs to this attempt (``snapshots.verify``): a mismatch sends the order
   to ``needs_review`` and never pays it;
3. applies it in one short transaction holding the order's and the attempt's row locks, moving
   the order only along ``statuses.TRANSITIONS``, writing one ``StatusEvent`` per real change and
   sending signals after commit.

An answer older than the one already applied (two syncs crossing) changes nothing; a duplicate
changes nothing either. So return, push and reconciliation may race freely.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from secu_marketplace import ledger
from secu_marketplace.exceptions import NotAllowed, NotFound, SecuconnectError
from secu_marketplace.models import (
    CheckoutAttempt,
    Order,
    PaymentTransaction,
    StatusEvent,
    SubBasket,
)
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.payloads import load_parts
from secu_marketplace.provider.reads import Snapshot, fetch, read_payments, verify
from secu_marketplace.redaction import redact
from secu_marketplace.rules.decide import MONEY_STX, Current, Seen, decide
from secu_marketplace.rules.statuses import (
    AttemptState,
    OrderStatus,
    PaymentRole,
    Simple,
)
from secu_marketplace.services import refund_records
from secu_marketplace.services.lost_create import resolve_unknown

logger = logging.getLogger(__name__)

Event = StatusEvent.Subject


@dataclass
class SyncResult:
    attempt: CheckoutAttempt
    order: Order
    reachable: bool = True
    changed: bool = False
    error: SecuconnectError | None = None
    problems: list[str] = field(default_factory=list)
    # The order's Payment Transactions as this sync stored them (empty when nothing was read).
    payments: list[PaymentTransaction] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.order.status)


def sync_attempt(
    attempt: CheckoutAttempt,
    *,
    source: str,
    returned_via: str = "",
    client: SecuconnectClient | None = None,
    stop_if_unchanged: bool = False,
) -> SyncResult:
    """Bring ``attempt`` (and its order) up to date with secuconnect. Never raises for the
    provider being unreachable: the result says ``reachable=False`` and nothing changed.

    ``stop_if_unchanged`` (reconciliation): when the Smart Transaction reads exactly as the one
    stored with the attempt, that one call is all: its Payment Transactions are not read and
    nothing is written. A payment that moves shows on its Smart Transaction (status, ``updated``,
    the transactions it lists), so only a change there is worth the further reads."""
    client = client or SecuconnectClient()
    if not attempt.stx_id:
        attempt = resolve_unknown(attempt, client=client)
        if not attempt.stx_id:
            order = Order.objects.get(pk=attempt.order_id)
            return SyncResult(
                attempt=attempt, order=order, reachable=attempt.state != AttemptState.UNKNOWN
            )
    fetched_at = timezone.now()
    try:
        snap = fetch(client, attempt.stx_id, payments=False)
        if stop_if_unchanged and _unchanged(attempt, snap):
            return SyncResult(attempt=attempt, order=_order_of(attempt))
        read_payments(client, snap)
    except (NotFound, NotAllowed) as error:
        # Our own id is unknown to secuconnect: nothing we can trust, so a human looks. Whether
        # the real API answers an id it does not show us with 404 or with 403
        # ProductNotAllowedException is undecided (docs/provider.md, "Undecided"): both mean
        # the same here. (A 403 that is about the token, code 2003, never gets this far: the
        # client re-authenticates, and a refused new token is an AuthenticationError.)
        return apply(attempt, None, source=source, returned_via=returned_via, lost=error)
    except SecuconnectError as error:  # unreachable, or an answer we cannot use: nothing changes
        _note_error(attempt, error)
        order = Order.objects.get(pk=attempt.order_id)
        return SyncResult(attempt=attempt, order=order, reachable=False, error=error)
    return apply(attempt, snap, source=source, returned_via=returned_via, fetched_at=fetched_at)


def _unchanged(attempt: CheckoutAttempt, snap: Snapshot) -> bool:
    """Whether ``snap`` says nothing the attempt does not already hold: the same answer (as
    stored, redacted) applied without error. A stored error or any other state is re-applied
    in full, so that the full read clears or settles it."""
    return (
        attempt.state in (AttemptState.OPEN, AttemptState.SETTLED)
        and not attempt.last_error
        and attempt.snapshot is not None
        and attempt.snapshot == redact(snap.stx.raw)
    )


def _order_of(attempt: CheckoutAttempt) -> Order:
    # secu_sync's claim loads the order with the attempt: no second query then.
    if CheckoutAttempt.order.is_cached(attempt):
        return attempt.order
    return Order.objects.get(pk=attempt.order_id)


def _note_error(attempt: CheckoutAttempt, error: SecuconnectError) -> None:
    logger.warning("could not sync %s: %s", attempt, error)
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(
        last_error=error.as_dict(), updated=timezone.now()
    )


def _upsert_payments(
    writer: ledger.Writer,
    attempt: CheckoutAttempt,
    subs: dict[str, SubBasket],
    snap: Snapshot,
    existing: dict[str, PaymentTransaction],
) -> list[PaymentTransaction]:
    """Store every Payment Transaction of the answer in a fixed number of queries (however many
    sub-baskets), with one timeline event per new transaction or changed status. ``existing``
    is the order's rows by PCI id, read once by ``apply``; new rows are added to it."""
    order = writer.order
    listed = {entry.id: entry for entry in snap.stx.transactions}
    new_rows: list[PaymentTransaction] = []
    changed_rows: list[PaymentTransaction] = []
    # Leading and sub-transactions first, so refunds find the rows they point at.
    ordered = [pid for pid in snap.payments if pid not in snap.refund_parents] + list(
        snap.refund_parents
    )
    for pci_id in ordered:
        data = snap.payments[pci_id]
        entry = listed.get(pci_id)
        reference = (entry.reference_id if entry else "") or data.reference_id
        if pci_id in snap.refund_parents:
            role = PaymentRole.REFUND
        else:
            role = PaymentRole.SUB if reference else PaymentRole.LEADING
        fields: dict[str, Any] = {
            "role": role,
            "parent": existing.get(snap.refund_parents.get(pci_id, "")),
            "sub_basket": subs.get(reference) if role != PaymentRole.LEADING else None,
            "trans_id": (entry.trans_id if entry else None) or data.trans_id,
            "transaction_hash": (
                (entry.transaction_hash if entry else "") or data.transaction_hash
            )[:80],
            "reference_id": reference[:50],
            "status_simple": data.status_simple,
            "status_simple_text": data.status_simple_text[:40],
            "status": data.status,
            "status_text": data.status_text[:80],
            "amount": data.amount,
            "currency": data.currency[:3],
            "snapshot": redact(data.raw),
            "provider_updated": data.updated,
        }
        if role == PaymentRole.SUB and fields["sub_basket"] is None:
            continue  # verify() has already flagged it; a row would break the model's rules
        row = existing.get(pci_id)
        before = ""
        if row is None:
            row = PaymentTransaction(attempt=attempt, order=order, pci_id=pci_id, **fields)
            existing[pci_id] = row
            new_rows.append(row)
        else:
            newer = fields["provider_updated"]
            if row.provider_updated and newer and newer < row.provider_updated:
                continue  # an older answer than the one we hold
            if _same(row, fields):
                continue  # the answer repeats what we hold (a push after the return page)
            before = row.status_label
            for name, value in fields.items():
                setattr(row, name, value)
            changed_rows.append(row)
            if row.status_label == before:
                continue
        writer.note(
            Event.PAYMENT,
            row.status_label,
            from_status=before,
            attempt=attempt,
            detail={"pci": pci_id, "role": role, "reference_id": reference, "amount": row.amount},
        )
    # Refunds last: their parent may be created in the same answer and needs its key first.
    PaymentTransaction.objects.bulk_create([r for r in new_rows if r.role != PaymentRole.REFUND])
    refunds = [r for r in new_rows if r.role == PaymentRole.REFUND]
    for row in refunds:
        row.parent = existing.get(snap.refund_parents.get(row.pci_id, ""))
    PaymentTransaction.objects.bulk_create(refunds)
    if changed_rows:
        now = timezone.now()
        for row in changed_rows:
            row.updated = now
        PaymentTransaction.objects.bulk_update(changed_rows, [*UPSERT_FIELDS, "updated"])
    return new_rows + changed_rows


def _same(row: PaymentTransaction, fields: dict[str, Any]) -> bool:
    """Whether ``row`` already holds ``fields`` (relations compared by key, never loaded)."""
    for name, value in fields.items():
        if name in ("parent", "sub_basket"):
            if getattr(row, f"{name}_id") != (value.pk if value is not None else None):
                return False
        elif getattr(row, name) != value:
            return False
    return True


UPSERT_FIELDS = (
    "role",
    "parent",
    "sub_basket",
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


def apply(
    attempt: CheckoutAttempt,
    snap: Snapshot | None,
    *,
    source: str,
    returned_via: str = "",
    lost: SecuconnectError | None = None,
    fetched_at: datetime | None = None,
) -> SyncResult:
    """Apply a fetched answer through the write path (order, attempt and refund locks).

    Each row is read once here and handed down: the sub-baskets (with their suppliers, kept on
    the order for the payment page and the signal receivers), the order's Payment
    Transactions (for the upsert, the void check and the refund records), the locked refunds."""
    with ledger.locked(
        attempt.order_id, attempt_id=attempt.pk, source=source, refunds=True
    ) as writer:
        order = writer.order
        attempt = writer.locked_attempt
        # Without their items: verify needs none, and a page that shows them adds one query.
        subs = {s.reference_id: s for s in load_parts(order, items=False)}
        payments = {p.pci_id: p for p in PaymentTransaction.objects.filter(order=order)}
        before = _order_fields(order)
        now = timezone.now()
        attempt.last_synced_at = now
        if returned_via:
            attempt.returned_via = returned_via
            attempt.returned_at = now
        if snap is None:
            problems = [f"secuconnect does not know {attempt.stx_id} ({lost})"]
        else:
            problems = verify(attempt, order, subs, snap)
        if problems:
            reason = "; ".join(problems)
            logger.error("order %s needs review: %s", order.reference, reason)
            attempt.state = AttemptState.MISMATCH
            attempt.last_error = {"problems": problems}
            if writer.move(OrderStatus.NEEDS_REVIEW, detail={"problems": problems}):
                order.review_reason = reason
            if snap is not None:
                attempt.snapshot = redact(snap.stx.raw)
                _upsert_payments(writer, attempt, subs, snap, payments)
            attempt.save()
            if _order_fields(order) != before:
                writer.changed_order()
            return SyncResult(
                attempt=attempt,
                order=order,
                changed=writer.moved,
                problems=problems,
                payments=list(payments.values()),
            )

        if snap is None:  # unreachable: a missing answer is always a problem above
            raise RuntimeError("no snapshot to apply")
        seen = Seen(status=snap.status, updated=snap.stx.updated)
        stale = attempt.provider_updated is not None and (seen.updated or now) < (
            attempt.provider_updated
        )
        if not stale:
            # The answer's own rows first: whether the payment is void is read from them.
            _upsert_payments(writer, attempt, subs, snap, payments)
        decision = decide(_current(order, attempt, payments.values()), seen, now=now)
        if not decision.stale:
            if snap.status != attempt.provider_status:
                writer.note(
                    Event.ATTEMPT,
                    snap.status,
                    from_status=attempt.provider_status,
                    detail={"stx": attempt.stx_id},
                )
            attempt.provider_status = snap.status
            attempt.provider_updated = seen.updated or attempt.provider_updated
            attempt.snapshot = redact(snap.stx.raw)
            attempt.last_error = None
            attempt.state = decision.attempt_state
            attempt.payment_method = snap.stx.payment_method or attempt.payment_method
            attempt.trans_id = snap.stx.trans_id or attempt.trans_id
        if decision.review_reason:
            order.review_reason = (
                f"paid twice: {attempt.stx_id} and an earlier attempt both hold money"
            )
        if decision.order_target is not None:
            writer.move(
                decision.order_target, detail={"stx": attempt.stx_id, "stx_status": decision.status}
            )
        if decision.governs and not decision.stale:
            order.payment_method = attempt.payment_method or order.payment_method
            order.trans_id = attempt.trans_id or order.trans_id
            if snap.stx.payment_instructions:
                order.payment_instructions = snap.stx.payment_instructions
        attempt.save()
        finished = refund_records.reconcile(
            writer, fetched_at=fetched_at, payments=list(payments.values())
        )
        if refund_records.after_refunds(order, writer.refunds):
            writer.move(OrderStatus.REFUNDED, detail={})
        if _order_fields(order) != before:
            writer.changed_order()
    return SyncResult(
        attempt=attempt,
        order=order,
        changed=writer.moved or bool(finished),
        payments=list(payments.values()),
    )


def _order_fields(order: Order) -> tuple[Any, ...]:
    """The order's fields a sync may change besides its status (the write path saves that)."""
    return (order.review_reason, order.payment_method, order.trans_id, order.payment_instructions)


def _current(
    order: Order, attempt: CheckoutAttempt, payments: Iterable[PaymentTransaction]
) -> Current:
    """The state ``decide`` needs, read under the write path's locks: the other attempts in one
    query, the payment rows from those ``apply`` read and just stored."""
    others = order.attempts.exclude(pk=attempt.pk).aggregate(
        later=Count("pk", filter=Q(number__gt=attempt.number)),
        money=Count(
            "pk", filter=Q(state=AttemptState.SETTLED, provider_status__in=list(MONEY_STX))
        ),
    )
    return Current(
        order_status=order.status,
        attempt_state=attempt.state,
        provider_status=attempt.provider_status,
        provider_updated=attempt.provider_updated,
        returned_via=attempt.returned_via,
        latest=not others["later"],
        others_with_money=bool(others["money"]),
        voided=any(
            p.attempt_id == attempt.pk
            and p.role == PaymentRole.LEADING
            and p.status_simple == Simple.VOID
            for p in payments
        ),
    )
