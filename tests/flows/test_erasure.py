"""Erasure that keeps the records (issue 19): after a buyer is erased no table of the app (nor
the demo shop's) holds their name, e-mail address or IBAN, while every amount, id, date and
the supplier split remain, and the books add up as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone, translation

from secu_marketplace import signals
from secu_marketplace.builder import Buyer
from secu_marketplace.models import (
    CheckoutAttempt,
    Order,
    PaymentTransaction,
    PushNotification,
    Refund,
    StatusEvent,
)
from secu_marketplace.read.books import ledger_totals, supplier_ledger
from secu_marketplace.services import erasure, refunds

from .conftest import Flow

ERIKA = Buyer(
    email="erika.vergessen@example.org",
    forename="Erika",
    surname="Vergessenwerden",
    phone="+49 30 9876543",
    street="Löschweg",
    street_number="7",
    postal_code="10115",
    city="Berlin",
)
IBAN = "DE02120300000000202051"
NEEDLES = ("Vergessenwerden", "erika.vergessen@example.org", IBAN, "Löschweg", "9876543")


def _whole_database() -> str:
    """Every row of every table but the sandbox's (the provider's own copy, which is
    secupay's to erase), as text."""
    sandbox = {m._meta.db_table for m in apps.get_app_config("secu_sandbox").get_models()}
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table in sandbox:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump += [repr(row) for row in cursor.fetchall()]
    return "\n".join(dump)


def _found() -> list[str]:
    text = _whole_database().lower()
    return [needle for needle in NEEDLES if needle.lower() in text]


def _figures(order: Order) -> dict[str, Any]:
    return {
        "order": list(
            Order.objects.filter(pk=order.pk).values(
                "reference", "total", "currency", "created", "trans_id"
            )
        ),
        "parts": list(
            order.sub_baskets.values("supplier_id", "sum", "fee", "contract_id", "reference_id")
        ),
        "payments": list(
            PaymentTransaction.objects.filter(order=order).values(
                "pci_id", "amount", "trans_id", "status_simple"
            )
        ),
        "refunds": list(Refund.objects.filter(order=order).values("amount", "state", "created")),
        "books": ledger_totals(supplier_ledger()),
    }


def _plant_old_copies(order: Order) -> None:
    """What an older version, or a receiver, could have kept: an unredacted snapshot, a push
    body and a review note naming the buyer, the payer's IBAN in an error."""
    attempt = CheckoutAttempt.objects.filter(order=order).first()
    assert attempt is not None
    contact = {"forename": "Erika", "surname": "Vergessenwerden", "email": ERIKA.email}
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(
        snapshot={**(attempt.snapshot or {}), "note": "für Erika Vergessenwerden"},
        last_error={"error_details": f"account {IBAN} of Erika Vergessenwerden"},
    )
    PushNotification.objects.create(
        push_id="evt_old_unredacted",
        attempt=attempt,
        target="payment.transactions",
        type="changed",
        body={"object": "event.pushes", "customer": {"contact": contact}},
    )
    StatusEvent.objects.filter(order=order).update(detail={"reason": "asked by +49 30 9876543"})


def test_an_erased_buyer_leaves_no_personal_data_and_every_amount(flow: Flow) -> None:
    order = flow.paid_order("debit", buyer=ERIKA)
    other = flow.paid_order("creditcard")  # another buyer: untouched
    flow.deliver_pushes()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    refunds.refund(
        Order.objects.get(pk=order.pk), sub_basket=sb0, amount=300, reason="Vergessenwerden zurueck"
    )
    _plant_old_copies(order)
    before = _figures(order)
    assert set(_found()) == set(NEEDLES)  # the search finds what is there
    dry = erasure.erase(erasure.orders_of(email="ERIKA.vergessen@example.org"), dry_run=True)
    assert [o.reference for o in dry.erased] == [order.reference]
    assert "order.surname" in dry.erased[0].changes
    assert set(_found()) == set(NEEDLES)  # a dry run changes nothing
    heard: list[Any] = []
    signals.buyer_erased.connect(lambda sender, **kw: heard.append(kw["fields"]), weak=False)
    try:
        erasure.erase(erasure.orders_of(email=ERIKA.email))
    finally:
        signals.buyer_erased.receivers = []
    assert _found() == []
    assert _figures(order) == before
    assert heard
    assert "email" in heard[0]
    event = StatusEvent.objects.get(order=order, subject="erasure")
    assert "surname" in event.detail["fields"]
    kept = Order.objects.get(pk=other.pk)
    assert kept.email
    assert kept.surname == "Mustermann"


def test_an_order_whose_money_is_on_its_way_is_not_erased(flow: Flow) -> None:
    order = flow.order(buyer=ERIKA)
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    report = erasure.erase([Order.objects.get(pk=order.pk)])
    assert report.refused
    assert "pending" in report.refused[0].refused
    assert Order.objects.get(pk=order.pk).surname == "Vergessenwerden"


def test_an_open_invoice_or_a_disputed_order_is_not_erased(flow: Flow) -> None:
    invoice = flow.paid_order("invoice", buyer=ERIKA)
    assert invoice.status == "confirmed"  # the buyer has not paid the invoice yet
    debit = flow.paid_order("debit", buyer=ERIKA)
    flow.money_back_on(debit, "sb1")  # the returned debit: the order is disputed
    assert Order.objects.get(pk=debit.pk).status == "disputed"
    report = erasure.erase(list(Order.objects.filter(pk__in=[invoice.pk, debit.pk])))
    refused = {found.reference: found.refused for found in report.refused}
    assert "not settled" in refused[invoice.reference]
    assert "disputed" in refused[debit.reference]
    with translation.override("de"):  # staff read why in their language
        assert "Rückbelastung" in erasure.refusal(Order.objects.get(pk=debit.pk))
        assert "Rechnung offen" in erasure.refusal(Order.objects.get(pk=invoice.pk))
    assert Order.objects.filter(surname="Vergessenwerden").count() == 2


@pytest.mark.parametrize("dry", [True, False])
def test_the_command_erases_by_order_or_only_lists(flow: Flow, dry: bool, capsys: Any) -> None:
    order = flow.paid_order("creditcard", buyer=ERIKA)
    args = ["--order", order.reference] + (["--dry-run"] if dry else [])
    call_command("secu_erase", *args)
    printed = capsys.readouterr().out
    assert ("would erase" if dry else "erased") in printed
    assert (Order.objects.get(pk=order.pk).surname == "") is not dry


def test_secu_sync_erases_the_buyers_past_the_retention_period(
    flow: Flow, settings: Any, capsys: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "ERASE_BUYERS_AFTER_DAYS": 30}
    old, recent = flow.paid_order("creditcard", buyer=ERIKA), flow.paid_order("creditcard")
    Order.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=40))
    call_command("secu_sync", "--min-age", "0", "--no-progress")
    assert "buyers erased: 1" in capsys.readouterr().out
    assert Order.objects.get(pk=old.pk).surname == ""
    assert Order.objects.get(pk=recent.pk).surname == "Mustermann"
    call_command("secu_sync", "--min-age", "0", "--no-progress")  # once only
    assert "buyers erased: 0" in capsys.readouterr().out


def test_erasure_decides_again_with_the_order_locked(flow: Flow, monkeypatch: Any) -> None:
    """The refusal is checked before and again under the order's lock: a chargeback that
    lands in between (here: the first look misses it) still keeps the buyer's data."""
    order = flow.paid_order("debit", buyer=ERIKA)
    flow.money_back_on(order, "sb1")
    real = erasure.refusal
    looks: list[str] = []

    def first_look_misses(found: Order) -> str:
        looks.append(found.reference)
        return "" if len(looks) == 1 else real(found)

    monkeypatch.setattr(erasure, "refusal", first_look_misses)
    report = erasure.erase([Order.objects.get(pk=order.pk)])
    assert len(looks) == 2
    assert "disputed" in report.refused[0].refused
    assert Order.objects.get(pk=order.pk).surname == "Vergessenwerden"
    assert not order.events.filter(subject="erasure").exists()
