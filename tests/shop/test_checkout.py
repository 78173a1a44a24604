"""The checkout form turns the cart into an Order through the app's builder."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from demo_project.shop.cart import Cart
from demo_project.shop.forms import GUIDE_BUYER
from secu_marketplace.models import LineItem, Order

from .conftest import Catalogue


def fill_cart(client: Client, catalogue: Catalogue) -> None:
    """The provider guide's basket: 2 coffee pads, 1 magnetic board."""
    client.post(reverse("shop:cart_add", args=[catalogue.coffee.pk]), {"quantity": 2})
    client.post(reverse("shop:cart_add", args=[catalogue.board.pk]), {"quantity": 1})


def submit(client: Client, **changes: Any) -> Any:
    data = {**GUIDE_BUYER, "company": "", **changes}
    return client.post(reverse("shop:checkout"), data)


def test_checkout_form_is_prefilled_with_the_guides_buyer(
    client: Client, catalogue: Catalogue
) -> None:
    fill_cart(client, catalogue)
    response = client.get(reverse("shop:checkout"))
    content = response.content.decode()
    assert response.status_code == 200
    for value in ("max@example.net", "Mustermann", "+49 555 5555555", "Musterstr.", "55 a"):
        assert f'value="{value}"' in content
    assert 'value="Whg. 203"' in content
    assert 'value="09123"' in content
    assert '<option value="DE" selected>' in content
    assert "77.85 EUR" in content  # the cart's total beside the form


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client: Client, db: None) -> None:
    response = client.get(reverse("shop:checkout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:cart")
    assert submit(client).status_code == 302
    assert not Order.objects.exists()


def test_checkout_builds_the_order_per_supplier(client: Client, catalogue: Catalogue) -> None:
    fill_cart(client, catalogue)

    response = submit(client)

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:order", args=[order.public_token])
    assert re.fullmatch(rf"MM-{timezone.localdate():%Y%m%d}-1", order.reference)
    assert (order.currency, order.total, order.status, order.language) == ("EUR", 7785, "new", "en")
    assert (order.email, order.forename, order.surname) == ("max@example.net", "Max", "Mustermann")
    assert (order.street, order.street_number, order.additional_address) == (
        "Musterstr.",
        "55 a",
        "Whg. 203",
    )
    assert (order.postal_code, order.city, order.country, order.phone) == (
        "09123",
        "Musterstadt",
        "DE",
        "+49 555 5555555",
    )

    baskets = {sub.supplier: sub for sub in order.sub_baskets.all()}
    assert set(baskets) == {catalogue.coffee.supplier, catalogue.board.supplier}
    coffee = baskets[catalogue.coffee.supplier]
    furniture = baskets[catalogue.board.supplier]
    assert coffee.contract_id == catalogue.coffee.supplier.contract_id
    # Sums: articles plus the supplier's shipping; the fee is the supplier's 2 % rule.
    assert (coffee.sum, coffee.fee) == (2 * 1995 + 450, 89)
    assert (furniture.sum, furniture.fee) == (2995 + 350, 67)
    assert sorted(sub.reference_id for sub in baskets.values()) == ["sb0", "sb1"]
    lines = [
        (i.kind, i.description, i.article_number, i.quantity, i.unit_price, i.tax_rate)
        for i in coffee.items.all()
    ]
    assert lines == [
        (LineItem.Kind.ARTICLE, "Kaffeepads Aromata 20 Stück", "KT-1001", 2, 1995, 19),
        (LineItem.Kind.SHIPPING, "Standardversand", "", 1, 450, 19),
    ]
    # The cart is kept until the order is paid (tests/shop/test_cart_kept.py).
    assert Cart(client.session).count() == 3


def test_references_are_numbered_per_day(client: Client, catalogue: Catalogue) -> None:
    fill_cart(client, catalogue)
    submit(client)
    fill_cart(client, catalogue)
    submit(client)
    prefix = f"MM-{timezone.localdate():%Y%m%d}-"
    assert sorted(Order.objects.values_list("reference", flat=True)) == [f"{prefix}1", f"{prefix}2"]


def test_the_order_follows_the_buyers_language(client: Client, catalogue: Catalogue) -> None:
    client.cookies["django_language"] = "de"
    fill_cart(client, catalogue)
    submit(client)
    assert Order.objects.get().language == "de"


def test_an_invalid_form_keeps_the_cart_and_creates_nothing(
    client: Client, catalogue: Catalogue
) -> None:
    fill_cart(client, catalogue)
    response = submit(client, email="not-an-address", city="")
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "city"}
    assert not Order.objects.exists()
    assert Cart(client.session).count() == 3
