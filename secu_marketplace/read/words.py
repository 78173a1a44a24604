"""The words (and a tone for their colour) that staff and buyers read for an order's payment and
fulfilment: one place, so the admin's list, its order page, the supplier page, the buyer's
pages and the demo's mails never disagree. "Paid" means the buyer has paid
(``rules.payments.payer_has_paid``): an invoice secupay accepted is "confirmed, invoice open"
for staff and "order confirmed, please pay the invoice" for the buyer until they pay it.

A ``Chip`` is rendered as text with a colour (``{% secu_chip chip %}``), never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import pgettext_lazy

from secu_marketplace.rules.statuses import DisputeState, OrderStatus

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from secu_marketplace.read.balances import OrderBalance, PartBalance

S = OrderStatus


class Tone(StrEnum):
    GOOD = "good"  # done: paid, shipped
    WAIT = "wait"  # under way: someone has still to act (the buyer, a supplier, secupay)
    ALERT = "alert"  # staff must look: a chargeback, a review
    MUTED = "muted"  # over: cancelled, refunded, expired


@dataclass(frozen=True)
class Chip:
    key: str  # stable, for tests and styles (data-chip)
    label: str
    tone: Tone


def _chip(key: str, label: Promise | str, tone: Tone) -> Chip:
    return Chip(key, str(label), tone)


Words = dict[str, tuple[str, "Promise", Tone]]

# Staff's words for the payment, by order status (the ones that need more facts are below).
STAFF: Words = {
    S.NEW: ("not_paid", pgettext_lazy("payment state", "not paid"), Tone.MUTED),
    S.AWAITING_PAYMENT: ("at_checkout", pgettext_lazy("payment state", "at checkout"), Tone.WAIT),
    S.AUTHORIZED: (
        "authorized",
        pgettext_lazy("payment state", "authorised, capture pending"),
        Tone.WAIT,
    ),
    S.CONFIRMED: (
        "invoice_open",
        pgettext_lazy("payment state", "confirmed, invoice open"),
        Tone.WAIT,
    ),
    S.PAID: ("paid", pgettext_lazy("payment state", "paid"), Tone.GOOD),
    S.DISPUTED: (
        "disputed",
        pgettext_lazy("payment state", "disputed: money came back"),
        Tone.ALERT,
    ),
    S.REFUNDED: ("refunded", pgettext_lazy("payment state", "refunded"), Tone.MUTED),
    S.FAILED: ("failed", pgettext_lazy("payment state", "payment failed"), Tone.MUTED),
    S.ABORTED: ("aborted", pgettext_lazy("payment state", "payment aborted"), Tone.MUTED),
    S.CANCELLED: ("cancelled", pgettext_lazy("payment state", "cancelled"), Tone.MUTED),
    S.NEEDS_REVIEW: ("needs_review", pgettext_lazy("payment state", "needs review"), Tone.ALERT),
}


def payment_chip(
    status: str, method: str, *, buyer_paid: bool, refunded: bool = False, expired: bool = False
) -> Chip:
    """What staff read for an order's payment: its status, what the buyer has paid, whether
    refunds took part of it, whether it expired unpaid."""
    if status == S.PENDING:
        if method == "prepaid":
            return _chip(
                "transfer_pending", pgettext_lazy("payment state", "transfer pending"), Tone.WAIT
            )
        return _chip("check_pending", pgettext_lazy("payment state", "check pending"), Tone.WAIT)
    if status == S.SHIPPED and not buyer_paid and method == "invoice":
        return _chip("invoice_open", pgettext_lazy("payment state", "invoice open"), Tone.WAIT)
    if status == S.CANCELLED and expired:
        return _chip("expired", pgettext_lazy("payment state", "expired unpaid"), Tone.MUTED)
    if status in (S.PAID, S.SHIPPED) and refunded:
        return _chip(
            "partly_refunded", pgettext_lazy("payment state", "paid, partly refunded"), Tone.GOOD
        )
    found = STAFF.get(S.PAID if status == S.SHIPPED else status)
    return _chip(*found) if found else Chip(str(status), str(status), Tone.MUTED)


def fulfilment_chip(status: str, parts: int, shipped: int) -> Chip | None:
    """What staff read for shipping: nothing before the goods may ship; then how many of the
    suppliers' parts have shipped."""
    if status == S.SHIPPED or (parts and shipped >= parts):
        return _chip("shipped", pgettext_lazy("fulfilment", "shipped"), Tone.GOOD)
    if shipped:
        label = pgettext_lazy("fulfilment", "%(shipped)d of %(parts)d shipped") % {
            "shipped": shipped,
            "parts": parts,
        }
        return Chip("partly_shipped", str(label), Tone.WAIT)
    if status == S.DISPUTED:
        # A part whose money came back waits for the issue to be resolved.
        return _chip("on_hold", pgettext_lazy("fulfilment", "on hold"), Tone.ALERT)
    if status in (S.CONFIRMED, S.PAID):
        return _chip("to_ship", pgettext_lazy("fulfilment", "to ship"), Tone.WAIT)
    return None


def part_payment_chip(part: PartBalance, balance: OrderBalance) -> Chip:
    """One supplier's part in the money panel: whether its buyer's money is there."""
    status = balance.order.status
    if part.cancelled:
        return _chip("cancelled", pgettext_lazy("payment state", "cancelled"), Tone.MUTED)
    if part.disputed:
        return _chip("disputed", pgettext_lazy("payment state", "disputed"), Tone.ALERT)
    if part.paid or balance.paid:
        return _chip("paid", pgettext_lazy("payment state", "paid"), Tone.GOOD)
    if status in (S.CONFIRMED, S.SHIPPED) and balance.order.payment_method == "invoice":
        return _chip("invoice_open", pgettext_lazy("payment state", "invoice open"), Tone.WAIT)
    if status in (S.PENDING, S.AUTHORIZED):
        return _chip("not_yet", pgettext_lazy("payment state", "not paid yet"), Tone.WAIT)
    return payment_chip(status, balance.order.payment_method, buyer_paid=False)


def dispute_chip(state: str) -> Chip | None:
    """A part's chargeback, in staff's words (None: there was none)."""
    words: Words = {
        DisputeState.OPEN: ("disputed", pgettext_lazy("dispute", "money came back"), Tone.ALERT),
        DisputeState.RESOLVED: ("resolved", pgettext_lazy("dispute", "resolved"), Tone.GOOD),
        DisputeState.LOST: (
            "lost",
            pgettext_lazy("dispute", "lost: returned to the buyer"),
            Tone.MUTED,
        ),
    }
    found = words.get(state)
    return _chip(*found) if found else None


BUYER: Words = {
    S.AUTHORIZED: (
        "authorized",
        pgettext_lazy("order status for the buyer", "payment authorised"),
        Tone.WAIT,
    ),
    S.CONFIRMED: (
        "pay_invoice",
        pgettext_lazy("order status for the buyer", "order confirmed, please pay the invoice"),
        Tone.WAIT,
    ),
    S.PAID: ("paid", pgettext_lazy("order status for the buyer", "paid"), Tone.GOOD),
    S.SHIPPED: ("shipped", pgettext_lazy("order status for the buyer", "shipped"), Tone.GOOD),
    # A chargeback is the shop's to settle with the buyer: nothing alarming on their pages.
    S.DISPUTED: (
        "confirmed",
        pgettext_lazy("order status for the buyer", "order confirmed"),
        Tone.GOOD,
    ),
    S.REFUNDED: ("refunded", pgettext_lazy("order status for the buyer", "refunded"), Tone.MUTED),
    S.CANCELLED: (
        "cancelled",
        pgettext_lazy("order status for the buyer", "cancelled"),
        Tone.MUTED,
    ),
    S.NEEDS_REVIEW: (
        "checking",
        pgettext_lazy("order status for the buyer", "we are checking your payment"),
        Tone.WAIT,
    ),
}


def buyer_chip(status: str, method: str, *, buyer_paid: bool, expired: bool = False) -> Chip:
    """What the buyer reads for their order (the demo's order page, the mails)."""
    if status == S.PENDING:
        if method == "prepaid":
            return _chip(
                "transfer",
                pgettext_lazy("order status for the buyer", "please transfer the amount"),
                Tone.WAIT,
            )
        return _chip(
            "checking",
            pgettext_lazy("order status for the buyer", "payment being checked"),
            Tone.WAIT,
        )
    if status == S.SHIPPED and method == "invoice" and not buyer_paid:
        return _chip(
            "pay_invoice",
            pgettext_lazy("order status for the buyer", "shipped, please pay the invoice"),
            Tone.WAIT,
        )
    if status == S.CANCELLED and expired:
        return _chip(
            "expired", pgettext_lazy("order status for the buyer", "expired unpaid"), Tone.MUTED
        )
    found = BUYER.get(status)
    if found is None:
        return _chip(
            "not_paid", pgettext_lazy("order status for the buyer", "not paid yet"), Tone.MUTED
        )
    return _chip(*found)
