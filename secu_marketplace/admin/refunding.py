"""The admin's refund page, in three steps, so that a refund is never one careless click:

1. choose the supplier's part (or the whole order); nothing is chosen beforehand;
2. choose lines and quantities and/or the shipping, or an amount, or everything left, and give
   a reason;
3. confirm a sentence that names the amount, the supplier, the buyer and what is left.

Only the confirmation calls the refund service (``services.refunds.refund``), and so
secuconnect; the messages afterwards name the order, the supplier, the amount and the outcome.
The view checks ``refund_order`` (``admin.processing``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from secu_marketplace.admin.display import explain
from secu_marketplace.admin.refund_forms import Preview, RefundForm, chosen_part, part_choices
from secu_marketplace.exceptions import ProcessingError, SecuconnectError, StaleRefund
from secu_marketplace.models import Order, Refund
from secu_marketplace.money import format_money
from secu_marketplace.read.balances import order_balance
from secu_marketplace.read.payments import newest_refund
from secu_marketplace.rules.statuses import RefundKind, RefundState, Source
from secu_marketplace.services import refunds

CONFIRM = "confirm"
STALE = gettext_noop(
    "The figures changed since you saw them: another refund was recorded on this order. "
    "Nothing was sent. Check the figures below and confirm again."
)


def outcome_words(record: Refund) -> str:
    """What became of a refund, in staff's words."""
    if record.state == RefundState.DONE and record.kind == RefundKind.REDUCTION:
        return _("done: the buyer owes that much less")
    words: dict[str, str] = {
        RefundState.DONE: _("done"),
        RefundState.PENDING: _("on its way: secuconnect executes it with its next bank run"),
        RefundState.UNKNOWN: _("outcome unknown: the answer was lost, the next sync settles it"),
        RefundState.FAILED: _("failed"),
        RefundState.REQUESTED: _("requested"),
    }
    return words.get(record.state, str(record.state))


def result_message(order: Order, record: Refund) -> str:
    """ "Order T-1: 10.00 EUR of Musterhändler Kaffee & Tee's part refunded to Max Mustermann:
    done." """
    values = {
        "order": order.reference,
        "amount": format_money(record.amount, record.currency),
        "buyer": order.buyer_name,
        "outcome": outcome_words(record),
    }
    if record.sub_basket is None:
        return _("Order %(order)s: %(amount)s of the whole order cancelled: %(outcome)s.") % values
    values["supplier"] = record.sub_basket.supplier.name
    if record.kind == RefundKind.REDUCTION:
        text = _(
            "Order %(order)s: %(amount)s of %(supplier)s's part cancelled for %(buyer)s: "
            "%(outcome)s."
        )
    else:
        text = _(
            "Order %(order)s: %(amount)s of %(supplier)s's part refunded to %(buyer)s: %(outcome)s."
        )
    return text % values


def refund_view(admin: Any, request: HttpRequest, order: Order) -> HttpResponse:
    """The page, whichever step the request is at (module docstring)."""
    balance = order_balance(order)
    source = request.POST if request.method == "POST" else request.GET
    named, part = chosen_part(balance, source.get("sub_basket"))
    title = _("Refund order %s") % order.reference
    context: dict[str, Any] = {"balance": balance, "step": "part", "choices": part_choices(balance)}
    if not named:
        return admin._page(request, order, None, title, "refund.html", context)
    form = RefundForm(request.POST or None, balance=balance, part=part)
    context.update(step="what", part=part)
    if request.method == "POST" and form.is_valid():
        preview: Preview = form.cleaned_data["preview"]
        confirm_again = {"step": CONFIRM, "preview": preview, "seen": newest_refund(order)}
        if request.POST.get("step") != CONFIRM:
            context.update(confirm_again)
        else:
            try:
                records = _refund(order, form.cleaned_data, preview, _seen(request))
            except StaleRefund:
                # A colleague's refund, or this confirmation sent twice: the figures shown
                # are no longer true. Show the new ones; nothing was sent.
                context.update(confirm_again)
                form.add_error(None, _(STALE))
            except (ProcessingError, SecuconnectError) as error:
                form.add_error(None, explain(error))
            else:
                for record in records:
                    failed = record.state == RefundState.FAILED
                    level = messages.ERROR if failed else messages.SUCCESS
                    admin.message_user(request, result_message(order, record), level)
                return admin._back(order)
    return admin._page(request, order, form, title, "refund.html", context)


def _seen(request: HttpRequest) -> int:
    """The newest refund the confirmation page saw (-1, never an id, when the page sent none:
    a request that skipped the confirmation is never sent)."""
    seen = request.POST.get("seen", "")
    return int(seen) if seen.isdigit() else -1


def _refund(order: Order, data: dict[str, Any], preview: Preview, seen: int) -> list[Refund]:
    """Send the confirmed refund (the form was validated again: what staff confirmed, unless
    a refund was recorded since the confirmation page: ``StaleRefund``)."""
    part, chosen = preview.part, preview.chosen
    lines = {}
    if chosen is not None:
        lines = {
            line["line"]: line["quantity"] for line in chosen.lines if line["kind"] == "article"
        }
    outcome = refunds.refund(
        order,
        sub_basket=part.sub_basket if part is not None else None,
        amount=preview.amount if part is not None and chosen is None else None,
        lines=lines or None,
        shipping=bool(data.get("shipping")),
        reason=data["reason"],
        reduce_stakeholder_payment=data["reduce_stakeholder_payment"],
        source=Source.ADMIN,
        seen_refunds=seen,
    )
    return outcome.refunds
