"""Statuses and the explicit, monotone transition table every change goes through.

The provider's Smart Transaction status is kept verbatim on the attempt; the order's own status
is derived from it (``ORDER_STATUS_FOR_STX``) and may only move along ``TRANSITIONS``. A late or
duplicate signal that would move an order backwards (``paid`` to ``pending``, say) is simply not
in the table, and so changes nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from secu_marketplace.provider.answers import INVOICE_PAID_STATUS
from secu_marketplace.provider.answers import SimpleStatus as Simple


class OrderStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("order status", "new")
    AWAITING_PAYMENT = "awaiting_payment", pgettext_lazy("order status", "at checkout")
    AUTHORIZED = "authorized", pgettext_lazy("order status", "authorised")
    PENDING = "pending", pgettext_lazy("order status", "transfer or check pending")
    PAID = "paid", pgettext_lazy("order status", "paid")
    SHIPPED = "shipped", pgettext_lazy("order status", "shipped")
    REFUNDED = "refunded", pgettext_lazy("order status", "refunded")
    FAILED = "failed", pgettext_lazy("order status", "payment failed")
    ABORTED = "aborted", pgettext_lazy("order status", "payment aborted")
    CANCELLED = "cancelled", pgettext_lazy("order status", "cancelled")
    NEEDS_REVIEW = "needs_review", pgettext_lazy("order status", "needs review")


S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    # From "new" everything is possible: a create call whose answer was lost can turn out, when
    # reconciled, to have been paid already.
    S.NEW: frozenset(
        {
            S.AWAITING_PAYMENT,
            S.AUTHORIZED,
            S.PENDING,
            S.PAID,
            S.SHIPPED,
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
            S.PAID,
            S.SHIPPED,
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
            S.PAID,
            S.SHIPPED,
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
            S.PAID,
            S.SHIPPED,
            S.CANCELLED,
            S.NEEDS_REVIEW,
        }
    ),
    S.AUTHORIZED: frozenset({S.PENDING, S.PAID, S.SHIPPED, S.FAILED, S.CANCELLED, S.NEEDS_REVIEW}),
    S.PENDING: frozenset({S.PAID, S.SHIPPED, S.FAILED, S.CANCELLED, S.NEEDS_REVIEW}),
    # Once paid, only shipping, refunds, voids and review move an order.
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED, S.CANCELLED, S.NEEDS_REVIEW}),
    S.SHIPPED: frozenset({S.REFUNDED, S.NEEDS_REVIEW}),
    S.REFUNDED: frozenset(),
    S.CANCELLED: frozenset(),
    # Staff resolve a review by hand; nothing automatic leaves it.
    S.NEEDS_REVIEW: frozenset(),
}

# Every payment method the API knows (docs/provider.md, "Payment methods": PHP-SDK
# PaymentContext and the /prepare/{method} docblock).
PAYMENT_METHODS = (
    "creditcard",
    "debit",
    "easycredit",
    "eps",
    "giropay",
    "invoice",
    "paypal",
    "prepaid",
    "sofort",
)

# Orders a buyer may (still, or again) pay.
PAYABLE = frozenset({S.NEW, S.AWAITING_PAYMENT, S.FAILED, S.ABORTED})
# Orders whose money is on its way or secured.
MONEY = frozenset({S.AUTHORIZED, S.PENDING, S.PAID, S.SHIPPED, S.REFUNDED})

# Smart Transaction status (docs/provider.md, "Smart Transaction statuses") -> order status.
# "created" depends on how the buyer came back and is decided in services.sync.
ORDER_STATUS_FOR_STX: dict[str, str] = {
    "approved": S.AUTHORIZED,
    "pending": S.PENDING,
    "ok": S.PAID,
    "received": S.PAID,
    "collection": S.PAID,
    "shipped": S.SHIPPED,
    "collected": S.SHIPPED,
    "failed": S.FAILED,
    "cancelled": S.CANCELLED,
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


class AttemptState(models.TextChoices):
    """Where one checkout attempt (one Smart Transaction) stands, from our side."""

    CREATING = "creating", _("creating")  # row committed, create call not answered yet
    UNKNOWN = "unknown", _("outcome unknown")  # the create call's answer was lost
    OPEN = "open", _("open")  # Smart Transaction "created": the buyer is at checkout
    SETTLED = "settled", _("settled")  # authorised or beyond: the payment lives here
    FAILED = "failed", _("failed")
    CLOSED = "closed", _("closed")  # cancelled, or abandoned for a newer attempt
    MISMATCH = "mismatch", _("mismatch")  # the provider's answer did not belong to it


OPEN_ATTEMPT_STATES = frozenset({AttemptState.CREATING, AttemptState.UNKNOWN, AttemptState.OPEN})


def attempt_state_for_stx(status: str) -> str:
    if status == "created":
        return AttemptState.OPEN
    if status == "failed":
        return AttemptState.FAILED
    if status == "cancelled":
        return AttemptState.CLOSED
    return AttemptState.SETTLED


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


# secuconnect's simple Payment Transaction statuses as text (docs/provider.md, "Payment
# Transaction statuses"), for display; unknown values are stored and shown as they are.
SIMPLE_STATUS_TEXT: dict[int, str] = {
    status: status.name.lower().replace("_", " ") for status in Simple
}


def payer_has_paid(method: str, status: int | None, simple: int | None) -> bool:
    """Whether the buyer's money has arrived for a (leading or sub-) Payment Transaction.

    It decides what a cancellation does (docs/provider.md, "Cancel and refund"): before the
    payer has paid, ``/cancel`` reduces or voids the payment and creates no transaction; after,
    it creates a refund transaction. "Accepted" is not enough for an invoice: a captured
    (shipped) invoice is 86 / simple 1 / cleared "open" until the buyer pays it. The app never
    relies on this guess alone: what a cancel did is read from secuconnect's answer.
    """
    if simple in (Simple.DENIED, Simple.VOID):
        return False
    if method == "invoice":
        return simple == Simple.PAID or status == INVOICE_PAID_STATUS
    # Prepaid waiting for the transfer is 25 / simple 2 (recorded) or 10 (documented); an
    # authorised card is 2 until captured. Refund pending (7) and issues (4, 6) come after money.
    return simple in MONEY_ARRIVED


MONEY_ARRIVED = frozenset(
    {Simple.ACCEPTED, Simple.PAID, Simple.ISSUE, Simple.ISSUE_RESOLVED, Simple.REFUND}
)


def payer_has_paid_q(method_field: str = "order__payment_method") -> models.Q:
    """``payer_has_paid`` as a filter on Payment Transactions, for querysets
    (``Order.objects.paid()``); ``method_field`` names the payment method from there. The
    two are kept equal by a test over every status, simple status and method."""
    void = models.Q(status_simple__in=[Simple.DENIED, Simple.VOID])
    invoice = models.Q(**{method_field: "invoice"})
    invoice_paid = models.Q(status_simple=Simple.PAID) | models.Q(status=INVOICE_PAID_STATUS)
    others_paid = models.Q(status_simple__in=list(MONEY_ARRIVED))
    return ~void & ((invoice & invoice_paid) | (~invoice & others_paid))


# Orders whose parts may be reported shipped (services.processing.ship_sub_basket).
SHIPPABLE = frozenset({S.PAID, S.SHIPPED})
# Orders a payment is under way for, or was made for: what secuconnect holds may still change.
UNDER_WAY = frozenset({S.AUTHORIZED, S.PENDING, S.PAID, S.SHIPPED})
