"""The demo shop's pages: catalogue, cart, checkout and the buyer's order page. Thin: the cart
lives in ``cart.py``, turning it into an order in ``checkout.py``."""

from __future__ import annotations

import logging
from itertools import groupby

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from secu_marketplace.exceptions import BasketError, CheckoutError, SecuconnectError
from secu_marketplace.models import Order
from secu_marketplace.read import order_balance
from secu_marketplace.read.words import buyer_chip
from secu_marketplace.rules.statuses import SHIPPABLE
from secu_marketplace.services.supplier_contracts import accepted_methods, order_contracts

from .cart import Cart, shipping_rate
from .checkout import place_order
from .forms import (
    GUIDE_BUYER,
    PAYMENT_METHODS,
    AddToCartForm,
    CheckoutForm,
    PayForm,
    QuantityForm,
)
from .models import Product

logger = logging.getLogger(__name__)
# The product just added to the cart, shown once in its card on the catalogue.
ADDED_KEY = "shop_added"


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form was on (a local ``next``), else to ``default``."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse(default)
    return HttpResponseRedirect(target)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    products = (
        Product.objects.filter(is_active=True, supplier__is_active=True)
        .select_related("supplier", "supplier__shipping_rate")
        .order_by("supplier__name", "supplier_id", "name")
    )
    catalogue = [
        (supplier, shipping_rate(supplier), list(items))
        for supplier, items in groupby(products, key=lambda p: p.supplier)
    ]
    # "Added to cart" is shown in the product's own card, where the buyer just clicked.
    added = request.session.pop(ADDED_KEY, None)
    quantities = Cart(request.session).quantities()
    return render(
        request,
        "shop/home.html",
        {
            "catalogue": catalogue,
            "added": added,
            "added_quantity": quantities.get(added, 0) if isinstance(added, int) else 0,
        },
    )


@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    basket = Cart(request.session)
    basket.settle()
    return render(request, "shop/cart.html", {"cart": basket.contents()})


@require_POST
def cart_add(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id, is_active=True, supplier__is_active=True)
    data = request.POST.copy()
    data.setdefault("quantity", "1")
    form = AddToCartForm(data)
    if form.is_valid():
        Cart(request.session).add(product.pk, form.cleaned_data["quantity"])
        if request.POST.get("next"):
            # Back to the product's card, which says so beside the button (shop/home.html).
            request.session[ADDED_KEY] = product.pk
        else:
            messages.success(request, _("%(product)s is in your cart.") % {"product": product.name})
    else:
        messages.error(request, _("Please enter a quantity between 1 and 99."))
    return _back(request, "shop:cart")


@require_POST
def cart_update(request: HttpRequest, product_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if form.is_valid():
        Cart(request.session).set_quantity(product_id, form.cleaned_data["quantity"])
    else:
        messages.error(request, _("Please enter a quantity between 0 and 99."))
    return redirect("shop:cart")


@require_POST
def cart_remove(request: HttpRequest, product_id: int) -> HttpResponse:
    Cart(request.session).remove(product_id)
    return redirect("shop:cart")


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    basket = Cart(request.session)
    basket.settle()
    contents = basket.contents()
    if contents.is_empty:
        messages.info(request, _("Your cart is empty."))
        return redirect("shop:cart")
    form = CheckoutForm(request.POST or None, initial=GUIDE_BUYER)
    if form.is_valid():
        try:
            order = place_order(contents, form.buyer(), language=get_language() or "")
        except BasketError as error:
            logger.warning("cart refused at checkout: %s", error)
            form.add_error(
                None, _("Your cart could not be ordered. Please check it and try again.")
            )
        else:
            # Kept until the order is paid: "Back to cart" after a failed payment finds it.
            basket.ordered(order)
            return redirect("shop:order", token=order.public_token)
    return render(request, "shop/checkout.html", {"form": form, "cart": contents})


def _accepted_methods(placed: Order) -> list[str] | None:
    """Offer only what every supplier's contract accepts (cached by the app); when secuconnect
    cannot say now, offer every method: "Pay now" checks again and names the supplier."""
    try:
        return accepted_methods(order_contracts(placed))
    except (CheckoutError, SecuconnectError) as error:
        logger.info("payment methods of order %s not known now: %s", placed.reference, error)
        return None


@require_GET
@never_cache
def order(request: HttpRequest, token: str) -> HttpResponse:
    placed = get_object_or_404(Order, public_token=token)
    summary = order_balance(placed)
    context = {
        "order": placed,
        # Sub-baskets, items, refunds and shipments, as on the app's payment page.
        "summary": summary,
        # "paid" only once the buyer has paid: an invoice is "please pay the invoice" till then.
        "status_chip": buyer_chip(
            placed.status,
            placed.payment_method,
            buyer_paid=summary.paid,
            expired=placed.expired_at is not None,
        ),
        "may_ship": placed.status in SHIPPABLE,
        "can_pay": placed.is_payable,
        "has_payment": placed.attempts.exists(),
        "payment_method": (
            dict(PAYMENT_METHODS).get(placed.payment_method, placed.payment_method)
            if placed.payment_method
            else ""
        ),
        "pay_form": PayForm(accepted=_accepted_methods(placed) if placed.is_payable else None),
        # The marketplace's fee is between the marketplace and its suppliers: staff only.
        "show_fees": request.user.is_staff,
    }
    return render(request, "shop/order.html", context)
