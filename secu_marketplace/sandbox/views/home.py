"""The sandbox's own front page (``<mount>/``): what it is, where its API is, and the latest
Smart Transactions with their hosted checkout pages, for people exploring the demo."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from secu_marketplace.sandbox.models import SmartTransaction


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    latest = SmartTransaction.objects.order_by("-pk").only(
        "stx_id", "status", "merchant_ref", "payment_method", "created"
    )[:10]
    return render(
        request,
        "secu_sandbox/home.html",
        {
            "api_base": request.build_absolute_uri(reverse("secu_sandbox:smart-collection")).rsplit(
                "/Smart/", 1
            )[0],
            "token_url": request.build_absolute_uri(reverse("secu_sandbox:oauth-token")),
            "latest": latest,
        },
    )
