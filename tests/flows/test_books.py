"""The marketplace's books against the sandbox over HTTP (issue 19): payouts reported, pushed,
synced and matched to the order parts they settle; the supplier ledger they add up to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from secu_marketplace.conf import PUBLIC_CONTRACT_ID
from secu_marketplace.models import Order, Payout, PayoutLine, PushNotification
from secu_marketplace.read.books import MARKETPLACE, supplier_ledger
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import SmartTransaction as ProviderStx
from secu_marketplace.services import payouts, refunds
from tests.helpers import without_receivers

from .conftest import Flow
from .test_query_counts import PAY_NOW

COFFEE, FURNITURE = "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7", "GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30"


def _ledger(supplier_contract: str) -> Any:
    (row,) = [
        r for r in supplier_ledger() if r.supplier and r.supplier.contract_id == supplier_contract
    ]
    return row


def test_a_payout_is_pushed_synced_and_matched_to_two_orders_parts(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    first, second = flow.paid_order("creditcard"), flow.paid_order("debit")
    flow.deliver_pushes()  # the payments' own
    made = control.pay_out()
    # Each order pays two suppliers and the marketplace its fee from each part.
    assert len(made) == 8
    assert flow.deliver_pushes() == 3  # one per paid contract
    coffee = Payout.objects.get(contract_id=COFFEE)
    lines = list(coffee.lines.select_related("sub_basket__order"))
    assert sorted(line.sub_basket.order.reference for line in lines) == sorted(
        [first.reference, second.reference]
    )
    assert {line.sub_basket.reference_id for line in lines} == {"sb0"}
    assert coffee.unmatched == 0
    # 2 x 1995 + 450 less the 80 fee, for each order.
    assert coffee.payout_amount == 2 * (4440 - 80)
    assert coffee.stakeholder_amount == 2 * 80
    fees = Payout.objects.get(for_marketplace=True)
    assert fees.contract_id == PUBLIC_CONTRACT_ID
    assert fees.payout_amount == 2 * (80 + 70)
    assert PushNotification.objects.filter(target="payment.payouts").count() == 3
    # The ledger: what each supplier earned, all of it paid out.
    row = _ledger(COFFEE)
    assert (row.sold, row.fees, row.paid_out, row.balance) == (8880, 160, 8720, 0)
    (market,) = [r for r in supplier_ledger() if r.key == MARKETPLACE]
    assert (market.fees, market.paid_out, market.balance) == (300, 300, 0)
    # Pushes again, or another sync: nothing is recorded twice.
    control.reset_calls()
    assert payouts.sync_payouts().new == 0
    assert PayoutLine.objects.count() == 8
    assert calls("payouts.list") == 1


def test_a_refund_after_the_payout_is_clawed_back_by_the_next_one(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    control.pay_out()
    call_command("secu_sync", "--min-age", "0", "--no-progress")
    sb1 = order.sub_baskets.get(reference_id="sb1")
    refunds.refund(Order.objects.get(pk=order.pk), sub_basket=sb1, amount=1000)
    row = _ledger(FURNITURE)
    assert (row.refunded, row.balance) == (1000, -1000)  # paid more than it earns now
    control.pay_out()
    payouts.sync_payouts()
    row = _ledger(FURNITURE)
    assert (row.paid_out, row.balance) == (2995 + 350 - 70 - 1000, 0)
    negative = PayoutLine.objects.get(payout__contract_id=FURNITURE, payout_amount__lt=0)
    assert (negative.refund_amount, negative.sub_basket_id) == (1000, sb1.pk)


def test_payouts_of_an_earlier_period_make_the_balance_at_its_end(flow: Flow) -> None:
    flow.paid_order("creditcard")
    control.pay_out()
    payouts.sync_payouts()
    before = timezone.now() - timedelta(days=1)
    row = [
        r for r in supplier_ledger(until=before) if r.supplier and r.supplier.contract_id == COFFEE
    ]
    assert row == [] or (row[0].sold, row[0].balance) == (0, 0)
    assert _ledger(COFFEE).balance == 0


def _queries(action: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)


def test_the_ledger_costs_six_queries_however_many_orders(flow: Flow) -> None:
    flow.paid_order("creditcard")
    control.pay_out()
    payouts.sync_payouts()
    few = _queries(supplier_ledger)
    for method in ("debit", "creditcard", "debit"):
        flow.paid_order(method)
    control.pay_out()
    payouts.sync_payouts()
    # The parts, their timeline, their refunds, the payouts, the holds, the suppliers.
    assert _queries(supplier_ledger) == few == 6


def test_pay_now_asks_for_the_hold_within_its_query_ceiling(flow: Flow, settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "HOLD_UNTIL_SHIPPED": True}
    order = flow.order()
    with without_receivers():
        count = _queries(lambda: flow.browser.post(order.get_payment_url()))
    assert count <= PAY_NOW
    stx = ProviderStx.objects.get(merchant_ref=order.reference)
    assert stx.payment_context["accrual"] is True


def test_a_payout_of_a_payment_the_app_does_not_hold_is_listed_for_staff(
    flow: Flow, admin_client: Any
) -> None:
    stx = flow.sandbox.create()  # the guide's basket, paid outside this app
    assert flow.sandbox.prepare(stx["id"], "creditcard").status == 200
    control.pay_out()
    payouts.sync_payouts()
    lines = list(PayoutLine.objects.exclude(unmatched=""))
    assert len(lines) == 4
    assert all("a payment the app does not hold" in line.unmatched for line in lines)
    page = admin_client.get("/admin/secu_marketplace/payoutline/", {"matched": "no"})
    assert lines[0].provider_id in page.content.decode()
    assert payouts.sync_payouts().rematched == 0  # tried again, still nothing to match


def test_a_payout_synced_before_its_order_is_matched_at_a_later_sync(flow: Flow) -> None:
    order = flow.order()
    attempt = flow.checkout(order).attempt
    flow.pay(attempt, "creditcard")  # paid at secuconnect; the app has not heard of it yet
    control.pay_out()
    first = payouts.sync_payouts()
    assert (first.new, first.unmatched) == (4, 4)
    flow.come_back(attempt)  # now the app holds the payment
    later = payouts.sync_payouts()
    assert later.rematched == 4
    assert PayoutLine.objects.exclude(unmatched="").count() == 0
    coffee = Payout.objects.get(contract_id=COFFEE)
    assert coffee.supplier is not None
    assert _ledger(COFFEE).balance == 0
