# test_payments.py: a paid order through the sandbox, over real HTTP on pytest-django's live
# server. pip install pytest pytest-django; pytest.ini: [pytest] DJANGO_SETTINGS_MODULE = shop.settings
import pytest

from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order
from secu_marketplace.models import Supplier
from secu_marketplace.sandbox import control


@pytest.fixture
def sandbox(live_server, settings):
    """The app talks to the sandbox on the live server, with the sandbox's own credentials and
    marketplace contract; pushes wait until the test delivers them (no background thread)."""
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "API_URL": f"{live_server.url}/sandbox",
        "SITE_URL": live_server.url,
        "CLIENT_ID": "00563697073442633035025909838580",
        "CLIENT_SECRET": "3382456441636938321687549172178382320163695870914358804052148567",
        "CONTRACT_ID": "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2",
    }
    settings.SECU_SANDBOX = {"PUSH_MODE": "manual"}
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_a_paid_order(sandbox, client):
    coffee = Supplier.objects.create(
        name="Musterhändler Kaffee & Tee", contract_id="GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7"
    )
    order = build_order(
        reference="T-1",
        currency="EUR",
        language="en",
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
                items=[Item("Kaffeepads Aromata 20 Stück", 2, 1995)],
                shipping=Shipping("Standardversand", 450),
            )
        ],
    )

    # "Pay now": the app opens a Smart Transaction and sends the buyer to Smart Checkout.
    answer = client.post(order.get_payment_url())
    assert answer.status_code == 303
    checkout_page = answer["Location"].removeprefix(sandbox)

    # The buyer pays on the sandbox's checkout page and is sent back to the shop.
    answer = client.post(checkout_page, {"method": "creditcard", "outcome": "success"})
    assert answer.status_code == 302
    answer = client.get(answer["Location"].removeprefix(sandbox))
    assert answer.status_code == 200

    order.refresh_from_db()
    assert order.status == "paid"
    assert control.count("smart.create") == 1
    control.deliver_pushes()  # the sandbox's push for the same news changes nothing
    order.refresh_from_db()
    assert order.status == "paid"
