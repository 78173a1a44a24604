"""The books at their edges, against the sandbox (found in review): a sale stays in the books
whatever its order does later, payouts are read past a first run's window and each record
once, a release is decided again with its claim held, the retention rule is never crowded
out, exports write each currency's own places and distinct DATEV document numbers, and dates
the app cannot count are refused, never a 500."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from secu_marketplace.models import Order, Payout, PayoutLine
from secu_marketplace.read.books import Movement, movements, supplier_ledger
from secu_marketplace.rules.books import MovementKind
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import PayoutLine as ProviderLine
from secu_marketplace.services import payouts
from secu_marketplace.services.exports import datev_export, movements_csv

from .conftest import Flow

ADMIN = "/admin/secu_marketplace"
COFFEE, FURNITURE = "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7", "GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30"


def _row(contract: str, currency: str = "EUR", **period: Any) -> Any:
    (row,) = [
        r
        for r in supplier_ledger(**period)
        if r.supplier and r.supplier.contract_id == contract and r.currency == currency
    ]
    return row


def test_payouts_beyond_the_first_runs_window_are_read_by_the_next_run(
    flow: Flow, monkeypatch: Any
) -> None:
    monkeypatch.setattr(payouts, "PAGE", 2)
    monkeypatch.setattr(payouts, "MAX_PAGES", 1)  # "the next run reads on"
    flow.paid_order("creditcard")
    assert len(control.pay_out()) == 4
    for _ in range(3):
        payouts.sync_payouts()
    assert PayoutLine.objects.count() == 4


def test_a_lost_chargeback_stays_in_the_books(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    flow.deliver_pushes()
    control.pay_out()
    payouts.sync_payouts()
    flow.kit.money_back(order)
    before = _row(FURNITURE)
    assert before.chargebacks == 2995 + 350
    leading = order.payments.get(role="leading")
    flow.sandbox.post(
        f"/api/v2/Payment/Secupaycreditcards/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 5},
    )
    flow.deliver_pushes()
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    after = _row(FURNITURE)
    # docs/books.md: chargebacks = "a part whose dispute is open or lost"
    assert (after.sold, after.chargebacks) == (before.sold, before.chargebacks)


def test_an_order_sent_to_review_after_its_payout_keeps_its_sale(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    control.pay_out()
    payouts.sync_payouts()
    assert _row(COFFEE).balance == 0
    # PAID -> NEEDS_REVIEW is allowed by TRANSITIONS (e.g. "paid twice")
    Order.objects.filter(pk=order.pk).update(status="needs_review")
    row = _row(COFFEE)
    assert (row.sold, row.balance) == (4440, 0)


def test_the_export_form_refuses_a_date_it_cannot_handle(admin_client: Client) -> None:
    answer = admin_client.post(
        f"{ADMIN}/payout/export/",
        {"first": "9999-12-31", "last": "9999-12-31", "format": "csv"},
    )
    assert answer.status_code == 200


def test_the_ledger_page_refuses_a_month_it_cannot_handle(admin_client: Client) -> None:
    assert admin_client.get(f"{ADMIN}/payout/ledger/", {"month": "9999-12"}).status_code == 200


def test_the_export_command_refuses_a_date_it_cannot_handle(tmp_path: Any) -> None:
    with pytest.raises(CommandError):
        call_command(
            "secu_export",
            "--from",
            "9999-12-31",
            "--to",
            "9999-12-31",
            "--output",
            str(tmp_path),
            stdout=io.StringIO(),
        )


def _move(**kw: Any) -> Movement:
    base: dict[str, Any] = {
        "kind": MovementKind.PAYMENT,
        "at": datetime(2026, 11, 5, 12, tzinfo=UTC),
        "amount": 1000,
        "currency": "JPY",
        "supplier_id": 1,
        "owner": "supplier",
        "order_reference": "T-1",
        "document": "T-1",
    }
    return Movement(**{**base, **kw})


def test_the_csv_amount_of_a_currency_without_decimals(db: Any) -> None:
    row = movements_csv([_move()]).splitlines()[1].split(",")
    assert row[9] == "1000"


def test_the_datev_amount_of_a_currency_without_decimals(db: Any) -> None:
    since = timezone.make_aware(datetime(2026, 11, 1))
    until = timezone.make_aware(datetime(2026, 12, 1))
    lines = datev_export([_move()], since=since, until=until).decode("cp1252").split("\r\n")
    assert lines[2].split(";")[0] == "1000,00"


def test_two_payouts_keep_distinct_document_numbers(db: Any) -> None:
    since = timezone.make_aware(datetime(2026, 11, 1))
    until = timezone.make_aware(datetime(2026, 12, 1))
    moves = [
        _move(kind=MovementKind.PAYOUT, currency="EUR", document=f"Auszahlung {n}", trans_id=None)
        for n in (1, 10)
    ]
    lines = datev_export(moves, since=since, until=until).decode("cp1252").split("\r\n")
    beleg = {line.split(";")[10] for line in lines[2:] if line}
    assert len(beleg) == 2


def test_a_line_matchable_later_is_matched_behind_many_that_never_will(
    flow: Flow, monkeypatch: Any
) -> None:
    monkeypatch.setattr(payouts, "REMATCH_LIMIT", 4)
    order = flow.order()
    attempt = flow.checkout(order).attempt
    flow.pay(attempt, "creditcard")  # paid; the app has not heard of it yet
    control.pay_out()
    payouts.sync_payouts()  # its 4 lines: not matched yet
    stx = flow.sandbox.create()  # a payment outside this app: 4 lines that never match
    assert flow.sandbox.prepare(stx["id"], "creditcard").status == 200
    control.pay_out()
    payouts.sync_payouts()
    flow.come_back(attempt)
    assert payouts.sync_payouts().rematched == 4


def test_the_retention_rule_reaches_orders_behind_500_refused_ones(
    flow: Flow, settings: Any
) -> None:
    from secu_marketplace.services import erasure

    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "ERASE_BUYERS_AFTER_DAYS": 30}
    template = flow.order()
    stuck = []
    for n in range(500):
        clone = Order.objects.get(pk=template.pk)
        clone.pk = None
        clone.reference = f"R-{n}"
        clone.public_token = f"tok-{n}"
        clone.status = "needs_review"  # refused: "the order is needs_review"
        stuck.append(clone)
    Order.objects.bulk_create(stuck)
    Order.objects.filter(reference__startswith="R-").update(
        created=timezone.now() - timedelta(days=60)
    )
    Order.objects.filter(pk=template.pk).delete()
    paid = flow.paid_order("creditcard")
    Order.objects.filter(pk=paid.pk).update(created=timezone.now() - timedelta(days=40))
    for _ in range(3):  # three runs of secu_sync / books_upkeep
        erasure.erase_expired()
    assert Order.objects.get(pk=paid.pk).surname == ""


class _ShiftingClient:
    """Newest first; a new payout arrives between the two page reads, so record B is on both."""

    def __init__(self) -> None:
        self.pages = [["C", "B"], ["B", "A"], []]

    def list_payouts(self, *, count: int, offset: int = 0, query: str = "") -> dict[str, Any]:
        ids = self.pages.pop(0) if self.pages else []
        data = [
            {
                "id": f"PPO_{i}",
                "trans_id": 999000 + ord(i),
                "merchant": {"id": "MRC_X"},
                "purpose": "Auszahlung 1",
                "date": "2026-11-05T10:00:00+01:00",
                "currency": "EUR",
                "amount": 100,
                "payout_amount": 100,
            }
            for i in ids
        ]
        return {"count": 3, "data": data}


def test_a_record_listed_twice_in_one_run_is_recorded_once(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(payouts, "PAGE", 2)
    result = payouts.sync_payouts(_ShiftingClient())  # type: ignore[arg-type]
    assert result.new == 3
    assert PayoutLine.objects.count() == 3


def test_a_chargeback_arriving_before_the_release_is_sent_keeps_the_part(
    flow: Flow, settings: Any, monkeypatch: Any, calls: Any
) -> None:
    from secu_marketplace.models import Hold
    from secu_marketplace.services import holds, shipping

    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "HOLD_UNTIL_SHIPPED": True,
        "HOLD_DAYS": 14,
    }
    order = flow.paid_order("debit")
    holds.run()
    sub = order.sub_baskets.get(reference_id="sb1")
    shipping.ship_sub_basket(Order.objects.get(pk=order.pk), sub, carrier="DHL")
    real = holds.decide_hold

    def decide_then_chargeback(facts: Any, now: Any) -> Any:
        decision = real(facts, now)
        if decision[0] == "release":  # the returned debit lands while the run goes on
            flow.money_back_on(order, "sb1")
        return decision

    monkeypatch.setattr(holds, "decide_hold", decide_then_chargeback)
    holds.run(timezone.now() + timedelta(days=15))
    assert order.sub_baskets.get(reference_id="sb1").dispute == "open"
    hold = Hold.objects.get(sub_basket=sub)
    assert hold.state != "released"
    assert calls("payment.revoke_accrual") == 0


def test_one_part_of_the_books_failing_never_stops_the_others(
    db: Any, monkeypatch: Any, settings: Any
) -> None:
    from secu_marketplace.services import holds, upkeep

    ran: list[str] = []

    def broken(client: Any = None) -> Any:
        raise RuntimeError("boom")

    def counted(now: Any = None, client: Any = None) -> holds.HoldRun:
        ran.append("holds")
        return holds.HoldRun()

    monkeypatch.setattr(payouts, "sync_payouts", broken)
    monkeypatch.setattr(holds, "run", counted)
    summary = upkeep.run_books()
    assert ran == ["holds"]
    assert summary.errors == ["payouts could not be done: RuntimeError"]


def test_a_payout_run_in_two_currencies_is_not_summed_into_one(flow: Flow) -> None:
    flow.paid_order("creditcard")
    flow.paid_order("creditcard", currency="USD")
    control.pay_out()
    payouts.sync_payouts()
    coffee = Payout.objects.filter(contract_id=COFFEE)
    assert sorted(coffee.values_list("currency", "payout_amount")) == [
        ("EUR", 4360),
        ("USD", 4360),
    ]
    assert _row(COFFEE, "EUR").balance == 0
    assert _row(COFFEE, "USD").balance == 0


def test_a_part_refunded_in_full_still_pays_the_marketplace_its_fee(
    flow: Flow, settings: Any
) -> None:
    from secu_marketplace.read.books import MARKETPLACE
    from secu_marketplace.services import holds, refunds

    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "HOLD_UNTIL_SHIPPED": True}
    order = flow.paid_order("creditcard")
    holds.run()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    refunds.refund(Order.objects.get(pk=order.pk), sub_basket=sb0)  # in full, fee kept
    run = holds.run(timezone.now() + timedelta(days=30))
    assert (run.closed, run.released) == (0, 1)  # sb1 still waits for shipping
    (market,) = [r for r in supplier_ledger() if r.key == MARKETPLACE]
    assert market.fees == 80 + 70
    assert market.balance == 150
    control.pay_out()
    payouts.sync_payouts()
    (market,) = [r for r in supplier_ledger() if r.key == MARKETPLACE]
    assert market.balance == 70


def test_secupays_own_deduction_does_not_stay_as_balance_still_to_come(flow: Flow) -> None:
    flow.paid_order("creditcard")
    control.pay_out()
    # What the real provider does (the model has invoice_amount): 1.00 of secupay's fee is
    # deducted from the coffee supplier's payout.
    line = ProviderLine.objects.get(contract__contract_id=COFFEE, amounts__transaction_volume__gt=0)
    line.amounts = {**line.amounts, "invoice_amount": 100}
    line.payout_amount -= 100
    line.save()
    payouts.sync_payouts()
    row = _row(COFFEE)
    assert (row.paid_out, row.deducted) == (4260, 100)
    assert row.balance == 0
    kinds = [m.kind for m in movements()]
    assert kinds.count(MovementKind.DEDUCTION) == 1


def test_a_prepayment_paid_after_its_month_was_exported_is_in_some_export(flow: Flow) -> None:
    from secu_marketplace.services.exports import export

    order = flow.paid_order("prepaid")  # placed, the transfer not in yet
    assert order.status == "pending"
    placed = timezone.localdate() - timedelta(days=40)
    Order.objects.filter(pk=order.pk).update(
        created=timezone.make_aware(datetime.combine(placed, datetime.min.time()))
    )
    month_of_order = (placed.replace(day=1), placed)
    exported_then = export("csv", *month_of_order).totals  # the accountant's month-end export
    flow.kit.money_arrives(Order.objects.get(pk=order.pk))  # the transfer arrives today
    assert Order.objects.get(pk=order.pk).status == "paid"
    today = timezone.localdate()
    exported_now = export("csv", today.replace(day=1), today).totals
    assert exported_then.get("payment", 0) == 0  # not sold when that month was exported
    assert exported_now.get("payment", 0) == 7785  # sold now: in this month's export
