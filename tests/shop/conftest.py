from __future__ import annotations

from dataclasses import dataclass

import pytest

from demo_project.shop.models import Product

# The flows' fixtures (the sandbox on the live server), for the demo's e-mail tests.
from tests.flows.conftest import calls, flow  # noqa: F401

from .factories import ProductFactory, supplier_with_shipping


@dataclass
class Catalogue:
    coffee: Product  # 19.95, Kaffee & Tee (shipping 4.50)
    tea: Product  # 6.50, Kaffee & Tee
    board: Product  # 29.95, Einrichtung (shipping 3.50)


@pytest.fixture
def catalogue(db: None) -> Catalogue:
    coffee_tea = supplier_with_shipping("Musterhändler Kaffee & Tee", 450)
    furniture = supplier_with_shipping("Musterhändler Einrichtung", 350)
    return Catalogue(
        coffee=ProductFactory.create(
            supplier=coffee_tea,
            name="Kaffeepads Aromata 20 Stück",
            article_number="KT-1001",
            price=1995,
        ),
        tea=ProductFactory.create(
            supplier=coffee_tea,
            name="Grüner Tee Sencha 100 g",
            article_number="KT-1003",
            price=650,
            tax_rate=7,
        ),
        board=ProductFactory.create(
            supplier=furniture, name="Magnettafel 70x50 cm", article_number="EI-2001", price=2995
        ),
    )
