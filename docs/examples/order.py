from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order

order = build_order(
    reference="100023",  # your order number, sent as merchantRef
    currency="EUR",
    language="de",
    buyer=Buyer(
        email="max@example.net",
        forename="Max",
        surname="Mustermann",
        street="Musterstr.",
        street_number="55 a",
        postal_code="09123",
        city="Musterstadt",
        country="DE",
    ),
    baskets=[
        SupplierBasket(
            coffee,
            items=[Item("Kaffeepads Aromata 20 Stück", 2, 1995, article_number="1")],
            shipping=Shipping("Standardversand", 450),
        ),  # fee: the supplier's rule
        SupplierBasket(
            furniture,
            items=[Item("Magnettafel 70x50 cm", 1, 2995)],
            shipping=Shipping("Standardversand", 350),
            fee=70,
        ),
    ],
)

# The buyer's page for the order, with its "Pay now" button: open it (the server running) to
# pay on the sandbox's checkout page. Link it from your order confirmation.
from django.conf import settings

print("Pay for it at", settings.SITE_URL + order.get_status_url())
