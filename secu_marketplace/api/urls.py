"""Include with ``path("api/", include("secu_marketplace.api.urls"))``: the orders' endpoints,
the OpenAPI schema at ``schema/`` and its interactive page at ``docs/``."""

from __future__ import annotations

from django.urls import path

from secu_marketplace import converters  # noqa: F401  (registers the token converters)
from secu_marketplace.api import schema, views

app_name = "secu_marketplace_api"

urlpatterns = [
    path("orders/<public_token:token>/", views.OrderView.as_view(), name="order"),
    path("orders/<public_token:token>/checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("orders/<public_token:token>/methods/", views.MethodsView.as_view(), name="methods"),
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path("docs/", schema.DocsView.as_view(), name="docs"),
]
