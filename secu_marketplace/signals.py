"""Signals a shop can listen to. Each is sent once per real transition, after the transaction
that made it commits, whichever entry point (return, push, staff, reconciliation) learned of it.

Every signal is sent with ``sender=Order`` and these keyword arguments:

- ``order``: the ``Order`` (fresh from the database)
- ``old_status`` / ``new_status``: the order status before and after
- ``source``: who learned of it, a ``statuses.Source`` value ("return", "push", ...)

Some add more (named below). Receivers run after commit; an exception in one is logged and does
not undo the payment state (``send_robust``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Any change of Order.status (sent before the specific signal below).
order_status_changed = Signal()

# The money is secured: ship. ``new_status`` "paid", or "confirmed" for an invoice secupay has
# accepted whose buyer has not paid yet (``invoice_paid`` follows when they do).
order_paid = Signal()
order_pending = Signal()  # waiting for the buyer's transfer (prepaid) or a risk check
order_authorized = Signal()  # authorised, capture pending (AUTO_CAPTURE off)
order_failed = Signal()
order_aborted = Signal()
order_cancelled = Signal()
order_shipped = Signal()
order_needs_review = Signal()  # extra: ``reason`` (str)
# extra: ``amount`` (minor units), ``sub_basket`` (SubBasket or None for the whole order),
# ``refund`` (the Refund row)
order_refunded = Signal()
# extra: ``sub_basket``
sub_basket_shipped = Signal()
# The buyer paid an invoice order secupay had accepted (sent once, whatever the order's status:
# confirmed becomes paid; a shipped order stays shipped). Extra: ``amount`` (minor units).
invoice_paid = Signal()
# The buyer's money came back (a chargeback, a returned direct debit): the order moved to
# "disputed". Extra: ``sub_baskets`` (the parts that bore it).
order_disputed = Signal()
# The order left "disputed" for where the facts put it (instead of that status's own signal,
# which was sent when it first got there). Extra: ``sub_baskets`` (the parts resolved).
order_dispute_resolved = Signal()
# One supplier's part: its money came back / the issue is resolved or lost. Sent for every part,
# also while the order is disputed already or is refunded or cancelled. Extra: ``sub_basket``,
# ``dispute`` (a ``statuses.DisputeState`` value).
sub_basket_disputed = Signal()
sub_basket_dispute_resolved = Signal()
# The payment deadline of an unpaid prepayment or accepted invoice is near. Extra: ``pay_by``.
order_payment_reminder = Signal()
# An unpaid order expired and was cancelled at secuconnect (sent after ``order_cancelled``).
# Extra: ``pay_by``.
order_expired = Signal()
# A held part's payout released (revokeAccrual): secuconnect may pay the supplier now.
# extra: ``sub_basket``
sub_basket_released = Signal()
# The buyer's personal data was erased from the order (amounts, ids and dates stay).
# extra: ``fields`` (the order's fields erased)
buyer_erased = Signal()

BY_STATUS = {
    "confirmed": order_paid,
    "paid": order_paid,
    "pending": order_pending,
    "authorized": order_authorized,
    "failed": order_failed,
    "aborted": order_aborted,
    "cancelled": order_cancelled,
    "shipped": order_shipped,
    "needs_review": order_needs_review,
    "disputed": order_disputed,
}


def send(signal: Signal, order: Any, **kwargs: Any) -> None:
    """Send ``signal`` for ``order`` to every receiver; a failing receiver is logged, not raised
    (the payment state it reports is already committed)."""
    from secu_marketplace.models import Order

    for receiver, response in signal.send_robust(sender=Order, order=order, **kwargs):
        if isinstance(response, Exception):
            logger.error("signal receiver %r failed: %r", receiver, response, exc_info=response)
