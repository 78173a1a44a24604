"""What the buyer's payment page shows, decided from the order and its attempt (never from the
URL's outcome word alone: that only words the message when nothing has happened yet). The
figures are the order's balance (``read.balances``); a sync hands over the rows it holds, so the
page after a return or a push reads nothing twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from secu_marketplace.conf import app_settings
from secu_marketplace.girocode import epc_svg
from secu_marketplace.models import CheckoutAttempt, Order, PaymentTransaction, Refund
from secu_marketplace.read.balances import OrderBalance, order_balance
from secu_marketplace.rules.statuses import PAYABLE, OrderStatus

S = OrderStatus
# Pages whose buyer still has to transfer money: only they show the bank details.
TRANSFER_STATES = frozenset({"pending_transfer", "invoice", "authorized"})
# Orders whose goods may ship: the money is secured (an invoice: accepted by secupay).
SECURED = frozenset({S.CONFIRMED, S.PAID, S.SHIPPED, S.DISPUTED})


@dataclass
class PaymentPage:
    state: str
    order: Order
    attempt: CheckoutAttempt | None
    summary: OrderBalance
    instructions: dict[str, Any] | None = None
    qr_svg: SafeString | None = None
    can_retry: bool = False
    refresh_seconds: int = 0
    amount_due: int = 0
    installments: dict[str, Any] | None = None

    def context(self) -> dict[str, Any]:
        return {
            "page": self,
            "state": self.state,
            "order": self.order,
            "attempt": self.attempt,
            "instructions": self.instructions,
            "qr_svg": self.qr_svg,
            "can_retry": self.can_retry,
            "refresh_seconds": self.refresh_seconds,
            "amount_due": self.amount_due,
            "installments": self.installments,
            "summary": self.summary,
            "pay_url": self.order.get_payment_url(),
            "cart_url": cart_url(),
            "shop_url": shop_url(),
        }


def cart_url() -> str:
    """The shop's cart (``CART_URL``), for "Back to cart" after a failed or aborted payment."""
    return _shop_link(app_settings.CART_URL, "")


def shop_url() -> str:
    """The shop's home (``SHOP_URL``), for "Back to the shop"."""
    return _shop_link(app_settings.SHOP_URL, "/")


def _shop_link(target: object, default: str) -> str:
    if not target:
        return default
    try:
        return reverse(str(target))
    except NoReverseMatch:
        # A path or a URL is used as it is; a URL name that does not resolve is a mistake, and
        # rendering it as an href would send the buyer nowhere.
        text = str(target)
        return text if text.startswith(("/", "https://", "http://")) else default


def amount_due(order: Order, balance: OrderBalance) -> int:
    """What secuconnect expects from the buyer: the leading transaction's amount as last synced
    (a supplier's part cancelled before payment lowers it) less refunds already granted (an
    invoice refunded in part), else the order's total."""
    leading = balance.leading
    if leading is not None and leading.amount is not None and 0 < leading.amount <= order.total:
        return balance.unrefunded
    return int(order.total)


INSTALLMENT_FIELDS = ("number_of_installments", "installment", "last_installment", "total_value")


def installment_plan(instructions: dict[str, Any] | None) -> dict[str, Any] | None:
    """easyCredit's plan from ``payment_instructions`` (docs/provider.md, "Smart
    Transactions"): amounts in minor units; None unless every figure is a whole number."""
    plan = {key: (instructions or {}).get(key) for key in (*INSTALLMENT_FIELDS, "interest")}
    whole = {key: isinstance(v, int) and not isinstance(v, bool) for key, v in plan.items()}
    if not all(whole[key] for key in INSTALLMENT_FIELDS):
        return None
    if not whole["interest"]:
        plan["interest"] = None  # a rate or a text: not an amount we may format as money
    return plan


def _qr(order: Order, instructions: dict[str, Any], amount: int) -> SafeString | None:
    svg = epc_svg(
        name=str(instructions.get("owner") or ""),
        iban=str(instructions.get("iban") or ""),
        bic=str(instructions.get("bic") or ""),
        amount=amount,
        currency=order.currency,
        purpose=str(instructions.get("purpose") or ""),
    )
    # segno's SVG is built from the QR matrix and fixed markup, never from the buyer's input.
    return mark_safe(svg) if svg else None  # noqa: S308


def _still_confirming(attempt: CheckoutAttempt) -> bool:
    since = attempt.returned_at or attempt.updated
    if since is None:
        return True
    return (timezone.now() - since).total_seconds() < float(app_settings.CONFIRMING_FOR)


# Statuses whose page is fixed, whatever else is known.
_PAGE_OF_STATUS: dict[str, str] = {
    S.AUTHORIZED: "authorized",
    S.FAILED: "failed",
    S.ABORTED: "aborted",
    S.REFUNDED: "refunded",
    S.NEEDS_REVIEW: "needs_review",
}


def _secured_state(order: Order, balance: OrderBalance) -> str:
    # An invoice may ship long before the buyer pays it: a captured invoice is 86 / accepted /
    # cleared "open" (docs/provider.md, "Payment Transaction statuses"). The bank details stay
    # until the buyer's money has arrived.
    if order.status == S.CONFIRMED or (order.payment_method == "invoice" and not balance.paid):
        return "invoice"
    # A chargeback or a returned debit is the shop's to settle with the buyer: their page says
    # the order stands, and nothing alarming.
    return "confirmed" if order.status == S.DISPUTED else "paid"


def _state(
    order: Order, attempt: CheckoutAttempt | None, balance: OrderBalance, transfer: bool
) -> str:
    """Which page the buyer sees (the provider was reachable)."""
    status = order.status
    if status in SECURED:
        return _secured_state(order, balance)
    if status == S.CANCELLED:
        return "expired" if order.expired_at is not None else "cancelled"
    if status == S.PENDING:
        return "pending_transfer" if transfer else "pending_check"
    if status in _PAGE_OF_STATUS:
        return _PAGE_OF_STATUS[status]
    if attempt is not None and attempt.returned_via == "success" and _still_confirming(attempt):
        # Back from a successful checkout, but secuconnect does not say so yet: for a while
        # the payment may be on its way; after that the page says it was not paid.
        return "confirming"
    return "awaiting"


def payment_page(
    order: Order,
    attempt: CheckoutAttempt | None,
    *,
    reachable: bool = True,
    payments: list[PaymentTransaction] | None = None,
    refunds: list[Refund] | None = None,
    settled: Mapping[int, int] | None = None,
) -> PaymentPage:
    """The page for ``order`` (``payments``, ``refunds`` and ``settled``: what a sync has just
    read, as ``order_balance`` takes them)."""
    balance = order_balance(order, payments=payments, refunds=refunds, settled=settled)
    instructions = (
        order.payment_instructions if order.payment_method in ("prepaid", "invoice") else None
    )
    page = PaymentPage(
        state="",
        order=order,
        attempt=attempt,
        summary=balance,
        can_retry=order.status in PAYABLE,
        amount_due=order.total,
    )
    if not reachable:
        # The provider could not be asked: never "failed", never an error page.
        page.state, page.can_retry = "confirming", False
    else:
        page.state = _state(order, attempt, balance, bool(instructions))
    if page.state == "confirming":
        page.refresh_seconds = int(app_settings.CONFIRMING_REFRESH_SECONDS)
    if order.payment_method == "easycredit" and page.state == "paid":
        page.installments = installment_plan(order.payment_instructions)
    # Bank details only while the buyer still has to transfer: never on a failed, cancelled or
    # settled order, where they would invite a payment nobody expects.
    if instructions and page.state in TRANSFER_STATES:
        page.amount_due = amount_due(order, balance)
        if page.amount_due > 0:
            page.instructions = instructions
            page.qr_svg = _qr(order, instructions, page.amount_due)
    return page
