"""Every public input is checked before it reaches the database (issue 8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from secu_marketplace.exceptions import BasketError
from secu_marketplace.read.presentation import cart_url, shop_url
from tests.factories import MAX, guide_order

NUL_PATHS = [
    ("get", "/payments/order/%00/"),
    ("get", "/payments/order/abc%00def/"),
    ("post", "/payments/pay/%00/"),
    ("get", "/orders/%00/"),
]


@pytest.mark.parametrize(("method", "path"), NUL_PATHS)
def test_nul_bytes_in_public_tokens_are_404_without_a_query(
    method: str, path: str, db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = getattr(Client(), method)(path)
    assert response.status_code == 404


def test_an_e_mail_longer_than_the_column_is_a_basket_error(sandbox_world: Any) -> None:
    from dataclasses import replace

    long = "a" * 250 + "@example.net"
    with pytest.raises(BasketError, match="e-mail"):
        guide_order(buyer=replace(MAX, email=long))


def test_a_currency_that_is_not_iso_4217_is_a_basket_error(sandbox_world: Any) -> None:
    with pytest.raises(BasketError, match="currency"):
        guide_order(currency="EURO")


def test_an_unresolvable_cart_url_is_not_rendered(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "CART_URL": "shop:no-such-view"}
    assert cart_url() == ""
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "CART_URL": "/cart/"}
    assert cart_url() == "/cart/"


def test_back_to_the_shop_goes_where_shop_url_says(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SHOP_URL": "shop:cart"}
    assert shop_url() == "/cart/"
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SHOP_URL": "https://shop.example/"}
    assert shop_url() == "https://shop.example/"
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SHOP_URL": "shop:no-such-view"}
    assert shop_url() == "/"
