"""Payment Transactions: what their statuses mean for the money, and how they may move.

The simple status (``details.status_simple``) is secuconnect's, and the app records it as it is
reported, with one rule of its own: it never moves back a **stage** (``STAGE``). A payment is
first being set up (created, pending), then authorised (authorised, waiting for shipment, on
hold), then money has moved (accepted, paid, refund pending, an issue, an issue resolved), and
finally it may end denied or void. A newer answer may move it forward or sideways within a
stage (paid to issue, say); one that would move it back a stage (accepted to authorised) is not
applied. Values the app does not know are applied as they come.
"""

from __future__ import annotations

from django.db import models

from secu_marketplace.provider.answers import INVOICE_PAID_STATUS, SimpleStatus

Simple = SimpleStatus

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

# secuconnect's simple Payment Transaction statuses as text (docs/provider.md, "Payment
# Transaction statuses"), for display; unknown values are stored and shown as they are.
SIMPLE_STATUS_TEXT: dict[int, str] = {
    status: status.name.lower().replace("_", " ") for status in Simple
}

# The stage of each simple status (see the module docstring); the table below follows from it.
STAGE: dict[int, int] = {
    Simple.PROCEED: 0,
    Simple.CREATED: 0,
    Simple.PENDING: 0,
    Simple.AUTHORIZED: 1,
    Simple.WAITING_FOR_SHIPMENT: 1,
    Simple.ON_HOLD: 1,
    Simple.CONTAINER_AUTHORISED: 1,
    Simple.SUBSCRIPTION_APPROVED: 1,
    Simple.ACCEPTED: 2,
    Simple.PAID: 2,
    Simple.REFUND: 2,
    Simple.ISSUE: 2,
    Simple.ISSUE_RESOLVED: 2,
    Simple.DENIED: 3,
    Simple.VOID: 3,
    Simple.CONTAINER_DENIED: 3,
    Simple.SUBSCRIPTION_DECLINED: 3,
}
FINAL_STAGE = 3
PAYMENT_TRANSITIONS: dict[int, frozenset[int]] = {
    status: frozenset(
        other
        for other, stage in STAGE.items()
        if other != status and STAGE[status] < FINAL_STAGE and stage >= STAGE[status]
    )
    for status in STAGE
}


def payment_may_move(current: int | None, reported: int | None) -> bool:
    """Whether a Payment Transaction whose simple status is ``current`` takes ``reported``."""
    if current is None or reported is None or current == reported:
        return True
    if current not in PAYMENT_TRANSITIONS or reported not in STAGE:
        return True  # a status the app does not know: recorded as it comes
    return reported in PAYMENT_TRANSITIONS[current]


# A refund transaction accepted or paid was executed; a part denied or void is dead.
DONE_SIMPLE = frozenset({Simple.ACCEPTED, Simple.PAID})
FAILED_SIMPLE = frozenset({Simple.DENIED, Simple.VOID})
MONEY_ARRIVED = frozenset(
    {Simple.ACCEPTED, Simple.PAID, Simple.ISSUE, Simple.ISSUE_RESOLVED, Simple.REFUND}
)


def payer_has_paid(method: str, status: int | None, simple: int | None) -> bool:
    """Whether the buyer's money has arrived for a (leading or sub-) Payment Transaction.

    It decides what a cancellation does (docs/provider.md, "Cancel and refund"): before the
    payer has paid, ``/cancel`` reduces or voids the payment and creates no transaction; after,
    it creates a refund transaction. "Accepted" is not enough for an invoice: a captured
    (shipped) invoice is 86 / simple 1 / cleared "open" until the buyer pays it. The app never
    relies on this guess alone: what a cancel did is read from secuconnect's answer.
    """
    if simple in FAILED_SIMPLE:
        return False
    if method == "invoice":
        return simple == Simple.PAID or status == INVOICE_PAID_STATUS
    # Prepaid waiting for the transfer is 25 / simple 2 (recorded) or 10 (documented); an
    # authorised card is 2 until captured. Refund pending (7) and issues (4, 6) come after money.
    return simple in MONEY_ARRIVED


def payer_has_paid_q(method_field: str = "order__payment_method") -> models.Q:
    """``payer_has_paid`` as a filter on Payment Transactions, for querysets
    (``Order.objects.paid()``); ``method_field`` names the payment method from there. The
    two are kept equal by a test over every status, simple status and method."""
    void = models.Q(status_simple__in=list(FAILED_SIMPLE))
    invoice = models.Q(**{method_field: "invoice"})
    invoice_paid = models.Q(status_simple=Simple.PAID) | models.Q(status=INVOICE_PAID_STATUS)
    others_paid = models.Q(status_simple__in=list(MONEY_ARRIVED))
    return ~void & ((invoice & invoice_paid) | (~invoice & others_paid))
