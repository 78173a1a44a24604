"""factory-boy factories for the demo shop's catalogue."""

from __future__ import annotations

import factory

from demo_project.shop.models import Product, ShippingRate
from secu_marketplace.models import Supplier


class SupplierFactory(factory.django.DjangoModelFactory[Supplier]):
    class Meta:
        model = Supplier
        django_get_or_create = ("contract_id",)

    name = factory.Sequence(lambda n: f"Supplier {n:03d}")
    contract_id = factory.Sequence(lambda n: f"GCR_{n:030d}")
    fee_rate = 200  # 2 %


class ShippingRateFactory(factory.django.DjangoModelFactory[ShippingRate]):
    class Meta:
        model = ShippingRate

    supplier = factory.SubFactory(SupplierFactory)
    description = "Standardversand"
    price = 450


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    supplier = factory.SubFactory(SupplierFactory)
    name = factory.Sequence(lambda n: f"Product {n:03d}")
    article_number = factory.Sequence(lambda n: f"A-{n:04d}")
    price = 1000
    tax_rate = 19


def supplier_with_shipping(name: str, shipping: int) -> Supplier:
    supplier = SupplierFactory.create(name=name)
    ShippingRateFactory.create(supplier=supplier, price=shipping)
    return supplier
