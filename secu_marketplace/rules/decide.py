"""Deciding what a provider answer changes: pure functions, no database, no clock of their own.

``sync.apply`` gathers the current state under the write path's locks (``Current``), reads the
answer's facts (``Seen``), asks ``decide`` what changes, and writes the ``Decision`` through
``ledger``. Keeping the decision pure lets ``tests/app/test_decide.py`` run thousands of
snapshot sequences through it with hypothesis: no sequence moves an order backwards, pays it
twice, or loses a refund.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from secu_marketplace.rules.statuses import (
    MONEY,
    ORDER_STATUS_FOR_STX,
    AttemptState,
    OrderStatus,
    attempt_state_for_stx,
)

# Smart Transaction statuses after which nothing more happens on it without money.
ENDED_STX = ("failed", "cancelled")
# Smart Transaction statuses that mean money is authorised, on its way, or secured.
MONEY_STX = frozenset(
    {"approved", "pending", "ok", "received", "collection", "shipped", "collected"}
)


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


@dataclass(frozen=True)
class Seen:
    """The facts of one provider answer that the decision needs."""

    status: str
    updated: datetime | None


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


def decide(current: Current, seen: Seen, *, now: datetime) -> Decision:
    stale = current.provider_updated is not None and (seen.updated or now) < (
        current.provider_updated
    )
    status = current.provider_status if stale else seen.status
    abandoned = current.attempt_state == AttemptState.CLOSED
    state = current.attempt_state
    if not stale:
        # A mismatch stays one; an attempt we closed stays closed until money shows up on it
        # (aborted, it reads "created", "cancelled" or "failed", depending on the host).
        keep = state == AttemptState.MISMATCH or (
            abandoned and seen.status in ("created", *ENDED_STX)
        )
        if not keep:
            state = attempt_state_for_stx(seen.status)
    target = order_target(current, status, abandoned=abandoned)
    reason = ""
    if target == OrderStatus.NEEDS_REVIEW:
        reason = "paid twice"
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
    if status == "created":
        if current.order_status in MONEY:
            return None  # "created" after money moved is stale news, whatever its timestamp
        word: dict[str, str] = {"abort": OrderStatus.ABORTED, "error": OrderStatus.FAILED}
        target: str | None = word.get(current.returned_via)
        if target is None:
            # "success" (or no word at all) over a Smart Transaction still "created" says
            # nothing happened: it never moves an order back from aborted or failed.
            if current.order_status != OrderStatus.NEW:
                return None
            target = OrderStatus.AWAITING_PAYMENT
    else:
        target = ORDER_STATUS_FOR_STX.get(status)
    if target is None:
        return None  # a status we do not know: kept on the attempt, the order waits
    if target in MONEY:
        # Money moved on this attempt; if it moved on another one too, the buyer paid twice.
        return OrderStatus.NEEDS_REVIEW if current.others_with_money else target
    return target if current.latest else None


# --- refund records ----------------------------------------------------------------------------

REFUND_DONE = "done"
REFUND_FAILED = "failed"
REFUND_PENDING = "pending"


def refund_state(current: str, reported: str) -> str:
    """A refund record's next state when secuconnect reports its transaction as ``reported``.
    Done is final: money that went back to the buyer is never un-refunded by a later (or
    older, reordered) answer."""
    if current == REFUND_DONE:
        return REFUND_DONE
    return reported
