"""Unpaid orders expire, over HTTP against the sandbox: a deadline set when the order starts
waiting for the buyer's money, one reminder, then a cancel at secuconnect and here, through the
write path, with its event and signal; staff may extend the deadline; a payment that arrives
while the order expires is never lost (the race, held at ``expire.before_cancel``)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import DeadlineStep, OrderStatus, RefundKind
from secu_marketplace.sandbox import control
from secu_marketplace.services import expiry, shipping
from secu_marketplace.views.payment import order_status_url
from tests.races import paused_at

from .conftest import Flow

DAY = timedelta(days=1)


def _steps(order: Order) -> list[str]:
    return list(order.events.filter(subject="deadline").values_list("to_status", flat=True))


def _deadline(order: Order) -> datetime:
    assert order.pay_by is not None
    return order.pay_by


def _unpaid(flow: Flow, method: str = "prepaid") -> Order:
    order = flow.paid_order(method)
    assert order.status in (OrderStatus.PENDING, OrderStatus.CONFIRMED)
    assert order.pay_by is not None
    return order


def test_an_unpaid_prepayment_is_reminded_once_then_expires(flow: Flow, announced: list) -> None:
    order = _unpaid(flow)
    assert timedelta(days=13) < _deadline(order) - timezone.now() <= timedelta(days=14)
    assert _steps(order) == [DeadlineStep.SET]
    assert list(Order.objects.under_deadline()) == [order]
    page = flow.browser.get(order_status_url(order)).content.decode()
    assert 'data-field="pay-by"' in page

    assert expiry.run(now=_deadline(order) - 4 * DAY).reminded == 0
    assert expiry.run(now=_deadline(order) - 2 * DAY).reminded == 1
    assert expiry.run(now=_deadline(order) - DAY).reminded == 0  # once
    assert [kw["pay_by"] for n, kw in announced if n == "order_payment_reminder"] == [order.pay_by]

    control.reset_calls()
    summary = expiry.run(now=_deadline(order) + timedelta(seconds=1))
    assert (summary.expired, summary.failed) == (1, 0)
    assert control.count("smart.cancel", status=200) == 1
    assert flow.sandbox.stx(str(order.attempts.get().stx_id))["status"] == "cancelled"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.expired_at is not None
    assert _steps(order) == [DeadlineStep.SET, DeadlineStep.REMINDED, DeadlineStep.EXPIRED]
    names = [n for n, _ in announced if n in ("order_cancelled", "order_expired")]
    assert names == ["order_cancelled", "order_expired"]
    page = flow.browser.get(order_status_url(order)).content.decode()
    assert 'data-state="expired"' in page
    # A second run finds nothing to do: nothing is cancelled twice.
    assert expiry.run(now=_deadline(order) + DAY).expired == 0
    assert control.count("smart.cancel") == 1


def test_staff_extend_a_deadline_and_the_buyer_is_reminded_again(flow: Flow) -> None:
    order = _unpaid(flow)
    expiry.run(now=_deadline(order) - DAY)
    order.refresh_from_db()
    assert order.reminded_at is not None
    later = _deadline(order) + 7 * DAY
    with pytest.raises(ProcessingError, match="later than the current one"):
        expiry.extend(order, _deadline(order) - DAY)
    expiry.extend(order, later, by="staff")
    order.refresh_from_db()
    assert (order.pay_by, order.reminded_at) == (later, None)
    assert expiry.run(now=later - 8 * DAY).expired == 0  # the old deadline no longer counts
    assert _steps(order)[-1] == DeadlineStep.EXTENDED
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_an_invoice_that_never_ships_expires_one_that_shipped_does_not(
    flow: Flow, settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "EXPIRE_UNPAID_AFTER_DAYS": {"prepaid": 14, "invoice": 10},
    }
    idle = _unpaid(flow, "invoice")
    shipped = _unpaid(flow, "invoice")
    shipping.ship_sub_basket(shipped, shipped.sub_baskets.get(reference_id="sb0"), carrier="DHL")
    summary = expiry.run(now=timezone.now() + 11 * DAY)
    assert summary.expired == 1
    idle.refresh_from_db()
    shipped.refresh_from_db()
    assert (idle.status, idle.expired_at is not None) == (OrderStatus.CANCELLED, True)
    assert (shipped.status, shipped.expired_at) == (OrderStatus.CONFIRMED, None)


def test_secu_sync_expires_the_orders_past_their_deadline(flow: Flow) -> None:
    order = _unpaid(flow)
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - DAY)
    out = io.StringIO()
    call_command("secu_sync", "--min-age", "0", stdout=out)
    assert "expired 1" in out.getvalue()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_a_transfer_arriving_while_the_order_expires_is_never_lost(
    flow: Flow, announced: list
) -> None:
    """A found the order unpaid past its deadline and is held before its cancel; meanwhile the
    transfer arrives and its push makes the order paid. A's cancel is refused by secuconnect
    (the buyer has paid): the order stays paid, is not expired, and the deadline says why."""
    order = _unpaid(flow)
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - DAY)

    def expire() -> expiry.Outcome:
        return expiry.expire(Order.objects.get(pk=order.pk))

    with paused_at("expire.before_cancel", expire) as first:
        flow.kit.money_arrives(order)
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
    assert first.error is None, first.error
    assert first.result == expiry.Outcome.KEPT
    order.refresh_from_db()
    assert (order.status, order.expired_at) == (OrderStatus.PAID, None)
    assert control.count("smart.cancel", status=409) == 1
    assert _steps(order)[-1] == DeadlineStep.KEPT
    names = [n for n, _ in announced]
    assert names.count("order_paid") == 1
    assert "order_expired" not in names
    assert "order_cancelled" not in names


def test_when_secuconnect_refunds_a_paid_transfer_on_cancel_the_money_is_recorded(
    flow: Flow, announced: list
) -> None:
    """Undecided: ``/cancel`` on a Smart Transaction paid a moment before refunds it
    (``CANCEL_PAID`` "refund"). The refunds are recorded as refunds to the buyer, nothing of
    the transfer is lost, and the order is not called expired."""
    control.set_switch("CANCEL_PAID", "refund")
    order = _unpaid(flow)
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - DAY)

    def expire() -> expiry.Outcome:
        return expiry.expire(Order.objects.get(pk=order.pk))

    with paused_at("expire.before_cancel", expire) as first:
        flow.kit.money_arrives(order)
    assert first.error is None, first.error
    assert first.result == expiry.Outcome.KEPT
    order.refresh_from_db()
    refunded = order.refunds.filter(kind=RefundKind.REFUND)
    assert sum(refunded.values_list("amount", flat=True)) == order.total
    assert order.expired_at is None
    assert _steps(order)[-1] == DeadlineStep.KEPT
    assert "order_expired" not in [n for n, _ in announced]


@pytest.fixture
def invoices_expire(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "EXPIRE_UNPAID_AFTER_DAYS": {"prepaid": 14, "invoice": 10},
    }


def test_an_invoice_is_not_shipped_while_it_is_being_cancelled(
    flow: Flow, invoices_expire: None, calls: Any
) -> None:
    """A found the invoice unshipped past its deadline and is held before its cancel; a
    supplier reports a part shipped meanwhile: refused (nothing is reported to secuconnect), and
    A cancels an order of which nothing shipped."""
    order = _unpaid(flow, "invoice")
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - DAY)
    sb0 = order.sub_baskets.get(reference_id="sb0")

    def expire() -> expiry.Outcome:
        return expiry.expire(Order.objects.get(pk=order.pk))

    with paused_at("expire.before_cancel", expire) as first:
        with pytest.raises(ProcessingError, match="cancelled for non-payment"):
            shipping.ship_sub_basket(Order.objects.get(pk=order.pk), sb0, carrier="DHL")
        shipped_calls = calls("payment.capture") + calls("payment.shipping_information")
    assert first.error is None, first.error
    assert first.result == expiry.Outcome.EXPIRED
    assert calls("payment.capture") + calls("payment.shipping_information") == shipped_calls == 0
    sb0.refresh_from_db()
    assert sb0.shipped_at is None


def test_an_invoice_being_shipped_is_not_cancelled_by_its_expiry(
    flow: Flow, invoices_expire: None
) -> None:
    """A supplier's shipping report is held before it reaches secuconnect; the expiry that runs
    meanwhile leaves the order (busy), and the next run finds it shipped: never expired."""
    order = _unpaid(flow, "invoice")
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - DAY)
    sb0 = order.sub_baskets.get(reference_id="sb0")

    def ship() -> object:
        return shipping.ship_sub_basket(Order.objects.get(pk=order.pk), sb0, carrier="DHL")

    with paused_at("ship.before_call", ship) as first:
        assert expiry.expire(Order.objects.get(pk=order.pk)) == expiry.Outcome.BUSY
    assert first.error is None, first.error
    assert expiry.run(now=timezone.now()).expired == 0
    order.refresh_from_db()
    assert (order.status, order.expired_at) == (OrderStatus.CONFIRMED, None)


def test_a_partly_shipped_invoice_is_neither_reminded_nor_expired(
    flow: Flow, invoices_expire: None, announced: list
) -> None:
    order = _unpaid(flow, "invoice")
    shipping.ship_sub_basket(order, order.sub_baskets.get(reference_id="sb0"), carrier="DHL")
    summary = expiry.run(now=_deadline(order) - DAY)
    assert (summary.reminded, summary.expired) == (0, 0)
    assert "order_payment_reminder" not in [n for n, _ in announced]
    assert not expiry.expiries_due(_deadline(order) + DAY).exists()
