"""The session cart: grouping by supplier, shipping per supplier, totals, and its pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from demo_project.shop.cart import MAX_QUANTITY, Cart

from .conftest import Catalogue
from .factories import ProductFactory, SupplierFactory


def add(client: Client, product_id: int, quantity: int = 1, **extra: Any) -> Any:
    url = reverse("shop:cart_add", args=[product_id])
    return client.post(url, {"quantity": quantity, **extra})


def test_cart_groups_by_supplier_with_shipping_and_totals(
    client: Client, catalogue: Catalogue
) -> None:
    add(client, catalogue.coffee.pk, 2)
    add(client, catalogue.board.pk)
    add(client, catalogue.tea.pk)

    response = client.get(reverse("shop:cart"))

    cart = response.context["cart"]
    # Grouped by supplier name: Einrichtung before Kaffee & Tee.
    furniture, coffee_tea = cart.groups
    assert furniture.supplier == catalogue.board.supplier
    assert [(line.product, line.quantity) for line in furniture.lines] == [(catalogue.board, 1)]
    assert (furniture.items_total, furniture.shipping_price, furniture.total) == (2995, 350, 3345)
    assert coffee_tea.supplier == catalogue.coffee.supplier
    assert {line.product.pk: line.quantity for line in coffee_tea.lines} == {
        catalogue.coffee.pk: 2,
        catalogue.tea.pk: 1,
    }
    # Shipping is charged once per supplier, however many of its products are in the cart.
    assert (coffee_tea.items_total, coffee_tea.shipping_price, coffee_tea.total) == (
        2 * 1995 + 650,
        450,
        5090,
    )
    assert (cart.items_total, cart.shipping_total, cart.total, cart.count) == (7635, 800, 8435, 4)
    content = response.content.decode()
    assert "50.90 EUR" in content
    assert "33.45 EUR" in content
    assert "84.35 EUR" in content
    assert '<span class="badge" id="cart-count">4</span>' in content


def test_adding_again_adds_up_and_is_capped(client: Client, catalogue: Catalogue) -> None:
    add(client, catalogue.coffee.pk, 2)
    add(client, catalogue.coffee.pk, 3)
    assert Cart(client.session).quantities() == {catalogue.coffee.pk: 5}
    add(client, catalogue.coffee.pk, MAX_QUANTITY)
    assert Cart(client.session).quantities() == {catalogue.coffee.pk: MAX_QUANTITY}


@pytest.mark.parametrize("quantity", [0, -1, 100, "two"])
def test_adding_a_bad_quantity_changes_nothing(
    client: Client, catalogue: Catalogue, quantity: object
) -> None:
    response = client.post(
        reverse("shop:cart_add", args=[catalogue.coffee.pk]), {"quantity": quantity}
    )
    assert response.status_code == 302
    assert Cart(client.session).quantities() == {}


def test_update_sets_the_quantity_and_zero_removes(client: Client, catalogue: Catalogue) -> None:
    add(client, catalogue.coffee.pk)
    add(client, catalogue.board.pk)

    client.post(reverse("shop:cart_update", args=[catalogue.coffee.pk]), {"quantity": 3})
    assert Cart(client.session).quantities() == {catalogue.coffee.pk: 3, catalogue.board.pk: 1}

    client.post(reverse("shop:cart_update", args=[catalogue.coffee.pk]), {"quantity": -2})
    assert Cart(client.session).quantities()[catalogue.coffee.pk] == 3

    client.post(reverse("shop:cart_update", args=[catalogue.coffee.pk]), {"quantity": 0})
    assert Cart(client.session).quantities() == {catalogue.board.pk: 1}


def test_remove(client: Client, catalogue: Catalogue) -> None:
    add(client, catalogue.coffee.pk, 2)
    add(client, catalogue.board.pk)
    response = client.post(reverse("shop:cart_remove", args=[catalogue.board.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:cart")
    assert Cart(client.session).quantities() == {catalogue.coffee.pk: 2}


def test_a_product_no_longer_sold_leaves_the_cart(client: Client, catalogue: Catalogue) -> None:
    add(client, catalogue.coffee.pk)
    add(client, catalogue.board.pk, 2)
    catalogue.board.is_active = False
    catalogue.board.save()

    cart = client.get(reverse("shop:cart")).context["cart"]

    assert [group.supplier for group in cart.groups] == [catalogue.coffee.supplier]
    assert cart.total == 1995 + 450
    assert Cart(client.session).count() == 1


def test_an_inactive_product_cannot_be_added(client: Client, catalogue: Catalogue) -> None:
    catalogue.tea.is_active = False
    catalogue.tea.save()
    assert add(client, catalogue.tea.pk).status_code == 404
    assert add(client, 999_999).status_code == 404
    assert client.get(reverse("shop:cart_add", args=[catalogue.coffee.pk])).status_code == 405


def test_a_supplier_without_shipping_rate_ships_free(client: Client, db: None) -> None:
    product = ProductFactory.create(supplier=SupplierFactory.create(), price=499)
    add(client, product.pk, 2)
    cart = client.get(reverse("shop:cart")).context["cart"]
    assert (cart.groups[0].shipping, cart.shipping_total, cart.total) == (None, 0, 998)


def test_add_returns_to_a_local_page_only(client: Client, catalogue: Catalogue) -> None:
    home = reverse("shop:home") + f"#product-{catalogue.coffee.pk}"
    assert add(client, catalogue.coffee.pk, next=home)["Location"] == home
    evil = add(client, catalogue.coffee.pk, next="https://evil.example/")
    assert evil["Location"] == reverse("shop:cart")


def test_empty_cart_page(client: Client, db: None) -> None:
    response = client.get(reverse("shop:cart"))
    assert response.status_code == 200
    assert 'id="cart-empty"' in response.content.decode()
    assert 'id="cart-count">0<' in response.content.decode()


def test_home_lists_products_per_supplier_with_add_buttons(
    client: Client, catalogue: Catalogue
) -> None:
    response = client.get(reverse("shop:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert [supplier.name for supplier, _shipping, _p in response.context["catalogue"]] == [
        "Musterhändler Einrichtung",
        "Musterhändler Kaffee & Tee",
    ]
    assert "Mustermarktplatz" in content
    assert "19.95 EUR" in content
    assert "Shipping 4.50 EUR per order" in content
    assert reverse("shop:cart_add", args=[catalogue.coffee.pk]) in content
    assert "csrfmiddlewaretoken" in content
