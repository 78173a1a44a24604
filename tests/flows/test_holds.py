"""Money held until delivery against the sandbox (issue 19): the Smart Transaction asks for
``accrual``, each part is released (``revokeAccrual``) once shipped and the hold period passed
without a refund or dispute, exactly once however many runs race for it, and kept for staff
when a refund comes inside the period."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from secu_marketplace import signals
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Hold, Order, StatusEvent
from secu_marketplace.rules.books import HoldState
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import PaymentTransaction as ProviderPayment
from secu_marketplace.services import holds, refunds, shipping
from tests.races import paused_at

from .conftest import Flow


@pytest.fixture
def held(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "HOLD_UNTIL_SHIPPED": True,
        "HOLD_DAYS": 14,
    }


@pytest.fixture
def released() -> Iterator[list[str]]:
    heard: list[str] = []

    def receiver(sender: Any, sub_basket: Any, **kwargs: Any) -> None:
        heard.append(sub_basket.reference_id)

    signals.sub_basket_released.connect(receiver, weak=False)
    yield heard
    signals.sub_basket_released.disconnect(receiver)


def _accrual(order: Order, reference_id: str) -> bool:
    return ProviderPayment.objects.get(
        smart_transaction__merchant_ref=order.reference, reference_id=reference_id
    ).accrual


def _ship(order: Order, reference_id: str) -> None:
    sub = order.sub_baskets.get(reference_id=reference_id)
    shipping.ship_sub_basket(Order.objects.get(pk=order.pk), sub, carrier="DHL")


def test_a_part_is_released_once_after_shipping_and_the_period(
    flow: Flow, held: None, released: list[str], calls: Callable[[str], int]
) -> None:
    order = flow.paid_order("creditcard")
    assert _accrual(order, "sb0")
    assert _accrual(order, "sb1")
    first = holds.run()
    assert (first.found, first.waiting, first.released) == (2, 2, 0)
    assert control.pay_out() == []  # nothing is paid out while it is held
    _ship(order, "sb0")
    shipped = timezone.now()
    assert holds.run(shipped + timedelta(days=13)).released == 0
    later = holds.run(shipped + timedelta(days=14, minutes=1))
    assert (later.released, later.waiting) == (1, 1)  # sb1 has not shipped
    assert calls("payment.revoke_accrual") == 1
    assert not _accrual(order, "sb0")
    assert _accrual(order, "sb1")
    assert holds.run(shipped + timedelta(days=15)).released == 0  # once only
    assert calls("payment.revoke_accrual") == 1
    assert released == ["sb0"]
    hold = Hold.objects.get(sub_basket__order=order, sub_basket__reference_id="sb0")
    assert hold.state == HoldState.RELEASED
    assert hold.released_at is not None
    events = StatusEvent.objects.filter(order=order, subject="hold")
    assert list(events.values_list("to_status", flat=True)) == ["held", "held", "released"]
    # Released, the part is paid out at the next run (the supplier's share and the fee).
    assert {p["trans_id"] for p in control.pay_out()} == {hold.payment.trans_id}


def test_a_refund_inside_the_period_keeps_the_part_for_staff(
    flow: Flow, held: None, calls: Callable[[str], int]
) -> None:
    order = flow.paid_order("creditcard")
    holds.run()
    _ship(order, "sb1")
    sb1 = order.sub_baskets.get(reference_id="sb1")
    refunds.refund(Order.objects.get(pk=order.pk), sub_basket=sb1, amount=500)
    run = holds.run(timezone.now() + timedelta(days=15))
    assert (run.kept, run.released) == (1, 0)
    hold = Hold.objects.get(sub_basket=sb1)
    assert hold.state == HoldState.KEPT
    assert "refund" in hold.reason
    assert calls("payment.revoke_accrual") == 0
    assert holds.run(timezone.now() + timedelta(days=30)).released == 0
    # Staff decide: released by hand.
    assert holds.release_by_hand(hold)
    assert Hold.objects.get(pk=hold.pk).state == HoldState.RELEASED
    assert calls("payment.revoke_accrual") == 1
    with pytest.raises(ProcessingError):
        holds.release_by_hand(Hold.objects.get(pk=hold.pk))


def test_a_chargeback_keeps_the_part_for_staff(
    flow: Flow, held: None, calls: Callable[[str], int]
) -> None:
    order = flow.paid_order("debit")
    holds.run()
    _ship(order, "sb1")
    flow.money_back_on(order, "sb1")  # the returned debit: the part is disputed
    sb1 = order.sub_baskets.get(reference_id="sb1")
    assert sb1.dispute == "open"
    assert holds.run(timezone.now() + timedelta(days=15)).kept == 1
    hold = Hold.objects.get(sub_basket=sb1)
    assert hold.state == HoldState.KEPT
    assert "disputed" in hold.reason
    assert calls("payment.revoke_accrual") == 0


def test_two_releases_at_once_revoke_the_accrual_once(
    flow: Flow, held: None, released: list[str], calls: Callable[[str], int]
) -> None:
    order = flow.paid_order("creditcard")
    holds.run()
    _ship(order, "sb0")
    hold = Hold.objects.get(sub_basket__order=order, sub_basket__reference_id="sb0")
    due = timezone.now() + timedelta(days=15)

    def run_a() -> object:
        return holds.run(due)

    with paused_at("hold.before_release", run_a) as first:
        second = holds.run(due)  # B finds the release claimed and leaves it
        assert second.released == 0
        assert Hold.objects.get(pk=hold.pk).state == HoldState.HELD
    assert first.error is None, first.error
    assert first.result.released == 1
    assert calls("payment.revoke_accrual") == 1
    assert released == ["sb0"]
    assert (
        StatusEvent.objects.filter(order=order, subject="hold", to_status="released").count() == 1
    )


def test_a_run_over_waiting_parts_costs_the_same_queries_for_one_order_as_for_three(
    flow: Flow, held: None
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert holds.run().waiting > 0
        return len(ctx.captured_queries)

    flow.paid_order("creditcard")
    holds.run()
    one = queries()
    for _ in range(2):
        flow.paid_order("creditcard")
    holds.run()
    assert queries() == one
