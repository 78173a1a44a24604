"""What the buyer's payment page shows, decided from the order and its attempt (never from the
URL's outcome word alone: that only words the message when nothing has happened yet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe

from .conf import app_settings
from .girocode import epc_svg
from .models import Order, SmartTransaction
from .statuses import PAYABLE, OrderStatus

S = OrderStatus


@dataclass
class PaymentPage:
    state: str
    order: Order
    attempt: SmartTransaction | None
    instructions: dict[str, Any] | None = None
    qr_svg: SafeString | None = None
    can_retry: bool = False
    refresh_seconds: int = 0

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
            "pay_url": self.order.get_payment_url(),
            "cart_url": cart_url(),
        }


def cart_url() -> str:
    target = getattr(app_settings, "CART_URL", None)
    if not target:
        return ""
    try:
        return reverse(target)
    except NoReverseMatch:
        return str(target)


def _qr(order: Order, instructions: dict[str, Any]) -> SafeString | None:
    svg = epc_svg(
        name=str(instructions.get("owner") or ""),
        iban=str(instructions.get("iban") or ""),
        bic=str(instructions.get("bic") or ""),
        amount=order.total,
        currency=order.currency,
        purpose=str(instructions.get("purpose") or ""),
    )
    # segno's SVG is built from the QR matrix and fixed markup, never from the buyer's input.
    return mark_safe(svg) if svg else None  # noqa: S308


def payment_page(
    order: Order, attempt: SmartTransaction | None, *, reachable: bool = True
) -> PaymentPage:
    refresh = int(app_settings.CONFIRMING_REFRESH_SECONDS)
    status = order.status
    instructions = (
        order.payment_instructions if order.payment_method in ("prepaid", "invoice") else None
    )
    page = PaymentPage(state="", order=order, attempt=attempt, can_retry=status in PAYABLE)
    if instructions:
        page.instructions = instructions
        page.qr_svg = _qr(order, instructions)
    if not reachable:
        # The provider could not be asked: never "failed", never an error page.
        page.state, page.refresh_seconds, page.can_retry = "confirming", refresh, False
    elif status in (S.PAID, S.SHIPPED):
        page.state = "invoice" if order.payment_method == "invoice" and instructions else "paid"
    elif status == S.PENDING:
        page.state = "pending_transfer" if instructions else "pending_check"
    elif status == S.AUTHORIZED:
        page.state = "authorized"
    elif status in (S.FAILED, S.ABORTED, S.CANCELLED, S.REFUNDED):
        page.state = str(status)
    elif status == S.NEEDS_REVIEW:
        page.state = "needs_review"
    elif attempt is not None and attempt.returned_via == "success":
        # Back from a successful checkout, but secuconnect does not say so yet.
        page.state, page.refresh_seconds = "confirming", refresh
    else:
        page.state = "awaiting"
    return page
