"""The public read API (``Order.objects`` querysets, ``order.balance``) against real payments in
the sandbox: each figure is what the services act on, at every step of each method's life."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Order, PaymentTransaction, SubBasket
from secu_marketplace.provider.answers import SimpleStatus
from secu_marketplace.read import order_balance
from secu_marketplace.read.payments import refundable
from secu_marketplace.rules.payments import payer_has_paid
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole
from secu_marketplace.services import refunds, shipping

from .conftest import Flow
from .test_query_counts import _order


def _place(flow: Flow, method: str) -> Order:
    order = flow.order()
    started = flow.checkout(order, method=method)
    flow.pay(started.attempt, method)
    flow.come_back(started.attempt)
    return Order.objects.get(pk=order.pk)  # a fresh instance: ``balance`` is read once


def _fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def _ids(query: object) -> set[int]:
    return set(query.values_list("pk", flat=True))  # type: ignore[attr-defined]


def _pay_at_the_bank(flow: Flow, order: Order, path: str, status: int) -> None:
    leading = order.payments.get(role=PaymentRole.LEADING).pci_id
    answer = flow.sandbox.post(
        f"/api/v2/Payment/{path}/{leading}/TestChangedPaymentStatus", {"new_status_id": status}
    )
    assert answer.status == 200, answer.text
    flow.deliver_pushes()


def test_an_order_not_yet_paid_is_payable_and_owes_its_total(flow: Flow) -> None:
    order = flow.order()
    assert order.is_payable
    balance = order_balance(order)
    assert (balance.paid, balance.owed, balance.pending, balance.refundable) == (
        False,
        order.total,
        0,
        0,
    )
    assert [part.owed for part in balance.parts] == [sb.sum for sb in order.sub_baskets.all()]
    assert not any(part.may_ship for part in balance.parts)
    assert order.pk in _ids(Order.objects.payable())
    assert order.pk not in _ids(Order.objects.paid()) | _ids(Order.objects.pending())


def test_a_card_payment_is_paid_refundable_per_supplier_and_shippable(flow: Flow) -> None:
    order = _place(flow, "creditcard")
    balance = order_balance(order)
    assert balance.paid
    assert balance.owed == 0
    assert balance.pending == 0
    assert balance.refundable == order.total
    sb0, sb1 = order.sub_baskets.order_by("position")
    part0, part1 = balance.parts
    assert (part0.sub_basket, part1.sub_basket) == (sb0, sb1)
    assert part1 is balance.part_for(sb1.supplier)
    assert (part0.paid, part0.refundable, part0.may_ship) == (True, sb0.sum, True)
    assert part0.fee == sb0.fee
    assert order.pk in _ids(Order.objects.paid())
    assert order.pk in _ids(Order.objects.to_ship())
    assert order.pk not in _ids(Order.objects.pending()) | _ids(Order.objects.payable())

    refunds.refund(order, sub_basket=sb1, amount=300)
    shipping.ship_sub_basket(order, sb0, carrier="DHL")
    balance = order_balance(_fresh(order))
    part0, part1 = balance.parts
    # The same rule the refund service checks under its locks.
    sub1 = order.payments.get(role=PaymentRole.SUB, sub_basket=sb1)
    assert part1.refundable == refundable(sub1) == sb1.sum - 300
    assert (part1.refunded, part1.left) == (300, sb1.sum - 300)
    assert balance.refundable == order.total - 300
    assert part0.shipped
    assert not part0.may_ship
    assert part1.may_ship
    assert not balance.shipped
    assert _ids(SubBasket.objects.filter(order=order).to_ship()) == {sb1.pk}
    assert _ids(SubBasket.objects.for_supplier(sb0.supplier).shipped()) >= {sb0.pk}

    # A part refunded in full may not ship (ship_sub_basket refuses it), and nothing is left.
    refunds.refund(order, sub_basket=sb1)
    part1 = order_balance(_fresh(order)).parts[1]
    assert (part1.refundable, part1.may_ship) == (0, False)
    with pytest.raises(ProcessingError, match="nothing to ship"):
        shipping.ship_sub_basket(order, sb1)


def test_a_prepayment_is_pending_and_owed_until_the_transfer_arrives(flow: Flow) -> None:
    order = _place(flow, "prepaid")
    assert order.status == OrderStatus.PENDING
    balance = order_balance(order)
    assert not balance.paid
    assert balance.owed == balance.pending == order.total
    assert order.pk in _ids(Order.objects.pending())
    assert order.pk not in _ids(Order.objects.paid()) | _ids(Order.objects.to_ship())

    # A supplier's part cancelled before the money arrives lowers what the buyer owes.
    sb1 = order.sub_baskets.get(reference_id="sb1")
    refunds.refund(order, sub_basket=sb1, amount=345)
    balance = order_balance(_fresh(order))
    assert balance.owed == order.total - 345
    assert balance.reduced == 345

    _pay_at_the_bank(flow, order, "Secupayprepays", 1)
    balance = order_balance(_fresh(order))
    assert balance.paid
    assert balance.owed == 0
    assert balance.pending == 0
    assert order.pk in _ids(Order.objects.paid())


def test_an_invoice_may_ship_before_it_is_paid_and_stays_owed_after(flow: Flow) -> None:
    order = _place(flow, "invoice")
    balance = order_balance(order)
    assert order.status == OrderStatus.CONFIRMED  # the shop may ship; the buyer owes
    assert not balance.paid
    assert balance.owed == order.total
    assert all(part.may_ship for part in balance.parts)
    assert order.pk in _ids(Order.objects.to_ship()) & _ids(Order.objects.pending())

    shipping.ship_order(order, carrier="DHL")
    balance = order_balance(_fresh(order))
    assert balance.shipped
    assert not balance.paid
    assert balance.owed == order.total
    assert order.pk in _ids(Order.objects.shipped()) & _ids(Order.objects.pending())
    assert order.pk not in _ids(Order.objects.to_ship())

    _pay_at_the_bank(flow, order, "Secupayinvoices", 9)
    balance = order_balance(_fresh(order))
    assert balance.paid
    assert balance.owed == 0
    assert all(part.paid for part in balance.parts)
    assert order.pk in _ids(Order.objects.paid())
    assert order.pk not in _ids(Order.objects.pending())


def test_a_balance_costs_three_queries_however_large_the_order(flow: Flow) -> None:
    counts = []
    for reference, suppliers, items in (("B-SMALL", 1, 1), ("B-LARGE", 3, 12)):
        order = _order(reference, suppliers=suppliers, items=items)
        started = flow.checkout(order)
        flow.pay(started.attempt)
        flow.come_back(started.attempt)
        order = _fresh(order)
        with CaptureQueriesContext(connection) as ctx:
            assert order_balance(order).paid
        counts.append(len(ctx.captured_queries))
    assert counts == [3, 3]  # the lines with their parts, the payments, the refunds


STATUSES = [None, 0, 25, 85, 86, 87, 6, 11]
SIMPLES = [None, *[int(s) for s in SimpleStatus]]


def test_paid_as_a_filter_agrees_with_paid_in_python(flow: Flow) -> None:
    """``Order.objects.paid()`` and ``payer_has_paid`` are the same rule, for every method,
    status and simple status the provider documents (and none)."""
    order = _place(flow, "prepaid")
    leading = PaymentTransaction.objects.filter(order=order, role=PaymentRole.LEADING)
    disagree = []
    for method, status, simple in itertools.product(("invoice", "prepaid"), STATUSES, SIMPLES):
        Order.objects.filter(pk=order.pk).update(payment_method=method)
        leading.update(status=status, status_simple=simple)
        in_python = payer_has_paid(method, status, simple)
        as_filter = Order.objects.paid().filter(pk=order.pk).exists()
        if in_python != as_filter:
            disagree.append((method, status, simple, in_python))
    assert disagree == []
