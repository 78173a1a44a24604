"""The demo shop, included at the site root under the namespace ``shop``."""

from __future__ import annotations

from django.urls import path

from secu_marketplace import converters  # noqa: F401  (registers "public_token")

from . import views

app_name = "shop"

urlpatterns = [
    path("", views.home, name="home"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/<int:product_id>/", views.cart_add, name="cart_add"),
    path("cart/update/<int:product_id>/", views.cart_update, name="cart_update"),
    path("cart/remove/<int:product_id>/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/<public_token:token>/", views.order, name="order"),
]
