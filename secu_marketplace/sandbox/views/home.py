"""The sandbox's own front page (``<mount>/``): what it is, where its API is, and (in DEBUG
only) the latest Smart Transactions with their hosted checkout pages, for a developer exploring
the demo. Without DEBUG (a deliberate public demo) the list would show every buyer's order and
checkout page to anyone: it is left out."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from secu_marketplace.sandbox.models import SmartTransaction


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    latest = (
        SmartTransaction.objects.order_by("-pk").only(
            "stx_id", "status", "merchant_ref", "payment_method", "created"
        )[:10]
        if settings.DEBUG
        else None
    )
    return render(
        request,
        "secu_sandbox/home.html",
        {
            "api_base": request.build_absolute_uri(reverse("secu_sandbox:smart-collection")).rsplit(
                "/Smart/", 1
            )[0],
            "token_url": request.build_absolute_uri(reverse("secu_sandbox:oauth-token")),
            "latest": latest,
            "listed": latest is not None,
        },
    )
