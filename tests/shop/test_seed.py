"""``seed_demo`` creates the demo marketplace once; a second run changes nothing."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo_project.shop.models import Product, ShippingRate
from secu_marketplace.models import Supplier
from secu_marketplace.sandbox import world
from secu_marketplace.sandbox.models import Contract


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "suppliers": list(Supplier.objects.values_list("pk", "name", "contract_id", "fee_rate")),
        "shipping": list(ShippingRate.objects.values_list("pk", "supplier__contract_id", "price")),
        "products": list(
            Product.objects.order_by("pk").values_list("pk", "supplier_id", "name", "price")
        ),
        "users": list(get_user_model().objects.values_list("pk", "username", "is_superuser")),
    }


def test_seed_demo_is_idempotent(db: None) -> None:
    output = seed()
    first = snapshot()
    again = seed()

    assert snapshot() == first
    assert "admin / admin" in output
    assert "admin / admin" in again
    assert first["users"] == [(first["users"][0][0], "admin", True)]


def test_seed_demo_creates_the_three_suppliers_with_shipping_and_products(db: None) -> None:
    output = seed()

    office = Supplier.objects.get(name="Musterhändler Bürobedarf")
    # Onboarded through requestId: a contract the sandbox cloned from the marketplace's.
    assert office.contract_state == Supplier.ContractState.ACTIVE
    assert office.merchant_id
    # Approved in the sandbox by the seed, as secupay would, so the demo can sell its products.
    assert office.contract_approved is True
    remote = Contract.objects.get(contract_id=office.contract_id)
    assert remote.parent is not None
    assert remote.parent.contract_id == world.GUIDE_CONTRACT
    assert f"onboarded with contract {office.contract_id}" in output
    contracts = {**world.GUIDE_SUPPLIER_CONTRACTS, office.contract_id: office.name}
    suppliers = {s.contract_id: s for s in Supplier.objects.all()}
    assert {cid: s.name for cid, s in suppliers.items()} == contracts
    assert {s.fee_rate for s in suppliers.values()} == {200}
    shipping = dict(ShippingRate.objects.values_list("supplier__contract_id", "price"))
    coffee, furniture, office = contracts
    assert shipping == {coffee: 450, furniture: 350, office: 490}
    for supplier in suppliers.values():
        assert supplier.products.filter(is_active=True).count() >= 3
    assert Product.objects.get(name="Kaffeepads Aromata 20 Stück").price == 1995
    assert Product.objects.get(name="Kaffeepads Aromata 20 Stück").supplier.contract_id == coffee
    assert Product.objects.get(name="Magnettafel 70x50 cm").price == 2995
    assert Product.objects.get(name="Magnettafel 70x50 cm").supplier.contract_id == furniture


def test_seed_demo_gives_every_supplier_an_email_address(db: None) -> None:
    coffee, furniture = world.GUIDE_SUPPLIER_CONTRACTS
    # A demo database seeded before suppliers had addresses.
    Supplier.objects.create(contract_id=coffee, name="Musterhändler Kaffee & Tee", fee_rate=200)
    Supplier.objects.create(
        contract_id=furniture, name="Einrichtung", fee_rate=200, email="own@example.net"
    )
    seed()

    emails = dict(Supplier.objects.values_list("contract_id", "email"))
    assert emails[coffee] == "kaffee@musterhaendler.example"
    assert emails[furniture] == "own@example.net"  # an address staff set is kept
    assert all(emails.values())
