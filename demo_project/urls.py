"""The demo marketplace: the shop, the app's buyer-facing URLs and headless API, the admin and
the sandbox."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("demo_project.shop.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("payments/", include("secu_marketplace.urls")),
    # The headless JSON API; its OpenAPI schema at /api/schema/, Swagger UI at /api/docs/.
    path("api/", include("secu_marketplace.api.urls")),
]
# The emulator, only while the shop talks to it (settings: SECUCONNECT_ENVIRONMENT "sandbox").
if apps.is_installed("secu_marketplace.sandbox"):
    urlpatterns.append(path("sandbox/", include("secu_marketplace.sandbox.urls")))
