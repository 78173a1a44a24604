"""The cart survives a failed or aborted payment and is emptied once the order is paid."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from demo_project.shop.cart import Cart
from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus

from .conftest import Catalogue
from .test_checkout import fill_cart, submit


def place(client: Client, catalogue: Catalogue) -> Order:
    fill_cart(client, catalogue)
    submit(client)
    return Order.objects.get()


def set_status(order: Order, status: str) -> None:
    Order.objects.filter(pk=order.pk).update(status=status)


def cart_page(client: Client) -> str:
    return client.get(reverse("shop:cart")).content.decode()


@pytest.mark.parametrize(
    "status",
    [OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.FAILED, OrderStatus.ABORTED],
)
def test_the_cart_is_kept_while_the_order_may_still_be_paid(
    client: Client, catalogue: Catalogue, status: str
) -> None:
    order = place(client, catalogue)
    set_status(order, status)

    content = cart_page(client)

    assert 'id="cart-empty"' not in content
    assert "Kaffeepads Aromata 20 Stück" in content
    assert "Magnettafel 70x50 cm" in content
    assert 'id="cart-count">3<' in content
    assert Cart(client.session).count() == 3


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.SHIPPED])
def test_the_cart_is_emptied_once_the_order_is_paid(
    client: Client, catalogue: Catalogue, status: str
) -> None:
    order = place(client, catalogue)
    set_status(order, OrderStatus.ABORTED)
    assert Cart(client.session).count() == 3
    set_status(order, status)

    content = cart_page(client)

    assert 'id="cart-empty"' in content
    assert 'id="cart-count">0<' in content
    assert Cart(client.session).count() == 0


def test_any_page_empties_the_cart_of_a_paid_order(client: Client, catalogue: Catalogue) -> None:
    order = place(client, catalogue)
    set_status(order, OrderStatus.PAID)
    content = client.get(reverse("secu_marketplace:status", args=[order.public_token]))
    assert 'id="cart-count">0<' in content.content.decode()
    assert Cart(client.session).count() == 0


def test_what_was_added_after_ordering_stays_in_the_cart(
    client: Client, catalogue: Catalogue
) -> None:
    order = place(client, catalogue)
    client.post(reverse("shop:cart_add", args=[catalogue.tea.pk]), {"quantity": 1})
    client.post(reverse("shop:cart_add", args=[catalogue.coffee.pk]), {"quantity": 1})
    set_status(order, OrderStatus.PAID)

    cart_page(client)

    assert Cart(client.session).quantities() == {catalogue.tea.pk: 1, catalogue.coffee.pk: 1}


def test_ordering_again_after_an_abort_orders_the_kept_cart(
    client: Client, catalogue: Catalogue
) -> None:
    first = place(client, catalogue)
    set_status(first, OrderStatus.ABORTED)
    submit(client)
    second = Order.objects.exclude(pk=first.pk).get()
    assert second.total == first.total
    set_status(second, OrderStatus.PAID)
    assert 'id="cart-empty"' in cart_page(client)
