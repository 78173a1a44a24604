"""The hosted checkout page: Smart Checkout played for a tester.

Server-rendered, German and English, usable without JavaScript. It shows the merchant and the
basket per supplier, asks for customer details when none were given, offers the allowed methods
and lets the tester pick the outcome; submitting authorises exactly as ``/prepare`` does and sends
the browser to ``url_success``, ``url_error`` or ``url_abort``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from secu_marketplace.sandbox import smart_ops
from secu_marketplace.sandbox.api import mount_url
from secu_marketplace.sandbox.errors import Conflict, ProductError
from secu_marketplace.sandbox.forms import METHOD_LABELS, CheckoutForm
from secu_marketplace.sandbox.models import Contract, SmartTransaction

LANGUAGES = ("de", "en")


def _language(request: HttpRequest, stx: SmartTransaction | None) -> str:
    wanted = request.GET.get("lang") or (stx.application_context.get("language") if stx else None)
    return wanted if wanted in LANGUAGES else "de"


def _baskets(stx: SmartTransaction) -> list[dict[str, Any]]:
    """The basket grouped per supplier for display; a regular basket is one group."""
    basket = stx.basket or {}
    currency = stx.basket_info.get("currency", "EUR")
    if basket.get("type") != "mixed":
        items = basket.get("products") or []
        return [
            {
                "name": stx.merchant.companyname,
                "items": _lines(items),
                "sum": stx.basket_info["sum"],
                "currency": currency,
            }
        ]
    names = dict(
        Contract.objects.filter(
            contract_id__in=[p["contract_id"] for p in basket["products"]]
        ).values_list("contract_id", "name")
    )
    return [
        {
            "name": names.get(product["contract_id"]) or product.get("desc"),
            "desc": product.get("desc"),
            "reference_id": product["reference_id"],
            "items": _lines(product["sub_basket"]),
            "sum": product["sum"],
            "currency": currency,
        }
        for product in basket["products"]
    ]


def _lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for item in items:
        if item.get("item_type") == "stakeholder_payment":
            continue  # the marketplace's fee is not the buyer's business
        sign = -1 if item.get("item_type") == "coupon" else 1
        lines.append({**item, "total": sign * item["priceOne"] * item["quantity"]})
    return lines


class Ending(StrEnum):
    """Why the page shows ``finished.html`` instead of the form; the template words each."""

    EXPIRED = "expired"  # unpaid after CHECKOUT_TTL
    CANCELLED = "cancelled"  # aborted, cancelled or voided by the shop
    DONE = "done"  # authorised, here or elsewhere: nothing left to pay
    ABORTED = "aborted"  # the tester gave up, and the shop named no URL to go back to


def _finished(
    request: HttpRequest, stx: SmartTransaction, reason: Ending, status: int
) -> HttpResponse:
    back = (
        stx.return_url("url_success")
        if stx.status not in ("failed", "cancelled")
        else stx.return_url("url_error")
    )
    return render(
        request,
        "secu_sandbox/finished.html",
        {"stx": stx, "reason": reason, "back": back},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, stx_id: str) -> HttpResponse:
    stx = (
        SmartTransaction.objects.select_related("merchant", "customer", "contract", "client")
        .filter(stx_id=stx_id)
        .first()
    )
    with translation.override(_language(request, stx)):
        if stx is None:
            return render(request, "secu_sandbox/not_found.html", {"stx_id": stx_id}, status=404)
        closed = _closed(stx)
        if closed is not None:
            return _finished(request, stx, *closed)
        form = CheckoutForm(
            request.POST or None, methods=_offered(request, stx), ask_customer=stx.customer is None
        )
        if request.method == "POST" and request.POST.get("action") == "abort":
            target = stx.return_url("url_abort") or stx.return_url("url_error")
            if target:
                return HttpResponseRedirect(target)
            return _finished(request, stx, Ending.ABORTED, 200)
        if request.method == "POST" and form.is_valid():
            return _submit(request, stx, form)
        return _page(request, stx, form)


def _closed(stx: SmartTransaction) -> tuple[Ending, int] | None:
    """Why the page can no longer take a payment, with the HTTP status; None while it can."""
    if smart_ops.expired(stx) and not stx.closed:
        return Ending.EXPIRED, 410
    if stx.closed or stx.status == "cancelled":
        # Aborted, cancelled or voided, whatever status that left (ABORT_STATUS, CANCEL_STATUS).
        return Ending.CANCELLED, 409
    if stx.status not in ("created", "failed"):
        return Ending.DONE, 409
    return None


def _offered(request: HttpRequest, stx: SmartTransaction) -> list[str]:
    """The methods the page offers: those allowed, or only the one a per-method link names."""
    methods = smart_ops.allowed_methods(stx)
    wanted = request.GET.get("method")
    if wanted in methods:
        return [wanted]  # a per-method link offers only that method's steps
    return methods


def _submit(request: HttpRequest, stx: SmartTransaction, form: CheckoutForm) -> HttpResponse:
    """Authorise as ``/prepare`` does and send the browser back to the shop; a refusal is shown
    on the page."""
    try:
        paid = smart_ops.authorise(
            stx.client,
            stx.stx_id,
            form.cleaned_data["method"],
            outcome=form.cleaned_data["outcome"],
            contact=form.contact(),
            base=mount_url(request),
        )
    except Conflict:
        # Paid (or expired) meanwhile, e.g. in another tab: say so, as a GET would.
        stx.refresh_from_db()
        if smart_ops.expired(stx):
            return _finished(request, stx, Ending.EXPIRED, 410)
        return _finished(request, stx, Ending.DONE, 409)
    except ProductError as exc:
        return _page(request, stx, form, error=exc.details)
    target = paid.return_url("url_error" if paid.status == "failed" else "url_success")
    if target:
        return HttpResponseRedirect(target)
    return _finished(request, paid, Ending.DONE, 200)


def _page(
    request: HttpRequest, stx: SmartTransaction, form: CheckoutForm, error: str = ""
) -> HttpResponse:
    return render(
        request,
        "secu_sandbox/checkout.html",
        {
            "stx": stx,
            "form": form,
            "error": error,
            "baskets": _baskets(stx),
            "total": stx.basket_info["sum"],
            "currency": stx.basket_info.get("currency", "EUR"),
            "method_labels": METHOD_LABELS,
            "language": translation.get_language(),
            "retry": stx.status == "failed",
            # Without url_abort the shop's url_error takes the abort; without either, Smart
            # Checkout does not offer to abort (docs/provider.md, "Smart Transactions").
            "can_abort": bool(stx.return_url("url_abort") or stx.return_url("url_error")),
        },
    )
