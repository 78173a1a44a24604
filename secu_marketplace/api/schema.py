"""The API's OpenAPI 3 schema and its interactive page, limited to this API's own endpoints
(whatever else the project mounts), served from the installed packages: no CDN."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

SETTINGS = {
    "TITLE": "secu-marketplace headless API",
    "DESCRIPTION": (
        "Start the checkout of an order, read its payment state and the buyer's summary, and "
        "the payment methods its suppliers accept. Authorised by the order's public token in "
        "the URL, as the buyer's pages are. Amounts are integer minor units (cents)."
    ),
    "VERSION": "1",
    "PREPROCESSING_HOOKS": ["secu_marketplace.api.schema.only_this_api"],
    # One name for the payment methods, wherever they appear.
    "ENUM_NAME_OVERRIDES": {"PaymentMethodEnum": "secu_marketplace.rules.payments.PAYMENT_METHODS"},
}


def only_this_api(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular's preprocessing hook: the buyer endpoints of this API, whatever else
    the project mounts (the schema and its page describe nothing)."""
    from secu_marketplace.api.views import BuyerView

    return [e for e in endpoints if issubclass(getattr(e[3], "cls", object), BuyerView)]


class SchemaView(SpectacularAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    custom_settings = SETTINGS


class DocsView(SpectacularSwaggerView):
    """Swagger UI from drf-spectacular-sidecar's static files."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    url_name = "secu_marketplace_api:schema"
    title = str(SETTINGS["TITLE"])

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        missing = [
            a for a in ("drf_spectacular", "drf_spectacular_sidecar") if not apps.is_installed(a)
        ]
        if missing:
            raise ImproperlyConfigured(
                "The API's interactive page needs INSTALLED_APPS += "
                f"{missing!r} (its template and its static files, served by staticfiles)."
            )
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        from django.templatetags.static import static

        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        from django.templatetags.static import static

        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
