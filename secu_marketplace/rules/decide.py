"""Deciding what a provider answer changes: pure functions, no database, no clock of their own.

``services.sync`` reads an attempt's answer from secuconnect, the ledger gathers what it holds
for the order under its locks (``Held``), and ``plan`` decides everything the answer changes at
once: whether it is this attempt's at all (``rules.verify``), whether it is older than what is
held (decided here, once), the Payment Transaction rows to write (``rules.rows``), the refund
records' changes (``rules.refunds``), the attempt's state, where the order should go and why.
The ledger then commits that ``Plan`` as it is (``ledger.commit``).

``decide`` is the order's and the attempt's part of it. Keeping it pure lets
``tests/app/test_decide.py`` run thousands of answer sequences through it with hypothesis: no
sequence moves an order backwards, pays it twice, or loses a refund.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from secu_marketplace.redaction import redact
from secu_marketplace.rules import refunds, rows, verify
from secu_marketplace.rules.facts import Facts
from secu_marketplace.rules.payments import Simple
from secu_marketplace.rules.plans import Event, Move, Plan
from secu_marketplace.rules.statuses import (
    ENDED_STX,
    MONEY,
    MONEY_STX,
    ORDER_STATUS_FOR_STX,
    AttemptState,
    OrderStatus,
    PaymentRole,
    StxStatus,
    attempt_state_for_stx,
    can_move,
)

if TYPE_CHECKING:
    from secu_marketplace.models import (
        CheckoutAttempt,
        Order,
        PaymentTransaction,
        Refund,
        SubBasket,
    )
    from secu_marketplace.provider.answers import Snapshot

ATTEMPT_EVENT = "attempt"  # StatusEvent.Subject.ATTEMPT
REFUNDED_FROM = frozenset({OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.SHIPPED})
# Where a resolved dispute may take an order, lowest first.
RESOLVED_RANK: dict[str, int] = {
    OrderStatus.CONFIRMED: 0,
    OrderStatus.PAID: 1,
    OrderStatus.SHIPPED: 2,
}


@dataclass(frozen=True)
class Current:
    """What we hold for the order and the attempt being synced."""

    order_status: str
    attempt_state: str
    provider_status: str
    provider_updated: datetime | None
    returned_via: str  # how the buyer last came back: "success", "error", "abort" or ""
    latest: bool  # no newer attempt exists for the order
    others_with_money: bool  # another attempt of the order holds money
    voided: bool  # the attempt's leading payment is void (after this answer's payments)
    stx_id: str = ""
    method: str = ""  # the payment method, as this answer leaves it
    buyer_paid: bool = False  # the buyer's money arrived (rules.payments.payer_has_paid)
    in_issue: bool = False  # a part's money came back (rules.disputes)
    everything_shipped: bool = False  # every part shipped, or has nothing left to ship
    before_dispute: str = ""  # where a disputed order was before the dispute


@dataclass(frozen=True)
class Seen:
    """The facts of one provider answer that the decision needs."""

    status: str
    updated: datetime | None
    older: bool = False  # asked for before the answer applied (``read_before``)


@dataclass(frozen=True)
class Decision:
    stale: bool  # older than what we hold: the attempt keeps its status
    status: str  # the Smart Transaction status that governs the order
    attempt_state: str
    order_target: str | None  # where the order should move (the transition table still rules)
    review_reason: str = ""

    @property
    def governs(self) -> bool:
        """Whether this attempt's payment details speak for the order."""
        return self.order_target is not None and self.order_target != OrderStatus.NEEDS_REVIEW


def is_stale(held: datetime | None, seen: datetime | None, *, now: datetime) -> bool:
    """An answer older than the one already applied (two syncs crossing) changes nothing; one
    without a time counts as now."""
    return held is not None and (seen or now) < held


def read_before(held_read: datetime | None, seen_read: datetime | None) -> bool:
    """Whether an answer was asked for before the one applied: older too, whatever its time
    says (secuconnect's times are whole seconds: a chargeback and its resolution in one second
    look alike)."""
    return held_read is not None and seen_read is not None and seen_read < held_read


def decide(current: Current, seen: Seen, *, now: datetime) -> Decision:
    stale = seen.older or is_stale(current.provider_updated, seen.updated, now=now)
    status = current.provider_status if stale else seen.status
    abandoned = current.attempt_state == AttemptState.CLOSED
    state = current.attempt_state
    if not stale:
        # A mismatch stays one; an attempt we closed stays closed until money shows up on it
        # (aborted, it reads "created", "cancelled" or "failed", depending on the host).
        keep = state == AttemptState.MISMATCH or (
            abandoned and seen.status in (StxStatus.CREATED, *ENDED_STX)
        )
        if not keep:
            state = attempt_state_for_stx(seen.status)
    target = order_target(current, status, abandoned=abandoned)
    reason = ""
    if target == OrderStatus.NEEDS_REVIEW:
        reason = f"paid twice: {current.stx_id} and an earlier attempt both hold money"
    return Decision(
        stale=stale, status=status, attempt_state=state, order_target=target, review_reason=reason
    )


def order_target(current: Current, status: str, *, abandoned: bool) -> str | None:
    """The order status this Smart Transaction status asks for, or None to leave the order.
    ``abandoned``: we closed the attempt ourselves before this answer (superseded it)."""
    if status in ENDED_STX and abandoned:
        return None  # a newer attempt replaced this one: its end is not the order's
    if status in ENDED_STX and current.voided:
        # Voided (by staff or secuconnect): whether the Smart Transaction then reads
        # "cancelled" or "failed" is undecided; either way the buyer must not pay again.
        return OrderStatus.CANCELLED
    if status == StxStatus.CREATED:
        target = _created_target(current)
    else:
        target = ORDER_STATUS_FOR_STX.get(status)
    if target is None:
        return None  # a status we do not know: kept on the attempt, the order waits
    if target in MONEY:
        # Money moved on this attempt; if it moved on another one too, the buyer paid twice.
        return OrderStatus.NEEDS_REVIEW if current.others_with_money else _refined(current, target)
    return target if current.latest else None


def _refined(current: Current, target: str) -> str:
    """What the payment's rows add to the Smart Transaction's word: an invoice is "confirmed"
    until its buyer pays it; money that came back makes the order "disputed"; once resolved,
    it goes back to shipped (every part is), cancelled (the payment is void), or the target."""
    if target == OrderStatus.PAID and current.method == "invoice" and not current.buyer_paid:
        target = OrderStatus.CONFIRMED
    if current.in_issue:
        return OrderStatus.DISPUTED
    if current.order_status == OrderStatus.DISPUTED:
        if current.voided:
            return OrderStatus.CANCELLED
        if current.everything_shipped:
            return OrderStatus.SHIPPED
        # Never below where it was: a paid invoice whose issue is resolved is paid again,
        # whatever its simple status now says.
        return max(target, current.before_dispute, key=lambda s: RESOLVED_RANK.get(s, -1))
    return target


def _created_target(current: Current) -> str | None:
    if current.order_status in MONEY:
        return None  # "created" after money moved is stale news, whatever its timestamp
    word: dict[str, str] = {"abort": OrderStatus.ABORTED, "error": OrderStatus.FAILED}
    target = word.get(current.returned_via)
    if target is None:
        # "success" (or no word at all) over a Smart Transaction still "created" says nothing
        # happened: it never moves an order back from aborted or failed.
        return OrderStatus.AWAITING_PAYMENT if current.order_status == OrderStatus.NEW else None
    return target


# --- the whole plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """What the ledger holds for the order and the attempt being synced, read under its locks
    (nothing here is read again; a plan needs no query)."""

    order: Order
    attempt: CheckoutAttempt
    subs: Mapping[str, SubBasket]  # by reference id
    payments: Mapping[str, PaymentTransaction]  # every row of the order, by PCI id
    refunds: Sequence[Refund]  # every refund record of the order
    attempts: Sequence[tuple[int, int, str, str]]  # (pk, number, state, provider status)
    before_dispute: str = ""  # a disputed order's status before the dispute


@dataclass(frozen=True)
class When:
    now: datetime
    fetched_at: datetime | None  # when the answer was asked for
    landing_window: float  # seconds a call may still land at secuconnect after it was sent


def plan(
    held: Held, snap: Snapshot | None, when: When, *, returned_via: str = "", lost: str = ""
) -> Plan:
    """Everything ``snap`` (None: secuconnect does not know the attempt's id, ``lost`` says
    how) changes for the order."""
    attempt = held.attempt
    base: dict[str, Any] = {"last_synced_at": when.now}
    if returned_via:
        base.update(returned_via=returned_via, returned_at=when.now)
        attempt_returned = returned_via
    else:
        attempt_returned = attempt.returned_via
    if snap is None:
        return _mismatch(held, None, [f"secuconnect does not know {attempt.stx_id} ({lost})"], base)
    found = verify.problems(attempt, held.order, held.subs, snap)
    if found:
        return _mismatch(held, snap, found, base)
    seen = Seen(snap.status, snap.stx.updated, read_before(attempt.answer_read_at, when.fetched_at))
    stale = seen.older or is_stale(attempt.provider_updated, seen.updated, now=when.now)
    if not stale:
        base["answer_read_at"] = when.fetched_at
    writes = [] if stale else rows.plan_payments(attempt, held.subs, snap, held.payments)
    before = rows.rows_of(held.payments.values())
    after = rows.rows_after(before, writes)
    pci_of = {row.pk: pci for pci, row in held.payments.items()}
    facts = Facts.of(held, before, after, snap.stx.payment_method, pci_of)
    current = replace(_current(held, after, attempt_returned), **facts.for_order())
    decision = decide(current, seen, now=when.now)
    fields, events = _attempt_change(attempt, snap, decision)
    order = _order_change(held.order, decision, snap)
    speaks = decision.governs and not decision.stale
    refund_writes, records = refunds.plan_refunds(
        held.refunds,
        after,
        pci_of,
        currency=held.order.currency,
        fetched_at=when.fetched_at,
        landing_window=when.landing_window,
    )
    moves = _moves(held, decision, fields, after, records)
    return Plan(
        attempt={**base, **fields},
        payments=tuple(writes),
        refunds=tuple(refund_writes),
        order_moves=moves,
        order=order,
        review_reason=decision.review_reason,
        events=tuple(events),
        stale=decision.stale,
        disputes=tuple(facts.dispute_writes(held.subs.values(), attempt.stx_id) if speaks else ()),
        invoice_paid=speaks and facts.invoice_paid,
    )


def _current(held: Held, after: Mapping[str, rows.Row], returned_via: str) -> Current:
    attempt = held.attempt
    others = [a for a in held.attempts if a[0] != attempt.pk]
    return Current(
        order_status=held.order.status,
        attempt_state=attempt.state,
        provider_status=attempt.provider_status,
        provider_updated=attempt.provider_updated,
        returned_via=returned_via,
        latest=not any(number > attempt.number for _pk, number, _s, _p in others),
        others_with_money=any(
            state == AttemptState.SETTLED and status in MONEY_STX
            for _pk, _n, state, status in others
        ),
        before_dispute=held.before_dispute,
        voided=any(
            row.attempt_id == attempt.pk
            and row.role == PaymentRole.LEADING
            and row.status_simple == Simple.VOID
            for row in after.values()
        ),
        stx_id=str(attempt.stx_id or ""),
    )


def _attempt_change(
    attempt: CheckoutAttempt, snap: Snapshot, decision: Decision
) -> tuple[dict[str, Any], list[Event]]:
    if decision.stale:
        return {}, []
    events = []
    if snap.status != attempt.provider_status:
        detail = {"stx": attempt.stx_id}
        events.append(Event(ATTEMPT_EVENT, snap.status, attempt.provider_status, detail))
    fields = {
        "provider_status": snap.status,
        "provider_updated": snap.stx.updated or attempt.provider_updated,
        "snapshot": redact(snap.stx.raw),
        "last_error": None,
        "state": decision.attempt_state,
        "payment_method": snap.stx.payment_method or attempt.payment_method,
        "trans_id": snap.stx.trans_id or attempt.trans_id,
    }
    return fields, events


def _order_change(order: Order, decision: Decision, snap: Snapshot) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if decision.governs and not decision.stale:
        fields["payment_method"] = snap.stx.payment_method or order.payment_method
        fields["trans_id"] = snap.stx.trans_id or order.trans_id
        if snap.stx.payment_instructions:
            fields["payment_instructions"] = snap.stx.payment_instructions
    return {name: value for name, value in fields.items() if getattr(order, name) != value}


def _moves(
    held: Held,
    decision: Decision,
    attempt_fields: Mapping[str, Any],
    after: Mapping[str, rows.Row],
    records: list[tuple[str, str, int]],
) -> tuple[Move, ...]:
    """Where the order goes: as the answer says, then "refunded" when refunds took it all."""
    status = held.order.status
    moves: list[Move] = []
    if decision.order_target is not None:
        detail = {"stx": held.attempt.stx_id, "stx_status": decision.status}
        moves.append(Move(decision.order_target, detail))
        if can_move(status, decision.order_target):
            status = decision.order_target
    leading = _paying_leading(held, attempt_fields, after)
    if status in REFUNDED_FROM and refunds.fully_refunded(records, leading):
        moves.append(Move(OrderStatus.REFUNDED))
    return tuple(moves)


def _paying_leading(
    held: Held, attempt_fields: Mapping[str, Any], after: Mapping[str, rows.Row]
) -> rows.Row | None:
    """The leading transaction of the newest settled attempt, as the plan leaves them."""
    states = {pk: state for pk, _number, state, _status in held.attempts}
    states[held.attempt.pk] = attempt_fields.get("state", held.attempt.state)
    settled = sorted(
        (number, pk)
        for pk, number, _state, _status in held.attempts
        if states[pk] == AttemptState.SETTLED
    )
    if not settled:
        return None
    newest = settled[-1][1]
    return next(
        (r for r in after.values() if r.attempt_id == newest and r.role == PaymentRole.LEADING),
        None,
    )


def _mismatch(held: Held, snap: Snapshot | None, found: list[str], base: dict[str, Any]) -> Plan:
    """The answer is not this attempt's: a human looks, nothing is paid. Its rows are still
    stored (staff see what came), the order goes to review."""
    fields: dict[str, Any] = {
        **base,
        "state": AttemptState.MISMATCH,
        "last_error": {"problems": found},
    }
    writes: tuple = ()
    if snap is not None:
        fields["snapshot"] = redact(snap.stx.raw)
        writes = tuple(rows.plan_payments(held.attempt, held.subs, snap, held.payments))
    return Plan(
        attempt=fields,
        payments=writes,
        order_moves=(Move(OrderStatus.NEEDS_REVIEW, {"problems": found}),),
        problems=tuple(found),
        review_reason="; ".join(found),
        events=(),
    )
