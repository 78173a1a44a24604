# test_shop.py: a shop's payments against the bundled sandbox, over real HTTP on pytest-django's
# live server. pip install "django-secu-marketplace[testing]"; the secu_sandbox fixture is the
# package's pytest plugin, loaded by pytest by itself.
from secu_marketplace.read import order_balance
from secu_marketplace.signals import order_paid
from secu_marketplace.testing.factories import OrderFactory, SupplierBasketFactory


def test_the_buyer_pays_by_card(secu_sandbox):
    order = OrderFactory(baskets=SupplierBasketFactory.create_batch(2))  # two suppliers
    page = secu_sandbox.pay(order, "creditcard")  # "Pay now", the hosted page, and back
    assert page.state == "paid"
    order.refresh_from_db()
    assert order.status == "paid"
    assert order_balance(order).owed == 0


def test_declined_then_paid_with_paypal(secu_sandbox):
    order = OrderFactory()
    assert secu_sandbox.pay(order, "creditcard", outcome="declined").state == "failed"
    assert secu_sandbox.pay(order, "paypal").state == "paid"  # "Try again" works


def test_the_buyer_cancels_on_the_payment_page(secu_sandbox):
    order = OrderFactory()
    assert secu_sandbox.abort(order).state == "aborted"
    order.refresh_from_db()
    assert order.is_payable


def test_a_prepayment_is_paid_when_the_money_arrives(secu_sandbox):
    order = OrderFactory()
    assert secu_sandbox.pay(order, "prepaid").state == "pending_transfer"
    secu_sandbox.money_arrives(order)  # the transfer arrives; secuconnect's push tells the shop
    order.refresh_from_db()
    assert order.status == "paid"


def test_my_shop_ships_when_paid(secu_sandbox):
    shipped = []

    def ship(sender, order, **kwargs):  # your receiver, e.g. in your app's signals.py
        shipped.append(order.reference)

    order_paid.connect(ship)
    try:
        order = OrderFactory()
        secu_sandbox.pay(order, "debit")
        secu_sandbox.deliver_pushes()  # the push for the same news changes nothing
    finally:
        order_paid.disconnect(ship)
    assert shipped == [order.reference]  # once, however the news came


def test_the_buyer_is_told_when_payment_is_down(secu_sandbox, client):
    order = OrderFactory()
    secu_sandbox.inject_fault("smart.create", "http_503", times=None)  # until cleared
    answer = client.post(order.get_payment_url())  # the shop's "Pay now" button
    assert answer.status_code == 503
    assert b"not reachable" in answer.content
    assert secu_sandbox.count("smart.create") == 1
