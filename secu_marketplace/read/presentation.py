"""What the buyer's payment page shows, decided from the order and its attempt (never from the
URL's outcome word alone: that only words the message when nothing has happened yet)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from secu_marketplace.conf import app_settings
from secu_marketplace.girocode import epc_svg
from secu_marketplace.models import (
    CheckoutAttempt,
    LineItem,
    Order,
    PaymentTransaction,
    Refund,
    SubBasket,
)
from secu_marketplace.provider.payloads import load_parts
from secu_marketplace.rules.statuses import PAYABLE, OrderStatus, PaymentRole, payer_has_paid
from secu_marketplace.services.refund_records import refundable

S = OrderStatus


@dataclass
class PaymentPage:
    state: str
    order: Order
    attempt: CheckoutAttempt | None
    instructions: dict[str, Any] | None = None
    qr_svg: SafeString | None = None
    can_retry: bool = False
    refresh_seconds: int = 0
    amount_due: int = 0
    installments: dict[str, Any] | None = None
    summary: OrderSummary | None = None

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
            "summary": self.summary if self.summary is not None else order_summary(self.order),
            "pay_url": self.order.get_payment_url(),
            "cart_url": cart_url(),
            "shop_url": shop_url(),
        }


IN_FLIGHT = (Refund.State.REQUESTED, Refund.State.PENDING, Refund.State.UNKNOWN)


@dataclass
class PartSummary:
    """One supplier's part as the buyer sees it: the items, and what became of them since."""

    sub_basket: SubBasket
    items: list[LineItem]
    refunded: int = 0  # money returned (refunds secuconnect executed)
    refunding: int = 0  # refunds on their way (asked, not executed yet)
    reduced: int = 0  # taken off before the buyer paid (an invoice part cancelled)

    @property
    def supplier_name(self) -> str:
        return str(self.sub_basket.supplier.name)

    @property
    def sum(self) -> int:
        return int(self.sub_basket.sum)

    @property
    def left(self) -> int:
        return max(self.sum - self.refunded - self.refunding - self.reduced, 0)

    @property
    def changed(self) -> bool:
        return bool(self.refunded or self.refunding or self.reduced)

    @property
    def shipped_at(self) -> datetime | None:
        return self.sub_basket.shipped_at

    @property
    def carrier(self) -> str:
        return str(self.sub_basket.carrier)

    @property
    def tracking_id(self) -> str:
        return str(self.sub_basket.tracking_id)


@dataclass
class OrderSummary:
    """The order for the buyer's pages: sub-baskets with their items, and the refunds and
    shipments the app has recorded (``Refund`` rows, ``SubBasket.shipped_at``), read from the
    database, never from a URL."""

    order: Order
    parts: list[PartSummary] = field(default_factory=list)
    order_refunded: int = 0  # refunds of the whole order (no sub-basket)
    order_refunding: int = 0
    order_reduced: int = 0

    @property
    def refunded(self) -> int:
        return self.order_refunded + sum(part.refunded for part in self.parts)

    @property
    def refunding(self) -> int:
        return self.order_refunding + sum(part.refunding for part in self.parts)

    @property
    def reduced(self) -> int:
        return self.order_reduced + sum(part.reduced for part in self.parts)

    @property
    def changed(self) -> bool:
        return bool(self.refunded or self.refunding or self.reduced)

    @property
    def left(self) -> int:
        """What the order is worth to the buyer after refunds and reductions."""
        return max(int(self.order.total) - self.refunded - self.refunding - self.reduced, 0)

    @property
    def shipped(self) -> list[PartSummary]:
        return [part for part in self.parts if part.shipped_at is not None]

    @property
    def all_shipped(self) -> bool:
        return bool(self.parts) and len(self.shipped) == len(self.parts)


def order_summary(
    order: Order, refunds: Iterable[tuple[str, str, int | None, int]] | None = None
) -> OrderSummary:
    """Three queries at most: the sub-baskets with their suppliers, their items, the refunds
    (none when ``refunds`` gives them);
    sub-baskets and items already read in this request (kept on the order by a sync) are not
    read again.

    Failed refunds count for nothing; a refund of the whole order (no sub-basket) is shown
    for the order as a whole."""
    subs = load_parts(order)
    parts = {sub.pk: PartSummary(sub_basket=sub, items=list(sub.items.all())) for sub in subs}
    summary = OrderSummary(order=order, parts=list(parts.values()))
    if refunds is None:  # the order's refund records as (kind, state, sub_basket_id, amount)
        refunds = Refund.objects.filter(order=order).values_list(
            "kind", "state", "sub_basket_id", "amount"
        )
    for kind, state, sub_id, amount in refunds:
        if state == Refund.State.FAILED:
            continue
        part = parts.get(sub_id) if sub_id is not None else None
        if kind == Refund.Kind.REDUCTION:
            slot = "reduced"
        elif state in IN_FLIGHT:
            slot = "refunding"
        else:
            slot = "refunded"
        if part is not None:
            setattr(part, slot, getattr(part, slot) + int(amount))
        else:
            name = f"order_{slot}"
            setattr(summary, name, getattr(summary, name) + int(amount))
    return summary


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


def amount_due(order: Order, attempt: CheckoutAttempt | None) -> int:
    """What secuconnect expects from the buyer: the leading transaction's amount as last synced
    (a supplier's part cancelled before payment lowers it) less refunds already granted (an
    invoice refunded in part), else the order's total."""
    if attempt is not None:
        leading = PaymentTransaction.objects.filter(
            attempt=attempt, role=PaymentRole.LEADING
        ).first()
        if leading is not None and leading.amount is not None and 0 < leading.amount <= order.total:
            return refundable(leading)
    return order.total


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


def invoice_settled(attempt: CheckoutAttempt | None) -> bool:
    """Whether the buyer has paid the invoice (its leading transaction says so)."""
    if attempt is None:
        return False
    leading = PaymentTransaction.objects.filter(attempt=attempt, role=PaymentRole.LEADING).first()
    return leading is not None and payer_has_paid("invoice", leading.status, leading.status_simple)


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


def payment_page(
    order: Order, attempt: CheckoutAttempt | None, *, reachable: bool = True
) -> PaymentPage:
    refresh = int(app_settings.CONFIRMING_REFRESH_SECONDS)
    status = order.status
    instructions = (
        order.payment_instructions if order.payment_method in ("prepaid", "invoice") else None
    )
    page = PaymentPage(
        state="", order=order, attempt=attempt, can_retry=status in PAYABLE, amount_due=order.total
    )
    if not reachable:
        # The provider could not be asked: never "failed", never an error page.
        page.state, page.refresh_seconds, page.can_retry = "confirming", refresh, False
    elif status in (S.PAID, S.SHIPPED):
        # An invoice is "paid" for the shop (it may ship) long before the buyer pays it: a
        # captured invoice is 86 / accepted / cleared "open" (docs/provider.md, "Payment
        # Transaction statuses"). The bank details stay until the buyer's money has arrived.
        owes = order.payment_method == "invoice" and instructions and not invoice_settled(attempt)
        page.state = "invoice" if owes else "paid"
    elif status == S.PENDING:
        page.state = "pending_transfer" if instructions else "pending_check"
    elif status == S.AUTHORIZED:
        page.state = "authorized"
    elif status in (S.FAILED, S.ABORTED, S.CANCELLED, S.REFUNDED):
        page.state = str(status)
    elif status == S.NEEDS_REVIEW:
        page.state = "needs_review"
    elif attempt is not None and attempt.returned_via == "success" and _still_confirming(attempt):
        # Back from a successful checkout, but secuconnect does not say so yet: for a while
        # the payment may be on its way; after that the page says it was not paid.
        page.state, page.refresh_seconds = "confirming", refresh
    else:
        page.state = "awaiting"
    page.summary = order_summary(order)
    if order.payment_method == "easycredit" and page.state == "paid":
        page.installments = installment_plan(order.payment_instructions)
    # Bank details only while the buyer still has to transfer: never on a failed, cancelled or
    # settled order, where they would invite a payment nobody expects.
    if instructions and page.state in TRANSFER_STATES:
        page.amount_due = amount_due(order, attempt)
        if page.amount_due > 0:
            page.instructions = instructions
            page.qr_svg = _qr(order, instructions, page.amount_due)
    return page


TRANSFER_STATES = frozenset({"pending_transfer", "invoice", "authorized"})
