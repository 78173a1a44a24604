"""The buyer-facing views: "Pay now", the return URLs and the order's payment page.

Each one parses, calls one service, and renders or redirects.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from secu_marketplace.exceptions import (
    ApiError,
    AuthenticationError,
    BasketError,
    CheckoutError,
    ProviderUnavailable,
)
from secu_marketplace.links import OUTCOMES, follow_return
from secu_marketplace.models import Order
from secu_marketplace.read.presentation import shop_url
from secu_marketplace.served import follow_server, page_note
from secu_marketplace.services.checkout import start_checkout
from secu_marketplace.services.sync import buyer_page, return_page

logger = logging.getLogger(__name__)


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


@require_POST
@never_cache
@follow_server
def pay(request: HttpRequest, token: str) -> HttpResponse:
    """The shop's "Pay now" button POSTs here; answers 303 to Smart Checkout."""
    order = get_object_or_404(Order, public_token=token)
    method = request.POST.get("method", "")
    note = page_note(request)
    try:
        started = start_checkout(order, method=method)
    except CheckoutError:
        return HttpResponseSeeOther(order_status_url(order))
    except BasketError as error:
        logger.error("order %s cannot be paid: %s", order.reference, error)
        context = {"order": order, **note}
        return render(request, "secu_marketplace/checkout_error.html", context, status=400)
    except ProviderUnavailable:
        context = {"order": order, **note}
        return render(request, "secu_marketplace/unavailable.html", context, status=503)
    except AuthenticationError as error:
        # Revoked or wrong credentials: staff must act; the buyer is told payment is down.
        logger.critical("secuconnect refused the shop's credentials: %s", error)
        context = {"order": order, "reason": "configuration", **note}
        return render(request, "secu_marketplace/unavailable.html", context, status=503)
    except ApiError as error:
        logger.error("secuconnect refused the checkout of %s: %s", order.reference, error)
        context = {"order": order, **note}
        return render(request, "secu_marketplace/checkout_error.html", context, status=502)
    return HttpResponseSeeOther(started.url)


def order_status_url(order: Order) -> str:
    return reverse("secu_marketplace:status", args=[order.public_token])


@require_GET
@never_cache
@follow_server
def returned(request: HttpRequest, token: str, outcome: str) -> HttpResponse:
    """``url_success``, ``url_error`` and ``url_abort``: re-read, then show where things stand."""
    if outcome not in OUTCOMES:
        raise Http404
    link = follow_return(token)
    if link is None:
        raise Http404
    if link.expired:
        # No sync and no order on the page: an old link (a browser history, a forwarded mail)
        # shows nobody the order; the status page is the link for later visits.
        context = {"shop_url": shop_url()}
        return render(request, "secu_marketplace/link_expired.html", context, status=410)
    page = return_page(link.attempt, outcome)
    return render(
        request, "secu_marketplace/payment.html", {**page.context(), **page_note(request)}
    )


@require_GET
@never_cache
@follow_server
def status(request: HttpRequest, token: str) -> HttpResponse:
    """The order's payment page, for a buyer who comes back later."""
    order = get_object_or_404(Order, public_token=token)
    page = buyer_page(order)
    return render(
        request, "secu_marketplace/payment.html", {**page.context(), **page_note(request)}
    )
