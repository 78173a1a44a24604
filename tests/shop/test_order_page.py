"""The buyer's order page: keyed by the public token, fee for staff only, "Pay now"."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from secu_marketplace.models import CheckoutAttempt, Order, Supplier
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import world
from secu_marketplace.sandbox.models import Contract as SandboxContract

from .conftest import Catalogue
from .test_checkout import fill_cart, submit


def place(client: Client, catalogue: Catalogue) -> Order:
    fill_cart(client, catalogue)
    submit(client)
    return Order.objects.get()


def test_the_buyer_sees_the_order_and_pay_now_but_no_fee(
    client: Client, catalogue: Catalogue
) -> None:
    order = place(client, catalogue)

    response = Client().get(reverse("shop:order", args=[order.public_token]))

    content = response.content.decode()
    assert response.status_code == 200
    assert order.reference in content
    for text in ("Kaffeepads Aromata 20 Stück", "Magnettafel 70x50 cm", "Standardversand"):
        assert text in content
    assert "44.40 EUR" in content  # coffee sub-basket
    assert "33.45 EUR" in content  # furniture sub-basket
    assert "77.85 EUR" in content  # total
    assert f'action="{order.get_payment_url()}"' in content
    assert '<option value="prepaid">' in content
    assert '<option value="" selected>' in content
    assert "marketplace-fee" not in content
    assert "Payment method:" not in content  # none chosen yet
    assert "Marketplace fee" not in content
    assert "0.89 EUR" not in content
    assert "0.67 EUR" not in content
    # No payment yet: nothing to link to.
    assert reverse("secu_marketplace:status", args=[order.public_token]) not in content


def test_staff_see_the_marketplace_fee_per_sub_basket(client: Client, catalogue: Catalogue) -> None:
    order = place(client, catalogue)
    staff = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(staff)

    content = client.get(reverse("shop:order", args=[order.public_token])).content.decode()

    assert content.count('data-field="marketplace-fee"') == 2
    assert "0.89 EUR" in content
    assert "0.67 EUR" in content


def test_an_unknown_token_or_the_numeric_id_is_a_404(client: Client, catalogue: Catalogue) -> None:
    order = place(client, catalogue)
    assert client.get(reverse("shop:order", args=["no-such-token"])).status_code == 404
    assert client.get(reverse("shop:order", args=[str(order.pk)])).status_code == 404


def test_the_payment_page_is_linked_once_a_payment_exists(
    client: Client, catalogue: Catalogue
) -> None:
    order = place(client, catalogue)
    CheckoutAttempt.objects.create(
        order=order,
        number=1,
        amount=order.total,
        currency=order.currency,
        contract_id="GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2",
    )
    content = client.get(reverse("shop:order", args=[order.public_token])).content.decode()
    assert reverse("secu_marketplace:status", args=[order.public_token]) in content


def test_a_paid_order_offers_no_pay_now(client: Client, catalogue: Catalogue) -> None:
    order = place(client, catalogue)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, payment_method="prepaid")
    content = client.get(reverse("shop:order", args=[order.public_token])).content.decode()
    assert 'id="pay-form"' not in content
    assert 'data-status="paid"' in content
    assert "Payment method: Prepayment (bank transfer)" in content


def test_the_apps_payment_page_wears_the_shops_layout(client: Client, catalogue: Catalogue) -> None:
    order = place(client, catalogue)
    response = client.get(reverse("secu_marketplace:status", args=[order.public_token]))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="brand"' in content
    assert reverse("shop:cart") in content
    assert 'id="secu-payment"' in content
    assert order.reference in content


def test_only_methods_every_suppliers_contract_accepts_are_offered(
    client: Client, catalogue: Catalogue, flow: object
) -> None:
    # Suppliers with the sandbox's own contracts, so their methods are read from it.
    for product, contract in zip(
        (catalogue.coffee, catalogue.board), world.GUIDE_SUPPLIER_CONTRACTS, strict=True
    ):
        Supplier.objects.filter(pk=product.supplier_id).update(contract_id=contract)
    order = place(client, catalogue)
    narrow = order.sub_baskets.order_by("position").first()
    assert narrow is not None
    SandboxContract.objects.filter(contract_id=narrow.contract_id).update(
        payment_methods=["creditcard", "prepaid"]
    )
    cache.clear()  # the app caches each contract's methods

    content = Client().get(reverse("shop:order", args=[order.public_token])).content.decode()

    assert '<option value="prepaid">' in content
    assert '<option value="creditcard">' in content
    assert '<option value="invoice">' not in content
    assert '<option value="paypal">' not in content
