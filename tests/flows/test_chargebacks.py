"""Chargebacks and returned debits as a workflow, over HTTP against the sandbox: the buyer's
money comes back (simple status 4 "issue", "Rückbelastung"), one push later the part and the
order say so, staff are told, the buyer is not alarmed, the part neither ships nor is refunded;
"issue resolved" (6) takes the order back to where it was, announced as resolved."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Order, PaymentTransaction, SubBasket
from secu_marketplace.read import order_balance
from secu_marketplace.rules.statuses import DisputeState, OrderStatus, PaymentRole, Source
from secu_marketplace.sandbox import clock, control
from secu_marketplace.services import refunds, shipping
from secu_marketplace.services.sync import sync_attempt
from secu_marketplace.views.payment import order_status_url
from tests.races import paused_at

from .conftest import Flow

D = DisputeState


def _names(announced: list[tuple[str, dict[str, Any]]], since: int = 0) -> list[str]:
    return [name for name, _ in announced[since:] if name != "order_status_changed"]


def _part_pci(order: Order, reference: str) -> str:
    return PaymentTransaction.objects.get(
        order=order, role=PaymentRole.SUB, sub_basket__reference_id=reference
    ).pci_id


def _disputes(order: Order) -> dict[str, str]:
    return dict(order.sub_baskets.values_list("reference_id", "dispute"))


def test_a_chargeback_reaches_the_order_in_one_push_and_its_resolution_takes_it_back(
    flow: Flow, announced: list
) -> None:
    order = flow.paid_order("creditcard")
    before = len(announced)
    flow.kit.money_back(order, deliver=False)
    assert flow.deliver_pushes() >= 1  # one push (per transaction): no refresh, no sync run
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert _disputes(order) == {"sb0": D.OPEN, "sb1": D.OPEN}
    names = _names(announced, before)
    assert names[0] == "order_disputed"
    assert names.count("sub_basket_disputed") == 2
    assert "order_paid" not in names
    (kwargs,) = [kw for name, kw in announced if name == "order_disputed"]
    assert sorted(s.reference_id for s in kwargs["sub_baskets"]) == ["sb0", "sb1"]
    leading = order.payments.get(role=PaymentRole.LEADING)
    assert (leading.status_simple, leading.status_text) == (4, "Rückbelastung")
    assert list(Order.objects.disputed()) == [order]
    assert SubBasket.objects.disputed().count() == 2
    assert order in Order.objects.paid()  # the buyer did pay

    # Staff can neither ship nor refund a part whose money is back with the buyer.
    sb0 = order.sub_baskets.get(reference_id="sb0")
    with pytest.raises(ProcessingError, match="came back"):
        shipping.ship_sub_basket(order, sb0, carrier="DHL")
    with pytest.raises(ProcessingError, match="came back"):
        refunds.refund(order, sub_basket=sb0, amount=100)
    balance = order_balance(order)
    assert balance.disputed
    assert not any(part.may_ship for part in balance.parts)
    assert all(part.refundable == 0 for part in balance.parts)
    # The buyer is not alarmed: their page says the order stands.
    page = flow.browser.get(order_status_url(order)).content.decode()
    assert 'data-state="confirmed"' in page
    assert "chargeback" not in page.lower()

    before = len(announced)
    flow.kit.issue_resolved(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert _disputes(order) == {"sb0": D.RESOLVED, "sb1": D.RESOLVED}
    names = _names(announced, before)
    assert names[0] == "order_dispute_resolved"
    assert names.count("sub_basket_dispute_resolved") == 2
    assert "order_paid" not in names  # the suppliers were told to ship when it was paid
    shipping.ship_sub_basket(order, sb0, carrier="DHL")  # shipping goes on
    assert not Order.objects.disputed().exists()
    assert list(order.events.filter(subject="dispute").values_list("from_status", "to_status")) == [
        ("", "open"),
        ("", "open"),
        ("open", "resolved"),
        ("open", "resolved"),
    ]


def test_a_returned_debit_on_one_part_blocks_that_part_only(flow: Flow, announced: list) -> None:
    order = flow.paid_order("debit")
    sb0, sb1 = order.sub_baskets.order_by("position")
    control.money_back(_part_pci(order, "sb1"))
    flow.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert _disputes(order) == {"sb0": D.NONE, "sb1": D.OPEN}
    [kwargs] = [kw for n, kw in announced if n == "sub_basket_disputed"]
    assert kwargs["sub_basket"].reference_id == "sb1"

    shipping.ship_sub_basket(order, sb0, carrier="DHL")  # the other supplier ships
    with pytest.raises(ProcessingError, match="came back"):
        shipping.ship_sub_basket(order, sb1, carrier="DHL")
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED

    control.issue_resolved(_part_pci(order, "sb1"))
    flow.deliver_pushes()
    shipping.ship_sub_basket(order, sb1, carrier="DHL")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_a_part_whose_money_came_back_is_refused_even_from_a_copy_read_before(
    flow: Flow,
) -> None:
    order = flow.paid_order("debit")
    sb1 = order.sub_baskets.get(reference_id="sb1")  # read by the caller (a page, shop code)
    flow.money_back_on(order, "sb1")  # the returned debit lands meanwhile
    with pytest.raises(ProcessingError, match="came back"):
        refunds.refund(Order.objects.get(pk=order.pk), sub_basket=sb1, amount=500, reason="K")
    assert not order.refunds.exists()


def test_an_answer_read_before_the_resolution_never_reopens_the_dispute(
    flow: Flow, announced: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync reads "issue", and is held before it commits; the resolution arrives and is
    applied; then A commits. secuconnect's times are whole seconds (here both changes fall in
    one): A's answer was asked for first, so it is older and changes nothing."""
    order = flow.paid_order("creditcard")
    second = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: second)
    flow.kit.money_back(order)
    attempt = Order.objects.get(pk=order.pk).attempts.get()

    def read_then_commit() -> object:
        return sync_attempt(attempt, source=Source.RECONCILE)

    with paused_at("sync.before_commit", read_then_commit) as first:
        flow.kit.issue_resolved(order)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert first.error is None, first.error
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert set(order.sub_baskets.values_list("dispute", flat=True)) == {DisputeState.RESOLVED}
    names = [name for name, _kw in announced]
    assert names.count("order_disputed") == 1
    assert names.count("order_dispute_resolved") == 1


def test_a_shipped_order_goes_back_to_shipped(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    shipping.ship_order(order, carrier="DHL")
    flow.kit.money_back(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    flow.kit.issue_resolved(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # never back to "paid"


@pytest.mark.parametrize("parts_marked", [True, False])
def test_whichever_transactions_secuconnect_marks_every_part_is_disputed(
    flow: Flow, parts_marked: bool
) -> None:
    """Undecided: a chargeback on the leading transaction marks its parts too, or not."""
    control.set_switch("CHARGEBACK_PARTS", parts_marked)
    order = flow.paid_order("paypal")
    flow.kit.money_back(order)
    order.refresh_from_db()
    subs = order.payments.filter(role=PaymentRole.SUB)
    assert {p.status_simple for p in subs} == ({4} if parts_marked else {1})
    assert order.status == OrderStatus.DISPUTED
    assert set(_disputes(order).values()) == {D.OPEN}
    flow.kit.issue_resolved(order)
    order.refresh_from_db()
    assert (order.status, set(_disputes(order).values())) == (OrderStatus.PAID, {D.RESOLVED})


def test_a_chargeback_of_the_whole_payment_flags_a_part_refunded_before(
    flow: Flow, announced: list
) -> None:
    """Only the leading transaction is marked (undecided): every part is disputed, the one
    refunded in full too, since its buyer would then have the money twice."""
    control.set_switch("CHARGEBACK_PARTS", False)
    order = flow.paid_order("creditcard")
    sb1 = order.sub_baskets.get(reference_id="sb1")
    refunds.refund(order, sub_basket=sb1, reason="Storno")
    flow.kit.money_back(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert _disputes(order) == {"sb0": D.OPEN, "sb1": D.OPEN}
    assert [n for n, _ in announced].count("sub_basket_disputed") == 2


def test_money_that_stays_with_the_buyer_loses_the_dispute_and_cancels(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    flow.kit.money_back(order)
    leading = order.payments.get(role=PaymentRole.LEADING)
    flow.sandbox.post(
        f"/api/v2/Payment/Secupaycreditcards/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 5},
    )
    flow.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert set(_disputes(order).values()) == {D.LOST}


def test_reconciliation_finds_a_resolution_whose_push_was_lost(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    flow.kit.money_back(order)
    flow.kit.issue_resolved(order, deliver=False)
    control.reset_calls()
    call_command("secu_sync", "--min-age", "0", "--no-expiry", stdout=io.StringIO())
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert control.count("payment.get") >= 1  # read in full, past the unchanged Smart Transaction


def test_the_whole_order_is_not_offered_for_confirmation_while_a_part_is_disputed(
    flow: Flow, admin_client: Any, calls: Any
) -> None:
    order = flow.paid_order("debit")
    flow.money_back_on(order, "sb1")
    url = f"/admin/secu_marketplace/order/{order.pk}/refund/"
    page = admin_client.post(url, {"sub_basket": "order", "reason": "Storno"})
    assert page.context["step"] != "confirm"
    assert "refund the other parts one by one" in page.content.decode()
    assert calls("payment.cancel") == 0


def test_the_chargeback_filter_lists_only_orders_a_chargeback_touched(
    flow: Flow, admin_client: Any
) -> None:
    quiet = flow.paid_order("creditcard")
    touched = flow.paid_order("debit")
    flow.kit.money_back(touched)  # every part of it
    listed = admin_client.get("/admin/secu_marketplace/order/", {"dispute": "open"})
    assert [o.pk for o in listed.context["cl"].result_list] == [touched.pk]
    # An empty value is no choice: every order, not "orders with an undisputed part".
    everything = admin_client.get("/admin/secu_marketplace/order/", {"dispute": ""})
    assert {o.pk for o in everything.context["cl"].result_list} == {quiet.pk, touched.pk}
