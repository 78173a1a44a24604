"""The states the app keeps, and the explicit transition table each of them moves through.

- The **order** (``OrderStatus``) is derived from its paying attempt's Smart Transaction status
  (``ORDER_STATUS_FOR_STX``), refined by its Payment Transactions (an invoice secupay accepted
  is "confirmed" until the buyer pays it; a chargeback makes it "disputed": ``rules.decide``),
  and may only move along ``TRANSITIONS``: a late or duplicate answer that would move it
  backwards (``paid`` to ``pending``, say) is not in the table, and so changes nothing.
- A **supplier's part** carries its own dispute state (``DisputeState``), moved along
  ``DISPUTE_TRANSITIONS`` (``rules.disputes``).
- A **checkout attempt** (``AttemptState``) moves along ``ATTEMPT_TRANSITIONS``.
- A **refund record** (``RefundState``) moves along ``REFUND_TRANSITIONS``: done is final.
- A **Payment Transaction**'s simple status is secuconnect's, and ``rules.payments``
  keeps it from moving back a stage.

The ledger (``secu_marketplace.ledger``) applies every change through these tables; ``rules``
holds no database access, so ``rules.decide`` is tested without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("order status", "new")
    AWAITING_PAYMENT = "awaiting_payment", pgettext_lazy("order status", "at checkout")
    AUTHORIZED = "authorized", pgettext_lazy("order status", "authorised")
    PENDING = "pending", pgettext_lazy("order status", "transfer or check pending")
    # An invoice secupay has accepted: the goods may ship, the buyer has not paid yet.
    CONFIRMED = "confirmed", pgettext_lazy("order status", "confirmed, invoice open")
    PAID = "paid", pgettext_lazy("order status", "paid")
    SHIPPED = "shipped", pgettext_lazy("order status", "shipped")
    REFUNDED = "refunded", pgettext_lazy("order status", "refunded")
    FAILED = "failed", pgettext_lazy("order status", "payment failed")
    ABORTED = "aborted", pgettext_lazy("order status", "payment aborted")
    CANCELLED = "cancelled", pgettext_lazy("order status", "cancelled")
    NEEDS_REVIEW = "needs_review", pgettext_lazy("order status", "needs review")
    # The buyer's money came back (a chargeback, a returned direct debit: simple status 4).
    DISPUTED = "disputed", pgettext_lazy("order status", "payment disputed")


S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    # From "new" everything is possible: a create call whose answer was lost can turn out, when
    # reconciled, to have been paid already.
    S.NEW: frozenset(
        {
            S.AWAITING_PAYMENT,
            S.AUTHORIZED,
            S.PENDING,
            S.CONFIRMED,
            S.PAID,
            S.SHIPPED,
            S.DISPUTED,
            S.FAILED,
            S.ABORTED,
            S.CANCELLED,
            S.NEEDS_REVIEW,
        }
    ),
    S.AWAITING_PAYMENT: frozenset(
        {
            S.AUTHORIZED,
            S.PENDING,
            S.CONFIRMED,
            S.PAID,
            S.SHIPPED,
            S.DISPUTED,
            S.FAILED,
            S.ABORTED,
            S.CANCELLED,
            S.NEEDS_REVIEW,
        }
    ),
    # A buyer who failed or aborted may try again (a new or reused attempt) or may still have
    # paid in another tab: every forward state stays reachable.
    S.FAILED: frozenset(
        {
            S.AWAITING_PAYMENT,
            S.ABORTED,
            S.AUTHORIZED,
            S.PENDING,
            S.CONFIRMED,
            S.PAID,
            S.SHIPPED,
            S.DISPUTED,
            S.CANCELLED,
            S.NEEDS_REVIEW,
        }
    ),
    S.ABORTED: frozenset(
        {
            S.AWAITING_PAYMENT,
            S.FAILED,
            S.AUTHORIZED,
            S.PENDING,
            S.CONFIRMED,
            S.PAID,
            S.SHIPPED,
            S.DISPUTED,
            S.CANCELLED,
            S.NEEDS_REVIEW,
        }
    ),
    S.AUTHORIZED: frozenset(
        {
            S.PENDING,
            S.CONFIRMED,
            S.PAID,
            S.SHIPPED,
            S.DISPUTED,
            S.FAILED,
            S.CANCELLED,
            S.NEEDS_REVIEW,
        }
    ),
    S.PENDING: frozenset(
        {S.CONFIRMED, S.PAID, S.SHIPPED, S.DISPUTED, S.FAILED, S.CANCELLED, S.NEEDS_REVIEW}
    ),
    # An accepted invoice: the buyer pays it (paid), or it ships first; or it is cancelled.
    S.CONFIRMED: frozenset(
        {S.PAID, S.SHIPPED, S.REFUNDED, S.CANCELLED, S.NEEDS_REVIEW, S.DISPUTED}
    ),
    # Once paid, only shipping, refunds, voids, a chargeback and review move an order.
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED, S.CANCELLED, S.NEEDS_REVIEW, S.DISPUTED}),
    S.SHIPPED: frozenset({S.REFUNDED, S.NEEDS_REVIEW, S.DISPUTED}),
    # A disputed payment goes back to where the facts put it once the issue is resolved
    # (``rules.decide`` never picks "confirmed" for a buyer who has paid, nor "paid" for a
    # shipped order), or ends refunded, cancelled (the money is gone) or in review.
    S.DISPUTED: frozenset(
        {S.CONFIRMED, S.PAID, S.SHIPPED, S.REFUNDED, S.CANCELLED, S.NEEDS_REVIEW}
    ),
    # Refunded and cancelled are final: a chargeback after them is recorded on the part
    # (``DisputeState``) and announced, and the order keeps saying where its money went.
    S.REFUNDED: frozenset(),
    S.CANCELLED: frozenset(),
    # Staff resolve a review by hand; nothing automatic leaves it.
    S.NEEDS_REVIEW: frozenset(),
}

# Orders a buyer may (still, or again) pay.
PAYABLE = frozenset({S.NEW, S.AWAITING_PAYMENT, S.FAILED, S.ABORTED})
# Orders whose money is on its way or secured.
MONEY = frozenset({S.AUTHORIZED, S.PENDING, S.CONFIRMED, S.PAID, S.SHIPPED, S.DISPUTED, S.REFUNDED})


class StxStatus(StrEnum):
    """A Smart Transaction's ``status`` (docs/provider.md, "Smart Transaction statuses"). An
    answer's status is kept as the provider's text; one the app does not know stays a string."""

    CREATED = "created"
    PROCESSING = "processing"
    APPROVED = "approved"
    PENDING = "pending"
    OK = "ok"
    RECEIVED = "received"
    COLLECTION = "collection"
    SHIPPED = "shipped"
    COLLECTED = "collected"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Smart Transaction status -> order status. "created" depends on how the buyer came back and is
# decided in rules.decide.
ORDER_STATUS_FOR_STX: dict[str, str] = {
    StxStatus.APPROVED: S.AUTHORIZED,
    StxStatus.PENDING: S.PENDING,
    StxStatus.OK: S.PAID,
    StxStatus.RECEIVED: S.PAID,
    StxStatus.COLLECTION: S.PAID,
    StxStatus.SHIPPED: S.SHIPPED,
    StxStatus.COLLECTED: S.SHIPPED,
    StxStatus.FAILED: S.FAILED,
    StxStatus.CANCELLED: S.CANCELLED,
}
# Smart Transaction statuses after which nothing more happens on it without money.
ENDED_STX = frozenset({StxStatus.FAILED, StxStatus.CANCELLED})
# Smart Transaction statuses that mean money is authorised, on its way, or secured.
MONEY_STX = frozenset(
    {
        StxStatus.APPROVED,
        StxStatus.PENDING,
        StxStatus.OK,
        StxStatus.RECEIVED,
        StxStatus.COLLECTION,
        StxStatus.SHIPPED,
        StxStatus.COLLECTED,
    }
)


def allowed(table: Mapping[str, frozenset[str]], current: str, target: str) -> bool:
    """Whether ``table`` lets a state move from ``current`` to ``target`` (staying is no move)."""
    return target in table.get(current, frozenset())


def can_move(current: str, target: str) -> bool:
    return allowed(TRANSITIONS, current, target)


class AttemptState(models.TextChoices):
    """Where one checkout attempt (one Smart Transaction) stands, from our side."""

    CREATING = "creating", _("creating")  # row committed, create call not answered yet
    UNKNOWN = "unknown", _("outcome unknown")  # the create call's answer was lost
    OPEN = "open", _("open")  # Smart Transaction "created": the buyer is at checkout
    SETTLED = "settled", _("settled")  # authorised or beyond: the payment lives here
    FAILED = "failed", _("failed")
    CLOSED = "closed", _("closed")  # cancelled, or abandoned for a newer attempt
    MISMATCH = "mismatch", _("mismatch")  # the provider's answer did not belong to it


A = AttemptState
OPEN_ATTEMPT_STATES = frozenset({A.CREATING, A.UNKNOWN, A.OPEN})

ATTEMPT_TRANSITIONS: dict[str, frozenset[str]] = {
    # The create call is answered (open), its answer is lost (unknown), or it is refused.
    A.CREATING: frozenset({A.OPEN, A.UNKNOWN, A.FAILED}),
    # A lost answer is settled: found (open), never made (failed), or found after another
    # attempt took over (closed).
    A.UNKNOWN: frozenset({A.OPEN, A.FAILED, A.CLOSED}),
    A.OPEN: frozenset({A.SETTLED, A.FAILED, A.CLOSED, A.MISMATCH}),
    A.SETTLED: frozenset({A.FAILED, A.CLOSED, A.MISMATCH}),
    # A failed attempt may yet show money (a Smart Transaction found late; a second try on the
    # same Smart Transaction), and one taken as never created may turn up.
    A.FAILED: frozenset({A.OPEN, A.SETTLED, A.CLOSED, A.MISMATCH}),
    # One we closed (superseded, abandoned) stays closed until money shows up on it.
    A.CLOSED: frozenset({A.SETTLED, A.MISMATCH}),
    # An answer that was not the attempt's: staff look; nothing automatic leaves it.
    A.MISMATCH: frozenset(),
}


def attempt_state_for_stx(status: str) -> str:
    if status == StxStatus.CREATED:
        return A.OPEN
    if status == StxStatus.FAILED:
        return A.FAILED
    if status == StxStatus.CANCELLED:
        return A.CLOSED
    return A.SETTLED


class Source(models.TextChoices):
    """Who learned of a change: every entry point that can, calls the same sync function."""

    CHECKOUT = "checkout", _("checkout")
    RETURN = "return", _("buyer returned")
    PUSH = "push", _("push notification")
    ADMIN = "admin", _("staff")
    RECONCILE = "reconcile", _("reconciliation")
    SHOP = "shop", _("shop code")


class PaymentRole(models.TextChoices):
    LEADING = "leading", _("leading transaction")
    SUB = "sub", _("sub-transaction")
    REFUND = "refund", _("refund")


class RefundState(models.TextChoices):
    """A refund record, from our side: recorded before secuconnect is asked, done only when
    secuconnect says so."""

    REQUESTED = "requested", _("requested")  # about to ask secuconnect
    PENDING = "pending", _("pending")  # refund transaction created, not executed yet
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    UNKNOWN = "unknown", _("outcome unknown")  # the answer was lost: the next sync decides


class RefundKind(models.TextChoices):
    REFUND = "refund", _("refund (money returned)")
    REDUCTION = "reduction", _("reduction before payment")


R = RefundState
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.PENDING, R.DONE, R.FAILED, R.UNKNOWN}),
    R.UNKNOWN: frozenset({R.PENDING, R.DONE, R.FAILED}),
    R.PENDING: frozenset({R.DONE, R.FAILED}),
    # Money that went back to the buyer is never un-refunded by a later (or older) answer.
    R.DONE: frozenset(),
    # A refund transaction reported denied may still be executed after all.
    R.FAILED: frozenset({R.PENDING, R.DONE}),
}
# Refund records whose call has not been settled by an answer yet.
REFUND_IN_FLIGHT = frozenset({R.REQUESTED, R.UNKNOWN})


# Orders whose parts may be reported shipped (services.shipping.ship_sub_basket); a disputed
# part itself may not (``DisputeState.OPEN``), the order's other parts may.
SHIPPABLE = frozenset({S.CONFIRMED, S.PAID, S.SHIPPED, S.DISPUTED})
# Orders staff may cancel or refund (services.refunds.refund; never a disputed part).
REFUNDABLE = frozenset({S.AUTHORIZED, S.PENDING, S.CONFIRMED, S.PAID, S.SHIPPED, S.DISPUTED})
# Orders a payment is under way for, or was made for: what secuconnect holds may still change.
UNDER_WAY = frozenset({S.AUTHORIZED, S.PENDING, S.CONFIRMED, S.PAID, S.SHIPPED, S.DISPUTED})
# Orders a payment deadline applies to (``EXPIRE_UNPAID_AFTER_DAYS``), by payment method: a
# prepayment waiting for the transfer, an invoice accepted (and, at expiry, not shipped).
EXPIRING_FOR = {"prepaid": S.PENDING, "invoice": S.CONFIRMED}
EXPIRING = frozenset(EXPIRING_FOR.values())


def awaits_buyer(status: str, method: str) -> bool:
    """Whether an order in ``status`` paid with ``method`` waits for the buyer's money under a
    payment deadline."""
    return EXPIRING_FOR.get(method) == status


class DeadlineStep(models.TextChoices):
    """The timeline of an order's payment deadline (``StatusEvent.Subject.DEADLINE``)."""

    SET = "set", _("set")
    REMINDED = "reminded", _("buyer reminded")
    EXTENDED = "extended", _("extended")
    EXPIRED = "expired", _("expired, order cancelled")
    KEPT = "kept", _("paid meanwhile, not expired")


class DisputeState(models.TextChoices):
    """A supplier's part and a chargeback or returned direct debit (simple status 4 "issue")."""

    NONE = "", _("none")
    OPEN = "open", _("disputed")  # the money came back: shipping this part waits
    RESOLVED = "resolved", _("dispute resolved")  # simple status 6 "issue resolved"
    LOST = "lost", _("money returned to the buyer")  # the part's payment ended void


D = DisputeState
DISPUTE_TRANSITIONS: dict[str, frozenset[str]] = {
    D.NONE: frozenset({D.OPEN}),
    D.OPEN: frozenset({D.RESOLVED, D.LOST}),
    # A second chargeback on the same part.
    D.RESOLVED: frozenset({D.OPEN}),
    D.LOST: frozenset(),
}
