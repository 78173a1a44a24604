# test_shop_django.py: the same with Django's own test runner (python manage.py test).
from django.test import LiveServerTestCase

from secu_marketplace.read import order_balance
from secu_marketplace.testing import SecuSandboxTestMixin
from secu_marketplace.testing.factories import OrderFactory


class PaymentTests(SecuSandboxTestMixin, LiveServerTestCase):
    def test_the_buyer_pays_by_direct_debit(self):
        order = OrderFactory()
        self.assertEqual(self.sandbox.pay(order, "debit").state, "paid")
        order.refresh_from_db()
        self.assertEqual(order.status, "paid")

    def test_an_invoice_is_paid_later(self):
        order = OrderFactory()
        self.assertEqual(self.sandbox.pay(order, "invoice").state, "invoice")
        self.sandbox.money_arrives(order)  # the buyer pays the invoice
        self.assertTrue(order_balance(order).paid)
