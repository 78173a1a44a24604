"""The test kit (secu_marketplace.testing) as a shop's tests use it: the ``secu_sandbox``
fixture of its pytest plugin, the factories, the buyer's and secuconnect's helpers."""

from __future__ import annotations

import pytest

from secu_marketplace.models import Order
from secu_marketplace.read import order_balance
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.testing import Sandbox
from secu_marketplace.testing.factories import (
    ItemFactory,
    OrderFactory,
    SupplierBasketFactory,
    SupplierFactory,
)


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_the_buyer_pays_by_card(secu_sandbox: Sandbox) -> None:
    order = OrderFactory(baskets=SupplierBasketFactory.create_batch(2))
    page = secu_sandbox.pay(order, "creditcard")
    assert page.status_code == 200
    assert page.state == "paid"
    assert fresh(order).status == OrderStatus.PAID
    assert secu_sandbox.count("smart.create") == 1


@pytest.mark.parametrize("method", ["debit", "paypal", "sofort"])
def test_any_method_declined(secu_sandbox: Sandbox, method: str) -> None:
    order = OrderFactory()
    assert secu_sandbox.pay(order, method, "declined").state == "failed"
    assert fresh(order).status == OrderStatus.FAILED
    assert secu_sandbox.pay(order, method).state == "paid"


def test_abort(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    assert secu_sandbox.abort(order).state == "aborted"
    assert fresh(order).status == OrderStatus.ABORTED


@pytest.mark.parametrize("method", ["prepaid", "invoice"])
def test_money_arrives(secu_sandbox: Sandbox, method: str) -> None:
    order = OrderFactory()
    page = secu_sandbox.pay(order, method)
    assert page.state == ("pending_transfer" if method == "prepaid" else "invoice")
    secu_sandbox.money_arrives(order)
    order = fresh(order)
    assert order_balance(order).paid
    assert order_balance(order).owed == 0


def test_a_fault_then_the_page_says_so(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    secu_sandbox.inject_fault("smart.create", "http_503", times=None)
    page = secu_sandbox.order_page(order)
    answer = secu_sandbox._submit(page, order.get_payment_url(), {})
    assert answer.status_code == 503
    secu_sandbox.clear_faults()
    assert secu_sandbox.pay(order).state == "paid"


def test_factories_use_the_builder_sums(db: None) -> None:
    basket = SupplierBasketFactory(
        supplier=SupplierFactory(fee_rate=1000, fee_fixed=10),
        items=[ItemFactory(unit_price=500, quantity=3)],
    )
    order = OrderFactory(baskets=[basket])
    sub = order.sub_baskets.get()
    assert sub.sum == 3 * 500 + 450
    assert sub.fee == (3 * 500 + 450) // 10 + 10
    assert order.total == sub.sum
