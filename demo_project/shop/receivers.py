"""The demo shop's answer to the app's signals: plain-text e-mails to the buyer and suppliers.

Connected in ``ShopConfig.ready()``. The app sends each signal once per real transition, after
commit, whichever way the news came (return page, push, staff, reconciliation), so each mail
goes out once without any bookkeeping here. Receivers run through ``send_robust``: a mail server
that is down is logged by the app and never undoes a payment. The demo's mail backend
prints the mails on the server's console.

- ``order_paid``: the buyer (order confirmed; for an invoice secupay accepted, "please pay the
  invoice") and each supplier with an e-mail address (their own sub-basket: items, sum, the
  marketplace fee taken, the delivery address; "ready to ship, invoice open" when the buyer pays
  by invoice and has not yet). One receiver for both, so the parts and the payment are read once.
- ``order_pending``: the buyer, with the transfer instructions (prepaid) or "being checked".
- ``invoice_paid``: the buyer, that their payment has arrived.
- ``order_refunded``: the buyer, with the amount and whose part.
- ``sub_basket_shipped``: the buyer, with carrier and tracking id.
- ``order_payment_reminder``: the buyer of a prepayment, with the deadline and the bank details;
  staff for an invoice that has not shipped.
- ``order_expired``: the buyer, that the unpaid order was cancelled.
- ``sub_basket_disputed`` / ``sub_basket_dispute_resolved``: staff (``SHOP_STAFF_EMAIL``), never
  the buyer: a chargeback or returned debit is the shop's to settle.
- ``order_failed`` is not mailed: the buyer is on the payment page and can try again there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from secu_marketplace import signals
from secu_marketplace.conf import app_settings
from secu_marketplace.models import LineItem, Order, Refund, SubBasket, load_parts
from secu_marketplace.money import format_money
from secu_marketplace.read.balances import order_balance
from secu_marketplace.rules.statuses import DisputeState, OrderStatus, RefundKind

from .forms import PAYMENT_METHODS

logger = logging.getLogger(__name__)


# status_simple of a supplier's part that will never be paid out: denied, void.
def _send(to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    """One mail; one that cannot be sent is logged and stops neither the others nor the
    payment (the app's signals are sent after commit, through ``send_robust``)."""
    if not to:
        return
    try:
        body = render_to_string(f"shop/mail/{template}.txt", context)
        send_mail(subject, body, None, [to])
    except Exception:
        logger.exception("could not send the %s mail to %s", template, to)


def _buyer_language(order: Order) -> str:
    return order.language or settings.LANGUAGE_CODE


def _money(amount: int, order: Order) -> str:
    return format_money(amount, order.currency)


def _order_url(order: Order) -> str:
    return app_settings.site_url + reverse("shop:order", args=[order.public_token])


def _method(order: Order) -> str:
    return str(dict(PAYMENT_METHODS).get(order.payment_method, order.payment_method))


def _items(sub: SubBasket, order: Order) -> list[dict[str, Any]]:
    return [
        {
            "quantity": item.quantity,
            "description": item.description,
            "is_shipping": item.kind == LineItem.Kind.SHIPPING,
            "total": _money(item.total, order),
        }
        for item in sub.items.all()
    ]


def _sub_baskets(order: Order) -> list[SubBasket]:
    """Every sub-basket with its supplier and items: one query however many, none when the
    sync that sent the signal has read them already (they are kept on the order)."""
    return load_parts(order)


def _payment(order: Order) -> tuple[int, set[int]]:
    """What secuconnect holds for the order (less any part cancelled before the money moved;
    the order's total while it has not said), and the sub-baskets whose part is cancelled.
    Read afresh: the signal's order may carry a balance read before the change."""
    balance = order_balance(order)
    return balance.held, {part.sub_basket.pk for part in balance.parts if part.cancelled}


def _common(order: Order, amount: int) -> dict[str, Any]:
    return {
        "order": order,
        "total": _money(amount, order),
        "method": _method(order),
        "order_url": _order_url(order),
    }


def _instructions(order: Order, amount: int) -> dict[str, Any] | None:
    info = order.payment_instructions
    if not isinstance(info, dict) or not info.get("iban"):
        return None
    return {
        "owner": info.get("owner", ""),
        "iban": info.get("iban", ""),
        "bic": info.get("bic", ""),
        "purpose": info.get("purpose", ""),
        "amount": _money(amount, order),
    }


def order_paid(sender: Any, order: Order, **kwargs: Any) -> None:
    """The buyer and the suppliers, from one read of the parts and the payment."""
    subs = _sub_baskets(order)
    amount, dead = _payment(order)
    _paid_buyer(order, subs, amount, dead)
    _paid_suppliers(order, subs, amount, dead)


def _invoice_open(order: Order) -> bool:
    """secupay accepted the invoice; the buyer has not paid it (the goods ship first)."""
    return order.status == OrderStatus.CONFIRMED


def _paid_buyer(order: Order, subs: list[SubBasket], amount: int, dead: set[int]) -> None:
    """The buyer: the order is confirmed (and the invoice to pay, for an invoice)."""
    with translation.override(_buyer_language(order)):
        subject = (
            _("Order %(reference)s confirmed: please pay the invoice")
            if _invoice_open(order)
            else _("Order %(reference)s confirmed")
        )
        _send(
            order.email,
            subject % {"reference": order.reference},
            "order_paid_buyer",
            {
                **_common(order, amount),
                "parts": [
                    {"supplier": sub.supplier.name, "sum": _money(sub.sum, order)}
                    for sub in subs
                    if sub.pk not in dead
                ],
                # An invoice is paid later: tell the buyer where to.
                "instructions": (
                    _instructions(order, amount) if order.payment_method == "invoice" else None
                ),
            },
        )


def _paid_suppliers(order: Order, subs: list[SubBasket], amount: int, dead: set[int]) -> None:
    """Each supplier whose part was not cancelled: what to ship, where, and the money."""
    with translation.override(settings.LANGUAGE_CODE):
        for sub in subs:
            if sub.pk in dead or not sub.supplier.email:
                continue
            subject = (
                _("New order %(reference)s: ready to ship, invoice open")
                if _invoice_open(order)
                else _("New paid order %(reference)s: please ship")
            )
            _send(
                sub.supplier.email,
                subject % {"reference": order.reference},
                "order_paid_supplier",
                {
                    **_common(order, amount),
                    "invoice_open": _invoice_open(order),
                    "supplier": sub.supplier.name,
                    "sub_basket": sub,
                    "items": _items(sub, order),
                    "sum": _money(sub.sum, order),
                    "fee": _money(sub.fee, order),
                    "payout": _money(sub.sum - sub.fee, order),
                },
            )


def order_pending(sender: Any, order: Order, **kwargs: Any) -> None:
    amount, _dead = _payment(order)
    with translation.override(_buyer_language(order)):
        instructions = _instructions(order, amount) if order.payment_method == "prepaid" else None
        if instructions:
            subject = _("Order %(reference)s: please transfer %(amount)s") % {
                "reference": order.reference,
                "amount": instructions["amount"],
            }
        else:
            subject = _("Order %(reference)s: your payment is being checked") % {
                "reference": order.reference
            }
        _send(
            order.email,
            subject,
            "order_pending_buyer",
            {**_common(order, amount), "instructions": instructions},
        )


def order_refunded(
    sender: Any,
    order: Order,
    amount: int,
    sub_basket: SubBasket | None = None,
    refund: Refund | None = None,
    **kwargs: Any,
) -> None:
    supplier = sub_basket.supplier.name if sub_basket is not None else ""
    with translation.override(_buyer_language(order)):
        _send(
            order.email,
            _("Order %(reference)s: %(amount)s refunded")
            % {"reference": order.reference, "amount": _money(amount, order)},
            "order_refunded_buyer",
            {
                **_common(order, order.total),
                "amount": _money(amount, order),
                "supplier": supplier,
                "reduction": refund is not None and refund.kind == RefundKind.REDUCTION,
                "reason": refund.reason if refund is not None else "",
            },
        )


def sub_basket_shipped(sender: Any, order: Order, sub_basket: SubBasket, **kwargs: Any) -> None:
    sub = (
        SubBasket.objects.select_related("supplier").prefetch_related("items").get(pk=sub_basket.pk)
    )
    with translation.override(_buyer_language(order)):
        _send(
            order.email,
            _("Order %(reference)s: %(supplier)s has shipped")
            % {"reference": order.reference, "supplier": sub.supplier.name},
            "sub_basket_shipped_buyer",
            {
                **_common(order, order.total),
                "supplier": sub.supplier.name,
                "sub_basket": sub,
                "items": [item for item in _items(sub, order) if not item["is_shipping"]],
            },
        )


def invoice_paid(sender: Any, order: Order, amount: int, **kwargs: Any) -> None:
    with translation.override(_buyer_language(order)):
        _send(
            order.email,
            _("Order %(reference)s: your payment has arrived") % {"reference": order.reference},
            "invoice_paid_buyer",
            {**_common(order, amount), "amount": _money(amount, order)},
        )


def order_payment_reminder(sender: Any, order: Order, pay_by: datetime, **kwargs: Any) -> None:
    """A prepayment's buyer is asked again, with the deadline; an invoice waits for the
    suppliers to ship, so staff are told."""
    if order.payment_method != "prepaid":
        _staff(
            _("Order %(reference)s has not shipped: it is cancelled on %(date)s")
            % {"reference": order.reference, "date": date_format(pay_by, "DATE_FORMAT")},
            {"order": order, "pay_by": pay_by, "admin_url": _admin_url(order)},
            "order_payment_reminder_staff",
        )
        return
    amount, _dead = _payment(order)
    with translation.override(_buyer_language(order)):
        _send(
            order.email,
            _("Order %(reference)s: please transfer %(amount)s by %(date)s")
            % {
                "reference": order.reference,
                "amount": _money(amount, order),
                "date": date_format(pay_by, "DATE_FORMAT"),
            },
            "order_payment_reminder_buyer",
            {
                **_common(order, amount),
                "pay_by": pay_by,
                "instructions": _instructions(order, amount),
            },
        )


def order_expired(sender: Any, order: Order, pay_by: datetime, **kwargs: Any) -> None:
    with translation.override(_buyer_language(order)):
        _send(
            order.email,
            _("Order %(reference)s has expired") % {"reference": order.reference},
            "order_expired_buyer",
            {**_common(order, order.total), "pay_by": pay_by},
        )


def _admin_url(order: Order) -> str:
    return app_settings.site_url + reverse("admin:secu_marketplace_order_change", args=[order.pk])


def _staff(subject: str, context: dict[str, Any], template: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _send(getattr(settings, "SHOP_STAFF_EMAIL", ""), subject, template, context)


def sub_basket_disputed(sender: Any, order: Order, sub_basket: SubBasket, **kwargs: Any) -> None:
    """Staff, never the buyer: the money for a supplier's part came back."""
    _dispute_mail(order, sub_basket, resolved=False)


def sub_basket_dispute_resolved(
    sender: Any, order: Order, sub_basket: SubBasket, dispute: str, **kwargs: Any
) -> None:
    _dispute_mail(order, sub_basket, resolved=True, lost=dispute == DisputeState.LOST)


def _dispute_mail(order: Order, sub: SubBasket, *, resolved: bool, lost: bool = False) -> None:
    values = {"reference": order.reference, "supplier": sub.supplier.name}
    if not resolved:
        subject = _("Chargeback on order %(reference)s: %(supplier)s's part") % values
    elif lost:
        subject = _("Chargeback on order %(reference)s lost: %(supplier)s's part") % values
    else:
        subject = _("Chargeback on order %(reference)s resolved: %(supplier)s's part") % values
    context = {
        **_common(order, order.total),
        "sub_basket": sub,
        "supplier": sub.supplier.name,
        "sum": _money(sub.sum, order),
        "resolved": resolved,
        "lost": lost,
        "admin_url": _admin_url(order),
    }
    _staff(subject, context, "sub_basket_disputed_staff")


RECEIVERS: tuple[tuple[Signal, Callable[..., None]], ...] = (
    (signals.order_paid, order_paid),
    (signals.order_pending, order_pending),
    (signals.invoice_paid, invoice_paid),
    (signals.order_refunded, order_refunded),
    (signals.sub_basket_shipped, sub_basket_shipped),
    (signals.order_payment_reminder, order_payment_reminder),
    (signals.order_expired, order_expired),
    (signals.sub_basket_disputed, sub_basket_disputed),
    (signals.sub_basket_dispute_resolved, sub_basket_dispute_resolved),
)


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, sender=Order, dispatch_uid=f"shop.mail.{receiver.__name__}")
