"""The demo shop's e-mails (``demo_project/shop/receivers.py``): one per transition, to the buyer
and to each supplier, however many ways the news arrives (return page, push, staff, sync)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from secu_marketplace import signals
from secu_marketplace.models import Order, Supplier
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole
from secu_marketplace.sandbox import world
from secu_marketplace.services import refunds, shipping
from secu_marketplace.services.bulk_sync import refresh_orders
from tests.factories import guide_order
from tests.flows.conftest import Flow

COFFEE, FURNITURE = world.GUIDE_SUPPLIER_CONTRACTS
COFFEE_MAIL = "kaffee@musterhaendler.example"
FURNITURE_MAIL = "einrichtung@musterhaendler.example"
Outbox = list[mail.EmailMessage]


def _order(flow: Flow, *, furniture_mail: str = FURNITURE_MAIL, **kwargs: Any) -> Order:
    order = flow.order(**kwargs)
    Supplier.objects.filter(contract_id=COFFEE).update(email=COFFEE_MAIL)
    Supplier.objects.filter(contract_id=FURNITURE).update(email=furniture_mail)
    return order


def to(outbox: Outbox, address: str) -> list[mail.EmailMessage]:
    return [message for message in outbox if message.to == [address]]


def money_arrives(flow: Flow, order: Order, status: int = 1) -> None:
    leading = order.payments.get(role=PaymentRole.LEADING)
    answer = flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": status},
    )
    assert answer.status == 200, answer.text


def every_way_at_once(flow: Flow, order: Order) -> None:
    """The same news by every entry point: return page (three times), pushes, the payment page,
    a staff refresh and reconciliation."""
    attempt = order.attempts.order_by("-number").first()
    assert attempt is not None
    for _ in range(3):
        assert flow.come_back(attempt).status_code == 200
    flow.deliver_pushes()
    assert Client().get(f"/payments/order/{order.public_token}/").status_code == 200
    refresh_orders([order], source="admin")
    call_command("secu_sync", "--min-age", "0", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_paid_order_mails_the_buyer_once_and_each_supplier_once(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "creditcard")
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert len(mailoutbox) == 3
    [buyer] = to(mailoutbox, "max@example.net")
    [coffee] = to(mailoutbox, COFFEE_MAIL)
    [furniture] = to(mailoutbox, FURNITURE_MAIL)

    assert buyer.subject == f"Order {order.reference} confirmed"
    assert buyer.from_email == "Mustermarktplatz <shop@mustermarktplatz.example>"
    assert "Hello Max Mustermann," in buyer.body
    assert "Payment: 77.85 EUR by Credit card" in buyer.body
    assert "Musterhändler Kaffee & Tee: 44.40 EUR" in buyer.body  # not HTML-escaped
    assert "Musterhändler Einrichtung: 33.45 EUR" in buyer.body
    assert f"{flow.base_url}/orders/{order.public_token}/" in buyer.body
    assert "IBAN" not in buyer.body

    assert coffee.subject == f"New paid order {order.reference}: please ship"
    assert "2 x Kaffeepads Aromata 20 Stück  39.90 EUR" in coffee.body
    assert "Shipping: Standardversand  4.50 EUR" in coffee.body
    assert "Sum: 44.40 EUR" in coffee.body
    assert "Marketplace fee: 0.80 EUR" in coffee.body
    assert "Your payout: 43.60 EUR" in coffee.body
    assert "Musterstr. 55 a" in coffee.body
    assert "Magnettafel" not in coffee.body  # only the supplier's own sub-basket
    assert "1 x Magnettafel 70x50 cm  29.95 EUR" in furniture.body
    assert "Marketplace fee: 0.70 EUR" in furniture.body
    assert "Kaffeepads" not in furniture.body


def test_prepaid_mails_the_transfer_instructions_once_then_the_confirmation_once(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "prepaid")
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    [pending] = mailoutbox
    assert pending.to == ["max@example.net"]
    assert pending.subject == f"Order {order.reference}: please transfer 77.85 EUR"
    instructions = order.payment_instructions
    assert isinstance(instructions, dict)
    for line in (
        f"Account holder: {instructions['owner']}",
        "IBAN: DE81850400611005523759",
        f"BIC: {instructions['bic']}",
        "Amount: 77.85 EUR",
        f"Purpose: TA {order.trans_id}",
    ):
        assert line in pending.body

    money_arrives(flow, order)
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert [m.subject for m in to(mailoutbox, "max@example.net")] == [
        f"Order {order.reference}: please transfer 77.85 EUR",
        f"Order {order.reference} confirmed",
    ]
    assert len(to(mailoutbox, COFFEE_MAIL)) == len(to(mailoutbox, FURNITURE_MAIL)) == 1
    assert len(mailoutbox) == 4


def test_a_payment_pending_a_risk_check_is_mailed_without_bank_details(
    db: None, mailoutbox: Outbox
) -> None:
    order = guide_order()
    Order.objects.filter(pk=order.pk).update(payment_method="creditcard", status="pending")
    order.refresh_from_db()
    signals.order_pending.send(
        sender=Order,
        order=order,
        old_status="awaiting_payment",
        new_status="pending",
        source="push",
    )
    [pending] = mailoutbox
    assert pending.subject == f"Order {order.reference}: your payment is being checked"
    assert "Your payment of 77.85 EUR is being checked" in pending.body
    assert "IBAN" not in pending.body


def test_a_failed_payment_is_not_mailed(flow: Flow, mailoutbox: Outbox) -> None:
    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "creditcard", outcome="declined")
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert mailoutbox == []


def test_a_denied_prepayment_is_not_mailed_beyond_the_instructions(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "prepaid")
    flow.deliver_pushes()
    money_arrives(flow, order, status=3)
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert [m.subject for m in mailoutbox] == [
        f"Order {order.reference}: please transfer 77.85 EUR"
    ]


def test_a_supplier_without_an_address_gets_no_mail(flow: Flow, mailoutbox: Outbox) -> None:
    order = _order(flow, furniture_mail="")
    flow.pay(flow.checkout(order).attempt, "debit")
    every_way_at_once(flow, order)
    assert sorted(address for m in mailoutbox for address in m.to) == [
        COFFEE_MAIL,
        "max@example.net",
    ]


def test_each_refund_is_mailed_once_with_its_amount_and_supplier(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    started = flow.checkout(order)
    flow.pay(started.attempt, "creditcard")
    flow.come_back(started.attempt)
    sb0, sb1 = order.sub_baskets.order_by("position")
    mailoutbox.clear()

    refunds.refund(order, sub_basket=sb0, amount=1000, reason="Kaffee beschaedigt")
    refunds.refund(order, sub_basket=sb1)
    every_way_at_once(flow, order)

    first, second = mailoutbox
    assert first.to == second.to == ["max@example.net"]
    assert first.subject == f"Order {order.reference}: 10.00 EUR refunded"
    assert "we have refunded 10.00 EUR of your order" in first.body
    assert "for the part from Musterhändler Kaffee & Tee" in first.body
    assert "Reason: Kaffee beschaedigt" in first.body
    assert second.subject == f"Order {order.reference}: 33.45 EUR refunded"
    assert "for the part from Musterhändler Einrichtung" in second.body
    assert "Reason" not in second.body


def test_a_refund_is_mailed_only_once_secuconnect_has_executed_it(
    flow: Flow, mailoutbox: Outbox, settings: Any
) -> None:
    settings.SECU_SANDBOX = {**settings.SECU_SANDBOX, "REFUNDS": "pending"}
    order = _order(flow)
    started = flow.checkout(order)
    flow.pay(started.attempt, "creditcard")
    flow.come_back(started.attempt)
    mailoutbox.clear()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    (record,) = refunds.refund(order, sub_basket=sb0, amount=500).refunds
    every_way_at_once(flow, order)
    assert mailoutbox == []
    flow.sandbox.post(
        f"/api/v2/Payment/Secupaycreditcards/{record.refund_pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    every_way_at_once(flow, order)
    [refunded] = mailoutbox
    assert refunded.subject == f"Order {order.reference}: 5.00 EUR refunded"


def test_a_cancelled_part_is_a_reduction_and_its_supplier_is_not_asked_to_ship(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    mailoutbox.clear()
    sb1 = order.sub_baskets.get(reference_id="sb1")
    refunds.refund(order, sub_basket=sb1, reason="nicht lieferbar")
    [reduced] = mailoutbox
    assert "was reduced by 33.45 EUR, for the part from Musterhändler Einrichtung" in reduced.body
    assert "You will not be charged this amount." in reduced.body

    money_arrives(flow, order)
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert to(mailoutbox, FURNITURE_MAIL) == []
    [coffee] = to(mailoutbox, COFFEE_MAIL)
    assert "Sum: 44.40 EUR" in coffee.body
    confirmed = to(mailoutbox, "max@example.net")[-1]
    assert "Musterhändler Einrichtung" not in confirmed.body
    # What the buyer paid: what secuconnect holds, not the order's original total.
    assert "Payment: 44.40 EUR by Prepayment (bank transfer)" in confirmed.body


def test_shipping_is_mailed_per_supplier_with_carrier_and_tracking(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    started = flow.checkout(order)
    flow.pay(started.attempt, "invoice")
    flow.come_back(started.attempt)
    order.refresh_from_db()
    [confirmed] = to(mailoutbox, "max@example.net")
    # An invoice is paid later: the confirmation says where to.
    assert "Please pay the invoice by bank transfer to:" in confirmed.body
    assert f"Purpose: TA {order.trans_id}" in confirmed.body
    mailoutbox.clear()

    sb0, sb1 = order.sub_baskets.order_by("position")
    shipping.ship_sub_basket(
        order, sb0, carrier="DHL", tracking_id="00340434", invoice_number="R-1"
    )
    shipping.ship_sub_basket(order, sb1, carrier="Hermes")
    every_way_at_once(flow, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    first, second = mailoutbox
    assert first.subject == f"Order {order.reference}: Musterhändler Kaffee & Tee has shipped"
    assert "2 x Kaffeepads Aromata 20 Stück" in first.body
    assert "Standardversand" not in first.body
    assert "Carrier: DHL" in first.body
    assert "Tracking number: 00340434" in first.body
    assert "Invoice number: R-1" in first.body
    assert second.subject == f"Order {order.reference}: Musterhändler Einrichtung has shipped"
    assert "Carrier: Hermes" in second.body
    assert "Tracking number" not in second.body


def test_the_buyer_is_written_to_in_the_language_of_the_order(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow, language="de")
    flow.pay(flow.checkout(order).attempt, "prepaid")
    flow.deliver_pushes()
    [pending] = mailoutbox
    assert pending.subject == f"Bestellung {order.reference}: bitte überweisen Sie 77,85 EUR"
    assert "Kontoinhaber: " in pending.body
    assert "Verwendungszweck: TA " in pending.body


@pytest.mark.parametrize(
    ("broken", "still_sent"),
    [
        ("order_paid_buyer", sorted([COFFEE_MAIL, FURNITURE_MAIL])),
        ("order_paid_supplier", ["max@example.net"]),
    ],
)
def test_a_mail_that_cannot_be_sent_stops_neither_the_others_nor_the_payment(
    flow: Flow,
    mailoutbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    broken: str,
    still_sent: list[str],
) -> None:
    from demo_project.shop import receivers

    real = receivers.render_to_string

    def render(template: str, context: dict[str, Any]) -> str:
        if broken in template:
            raise ConnectionRefusedError("mail server down")
        return real(template, context)

    monkeypatch.setattr(receivers, "render_to_string", render)
    order = _order(flow)
    started = flow.checkout(order)
    flow.pay(started.attempt, "creditcard")
    assert flow.come_back(started.attempt).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert sorted(address for m in mailoutbox for address in m.to) == still_sent


STAFF = "staff@mustermarktplatz.example"


def test_an_accepted_invoice_is_never_called_paid_and_its_payment_is_mailed_once(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "invoice")
    every_way_at_once(flow, order)
    [buyer] = to(mailoutbox, "max@example.net")
    [coffee] = to(mailoutbox, COFFEE_MAIL)
    assert buyer.subject == f"Order {order.reference} confirmed: please pay the invoice"
    assert "IBAN: DE81850400611005523759" in buyer.body
    assert coffee.subject == f"New order {order.reference}: ready to ship, invoice open"
    assert "the invoice is open until the buyer pays it" in coffee.body
    assert "paid" not in coffee.subject
    assert " is paid" not in coffee.body

    leading = order.payments.get(role=PaymentRole.LEADING)
    flow.sandbox.post(
        f"/api/v2/Payment/Secupayinvoices/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 9},
    )
    every_way_at_once(flow, order)
    assert [m.subject for m in to(mailoutbox, "max@example.net")][1:] == [
        f"Order {order.reference}: your payment has arrived"
    ]
    assert len(to(mailoutbox, COFFEE_MAIL)) == 1  # told to ship once, when it was confirmed


def test_a_chargeback_is_mailed_to_staff_per_part_and_never_to_the_buyer(
    flow: Flow, mailoutbox: Outbox
) -> None:
    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "debit")
    flow.come_back(order.attempts.get())
    mailoutbox.clear()
    flow.kit.money_back(order)
    every_way_at_once(flow, order)
    assert sorted(m.subject for m in to(mailoutbox, STAFF)) == [
        f"Chargeback on order {order.reference}: Musterhändler Einrichtung's part",
        f"Chargeback on order {order.reference}: Musterhändler Kaffee & Tee's part",
    ]
    assert f"/admin/secu_marketplace/order/{order.pk}/change/" in mailoutbox[0].body
    assert to(mailoutbox, "max@example.net") == []
    flow.kit.issue_resolved(order)
    assert len(to(mailoutbox, STAFF)) == 4
    assert to(mailoutbox, "max@example.net") == []


def test_the_buyer_is_reminded_and_told_when_the_unpaid_order_expires(
    flow: Flow, mailoutbox: Outbox
) -> None:
    from secu_marketplace.services import expiry

    order = _order(flow)
    flow.pay(flow.checkout(order).attempt, "prepaid")
    flow.come_back(order.attempts.get())
    order.refresh_from_db()
    assert order.pay_by is not None
    mailoutbox.clear()
    expiry.run(now=order.pay_by - timedelta(days=1))
    expiry.run(now=order.pay_by + timedelta(seconds=1))
    reminder, expired = to(mailoutbox, "max@example.net")
    assert reminder.subject.startswith(f"Order {order.reference}: please transfer 77.85 EUR by ")
    assert "IBAN: DE81850400611005523759" in reminder.body
    assert expired.subject == f"Order {order.reference} has expired"
    assert "Nothing is charged for it" in expired.body
    assert len(mailoutbox) == 2
