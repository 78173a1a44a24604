"""factory-boy factories for suppliers, orders and their sub-baskets, for a shop's tests.

Orders are made by the app's own builder (``secu_marketplace.builder.build_order``), so every
sum, fee and reference id is what a real checkout would send; the factories only choose the
inputs::

    from secu_marketplace.testing.factories import OrderFactory, SupplierBasketFactory

    order = OrderFactory()  # one supplier, one article, shipping
    order = OrderFactory(baskets=SupplierBasketFactory.create_batch(2))  # two suppliers
    order = OrderFactory(
        baskets=[SupplierBasketFactory(items=[ItemFactory(unit_price=500, quantity=3)], fee=50)]
    )

Suppliers get the contracts the bundled sandbox knows (three of them), so an order has at most
three suppliers; ``SupplierFactory(contract_id=...)`` for another contract the sandbox was told
about.
"""

from __future__ import annotations

from typing import Any

import factory

from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order
from secu_marketplace.models import Order, Supplier
from secu_marketplace.sandbox import world

# The sandbox's supplier contracts and their names, which it creates on its first use.
SANDBOX_SUPPLIERS = tuple(
    {**world.GUIDE_SUPPLIER_CONTRACTS, **world.EXTRA_SUPPLIER_CONTRACTS}.items()
)


class SupplierFactory(factory.django.DjangoModelFactory[Supplier]):
    """A supplier selling under one of the sandbox's supplier contracts, in turn; the same
    contract gives the same supplier back (``django_get_or_create``)."""

    class Meta:
        model = Supplier
        django_get_or_create = ("contract_id",)

    contract_id = factory.Iterator([contract for contract, _name in SANDBOX_SUPPLIERS])
    name = factory.LazyAttribute(lambda o: dict(SANDBOX_SUPPLIERS).get(o.contract_id, "Supplier"))
    fee_rate = 200  # 2 % of the supplier's sub-basket...
    fee_fixed = 0  # ...and no fixed part


class BuyerFactory(factory.Factory[Buyer]):
    """The provider guide's Max Mustermann, with an e-mail address of his own per order."""

    class Meta:
        model = Buyer

    email = factory.Sequence(lambda n: f"buyer{n}@example.net")
    forename = "Max"
    surname = "Mustermann"
    street = "Musterstr."
    street_number = "55 a"
    postal_code = "09123"
    city = "Musterstadt"
    country = "DE"


class ItemFactory(factory.Factory[Item]):
    class Meta:
        model = Item

    description = factory.Sequence(lambda n: f"Article {n}")
    quantity = 1
    unit_price = 1995  # minor units: 19.95
    article_number = factory.Sequence(lambda n: f"A-{n:04d}")


class ShippingFactory(factory.Factory[Shipping]):
    class Meta:
        model = Shipping

    description = "Standardversand"
    price = 450


class SupplierBasketFactory(factory.Factory[SupplierBasket]):
    """One supplier's part of an order: its articles, shipping and (None: the supplier's rule)
    fee, with its supplier saved (``create_batch(n)`` for n suppliers), handed to the builder
    by ``OrderFactory``."""

    class Meta:
        model = SupplierBasket

    supplier = factory.SubFactory(SupplierFactory)
    items = factory.LazyFunction(lambda: [ItemFactory()])
    shipping = factory.SubFactory(ShippingFactory)
    coupons = ()
    fee = None


class OrderFactory(factory.Factory[Order]):
    """An order made by ``build_order``, ready to be paid: ``OrderFactory()``, or with
    ``baskets=[...]`` (``SupplierBasketFactory``), ``buyer=``, ``currency=``, ``language=``."""

    class Meta:
        model = Order

    reference = factory.Sequence(lambda n: f"T-{n + 1:05d}")
    currency = "EUR"
    language = "en"
    buyer = factory.SubFactory(BuyerFactory)
    baskets = factory.LazyFunction(lambda: [SupplierBasketFactory()])

    @classmethod
    def _create(cls, model_class: type[Order], *args: Any, **kwargs: Any) -> Order:
        return build_order(**kwargs)

    @classmethod
    def _build(cls, model_class: type[Order], *args: Any, **kwargs: Any) -> Order:
        raise TypeError("OrderFactory only creates: an order's sums come from build_order")
