"""The books' decisions, pure: what one supplier's part comes to (sold, fee, refunds,
chargeback, and the rest the supplier earns), whether a part is disputed, what happens to a held
part, and whether a buyer's data may be erased yet. No database, no HTTP: ``read/books.py``,
``services/holds.py`` and ``services/erasure.py`` act on these answers.

The part's figures follow one reading of secuconnect's payout breakdown (docs/provider.md,
"Payouts"; the sandbox pays out by the same rule, ``sandbox/payouts.py``):

- **sold**: the sub-transaction's amount once the buyer's money is secured (a part reduced
  before payment was sold for less);
- **fee**: the marketplace fee (the stakeholder payment); a reduction or refund sent with
  ``reduce_stakeholder_payment`` lowers it proportionately, rounded down as secuconnect's
  "proportionately" is read here;
- **refunded**: refunds secuconnect executed;
- **chargeback**: a part with an open or lost dispute (a chargeback or a returned debit, simple
  status 4 "issue", recorded on the sub-basket by ``rules.disputes``) has lost what was left of
  it after refunds; its fee is reversed (a resolved dispute, simple status 6, undoes both);
- **net**: sold - fee - refunded - chargeback, what the supplier earns from the part (it may be
  negative: a part refunded in full still pays its fee unless the refund reduced it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from secu_marketplace.rules.statuses import DisputeState, OrderStatus, RefundKind, RefundState

# Orders whose parts count as sold: the buyer's money is secured. An open invoice
# ("confirmed") is sold too: secupay bears the buyer's risk; a disputed order's parts were sold
# and its chargebacks are counted against them.
SOLD = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.DISPUTED,
        OrderStatus.REFUNDED,
    }
)


# Where an order can go after its money was secured: a lost chargeback (or money that stayed
# with the buyer) cancels it; money on two attempts sends it to review. Its parts stay sold
# when the money shows on them (``read.books``).
SOLD_BEFORE = frozenset({OrderStatus.CANCELLED, OrderStatus.NEEDS_REVIEW})


def disputed(dispute: str) -> bool:
    """A part whose dispute (``SubBasket.dispute``) is open: the money came back and the case is
    not decided. A resolved dispute ends that; a lost one is settled (the money stays gone)."""
    return dispute == DisputeState.OPEN


def charged_back(dispute: str) -> bool:
    """A part whose money the buyer's bank took back and has not returned: open or lost."""
    return dispute in (DisputeState.OPEN, DisputeState.LOST)


@dataclass(frozen=True)
class RefundFact:
    """A refund record as the figures need it: its kind, state, amount, whether it reduced the
    fee too, and when it was recorded."""

    kind: str
    state: str
    amount: int
    reduce_fee: bool
    created: datetime


@dataclass(frozen=True)
class FeeMove:
    """A change of the part's fee: the fee at sale (positive), a share returned with a refund or
    reversed on a chargeback (negative), and when."""

    amount: int
    at: datetime | None  # None: at the sale


@dataclass(frozen=True)
class PartFigures:
    sold: int
    fee: int
    refunded: int
    chargeback: int
    fee_moves: tuple[FeeMove, ...]

    @property
    def net(self) -> int:
        return self.sold - self.fee - self.refunded - self.chargeback


def _fee_after_reductions(sum_: int, fee: int, refunds: list[RefundFact]) -> int:
    """The fee once reductions before payment took their share (each reduction with the fee
    flag keeps ``fee * left // before``, as the amount shrinks)."""
    before = sum_
    for fact in refunds:
        if fact.kind != RefundKind.REDUCTION or fact.state != RefundState.DONE:
            continue
        after = max(before - fact.amount, 0)
        if fact.reduce_fee and before:
            fee = fee * after // before
        before = after
    return fee


def part_figures(
    *,
    sum_: int,
    amount: int,
    fee: int,
    refunds: Iterable[RefundFact],
    dispute: str,
    changed: datetime | None,
) -> PartFigures:
    """One sold part: ``sum_`` as ordered, ``amount`` its sub-transaction's amount as synced,
    ``fee`` the stakeholder payment sent, ``refunds`` its records (any order), the part's
    dispute state and when its sub-transaction last changed (a chargeback's date)."""
    ordered = sorted(refunds, key=lambda fact: fact.created)
    fee_left = min(_fee_after_reductions(sum_, fee, ordered), amount)
    moves = [FeeMove(fee_left, None)] if fee_left else []
    refunded = 0
    for fact in ordered:
        if fact.kind != RefundKind.REFUND or fact.state != RefundState.DONE:
            continue
        refunded += fact.amount
        if fact.reduce_fee and amount:
            returned = fee_left * fact.amount // amount
            if returned:
                moves.append(FeeMove(-returned, fact.created))
    fee_now = sum(move.amount for move in moves)
    chargeback = 0
    if charged_back(dispute):
        chargeback = max(amount - refunded, 0)
        if fee_now:
            moves.append(FeeMove(-fee_now, changed))
        fee_now = 0
    return PartFigures(
        sold=amount,
        fee=fee_now,
        refunded=refunded,
        chargeback=chargeback,
        fee_moves=tuple(moves),
    )


class MovementKind(StrEnum):
    """What a line of the books (and of the exports) records."""

    PAYMENT = "payment"  # a part sold: the buyer's money for one supplier's part
    REFUND = "refund"  # money returned to the buyer
    CHARGEBACK = "chargeback"  # what the buyer's bank took back (a dispute open or lost)
    FEE = "fee"  # the marketplace fee: taken at the sale, returned or reversed later
    PAYOUT = "payout"  # secuconnect paid a contract's payout account
    # What secupay kept from a payout for itself (its ``invoice_amount`` and ``misc_amount``):
    # no longer owed to the payout's owner.
    DEDUCTION = "deduction"


@dataclass(frozen=True)
class Movement:
    """One line of the books. ``amount`` is positive as its column shows it (a fee returned or
    reversed, and a payout clawed back, are negative)."""

    kind: MovementKind
    at: datetime
    amount: int
    currency: str
    supplier_id: int | None  # None: the marketplace's own contract, or not known
    owner: str  # "supplier", MARKETPLACE or UNASSIGNED
    order_reference: str = ""
    sub_basket: str = ""
    document: str = ""  # the order's reference, or the payout's purpose
    trans_id: int | None = None


# --- money held until delivery -------------------------------------------------------------


class HoldState(models.TextChoices):
    HELD = "held", _("held")
    RELEASED = "released", _("released")
    # Staff keep it (by hand, or because a refund or a dispute came inside the period): no
    # automatic release; staff may still release it.
    KEPT = "kept", _("kept by staff")
    # Nothing is left to pay out (the part was cancelled or refunded in full).
    CLOSED = "closed", _("nothing to pay out")


H = HoldState
HOLD_TRANSITIONS: dict[str, frozenset[str]] = {
    H.HELD: frozenset({H.RELEASED, H.KEPT, H.CLOSED}),
    H.KEPT: frozenset({H.RELEASED, H.CLOSED}),
    H.RELEASED: frozenset(),
    H.CLOSED: frozenset(),
}


class HoldPolicy(StrEnum):
    """A supplier's ``hold`` (empty: the ``HOLD_UNTIL_SHIPPED`` setting decides)."""

    SETTING = ""
    HOLD = "hold"
    RELEASE = "release"


def held_until_shipped(setting: bool, supplier_policy: str) -> bool:
    """Whether a supplier's parts wait for shipping and the hold period before release."""
    if supplier_policy == HoldPolicy.HOLD:
        return True
    if supplier_policy == HoldPolicy.RELEASE:
        return False
    return bool(setting)


class HoldDecision(StrEnum):
    WAIT = "wait"
    RELEASE = "release"
    KEEP = "keep"
    CLOSE = "close"


@dataclass(frozen=True)
class HoldFacts:
    """What decides a held part: its rule, shipping, the refunds and the sub-transaction."""

    until_shipped: bool
    days: int
    shipped_at: datetime | None
    refund_times: tuple[datetime, ...]  # refunds or reductions recorded (not failed)
    dispute: str  # the part's DisputeState
    spent: bool  # cancelled, denied or refunded in full: nothing left for the supplier
    # The part's figures still move money (a fee the supplier owes after a full refund that
    # kept it): released, so that secuconnect settles it.
    settles: bool = False


def release_after(shipped_at: datetime | None, days: int) -> datetime | None:
    """When a part held until shipped is released (None: not before it ships)."""
    return None if shipped_at is None else shipped_at + timedelta(days=days)


def decide_hold(facts: HoldFacts, now: datetime) -> tuple[HoldDecision, str]:
    """What to do with a held part now, and why (the reason staff read: stored in English,
    shown in their language)."""
    if facts.spent and facts.settles:
        return HoldDecision.RELEASE, gettext_noop(
            "refunded in full: released so that the marketplace fee still owed is settled"
        )
    if facts.spent:
        return HoldDecision.CLOSE, gettext_noop("cancelled or refunded in full: nothing to pay out")
    if facts.dispute == DisputeState.LOST:
        return HoldDecision.CLOSE, gettext_noop(
            "the buyer's bank took the money back: nothing to pay out"
        )
    if disputed(facts.dispute):
        return HoldDecision.KEEP, gettext_noop("disputed (chargeback or returned debit)")
    if not facts.until_shipped:
        return HoldDecision.RELEASE, gettext_noop("the supplier's payouts are not held")
    if facts.shipped_at is None:
        return HoldDecision.WAIT, gettext_noop("not shipped yet")
    due = facts.shipped_at + timedelta(days=facts.days)
    if any(moment >= facts.shipped_at for moment in facts.refund_times):
        return HoldDecision.KEEP, gettext_noop("a refund came inside the hold period")
    if now < due:
        return HoldDecision.WAIT, gettext_noop("the hold period has not passed")
    return HoldDecision.RELEASE, gettext_noop(
        "shipped, and the hold period passed without refund or dispute"
    )


# --- erasure ---------------------------------------------------------------------------------

# Orders whose money is on its way or being looked at: the buyer's data may still be needed.
# An open invoice ("confirmed") is not settled until the buyer pays.
KEEP_DATA_WHILE = frozenset(
    {OrderStatus.AUTHORIZED, OrderStatus.PENDING, OrderStatus.NEEDS_REVIEW, OrderStatus.CONFIRMED}
)


def erasure_refused(status: str, any_disputed: bool) -> str:
    """Why a buyer's data may not be erased from an order yet ("" when it may), in the active
    language."""
    if any_disputed or status == OrderStatus.DISPUTED:
        return gettext("a part is disputed: the data may be needed to answer the chargeback")
    if status in KEEP_DATA_WHILE:
        return gettext("the order is %(status)s: its payment is not settled") % {
            "status": OrderStatus(status).label
        }
    return ""
