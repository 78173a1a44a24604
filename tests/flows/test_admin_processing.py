"""Staff after checkout, through the admin: the refund and ship pages, the capture, refund and
ship actions, and the push inbox with its "Process again" action and management command."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from secu_marketplace.models import Order, PushNotification, Refund, SubBasket
from secu_marketplace.read.payments import newest_refund
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole, RefundState
from secu_marketplace.sandbox import control
from secu_marketplace.services import refunds

from .conftest import Flow

ORDERS = "/admin/secu_marketplace/order/"
PUSHES = "/admin/secu_marketplace/pushnotification/"
P = PushNotification.Outcome


def refund_url(order: Order) -> str:
    return f"{ORDERS}{order.pk}/refund/"


def ship_url(order: Order) -> str:
    return f"{ORDERS}{order.pk}/ship/"


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the refund page ---------------------------------------------------------------------------


def confirm(data: dict[str, str]) -> dict[str, str]:
    """The confirmation page's POST: what staff confirm, and the newest refund they saw."""
    sub = str(data.get("sub_basket", ""))
    order = SubBasket.objects.get(pk=sub).order if sub.isdigit() else Order.objects.latest("pk")
    return {**data, "step": "confirm", "seen": str(newest_refund(order))}


def test_the_refund_page_chooses_nothing_and_shows_what_is_left_of_each_part(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.paid_order()
    page = admin_client.get(refund_url(order)).content.decode()
    assert 'data-step="part"' in page
    assert " checked" not in page  # nothing chosen for staff
    assert "Musterhändler Kaffee &amp; Tee" in page
    assert "44.40 EUR" in page
    assert "33.45 EUR" in page
    assert "The whole order: everything left of every part" in page
    assert "77.85 EUR" in page


def test_a_refund_of_lines_and_shipping_is_confirmed_before_secuconnect_is_asked(
    flow: Flow, admin_client: Client, calls: Any
) -> None:
    order = flow.paid_order()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    coffee = sb0.items.get(kind="article")
    form = admin_client.get(refund_url(order), {"sub_basket": sb0.pk}).content.decode()
    assert 'data-step="what"' in form
    assert f'name="line_{coffee.pk}"' in form
    data = {"sub_basket": str(sb0.pk), f"line_{coffee.pk}": "1", "shipping": "on"}
    data["reason"] = "Kaffee beschaedigt"
    before = calls("payment.cancel")
    page = admin_client.post(refund_url(order), data).content.decode()
    assert 'data-step="confirm"' in page
    assert "Refund 24.45 EUR of Musterhändler Kaffee &amp; Tee's part to Max Mustermann." in page
    assert "Left of this part afterwards: 19.95 EUR; of the whole order: 53.40 EUR." in page
    assert calls("payment.cancel") == before  # nothing sent before the confirmation
    assert not Refund.objects.exists()

    response = admin_client.post(refund_url(order), confirm(data), follow=True)
    assert response.redirect_chain == [(f"{ORDERS}{order.pk}/change/", 302)]
    assert messages_of(response) == [
        f"Order {order.reference}: 24.45 EUR of Musterhändler Kaffee & Tee's part refunded to "
        "Max Mustermann: done."
    ]
    assert calls("payment.cancel") == before + 1
    record = Refund.objects.get(order=order)
    assert (record.state, record.amount, record.sub_basket, record.reason, record.source) == (
        RefundState.DONE,
        2445,
        sb0,
        "Kaffee beschaedigt",
        "admin",
    )
    assert [(line["description"], line["quantity"]) for line in record.lines] == [
        ("Kaffeepads Aromata 20 Stück", 1),
        ("Standardversand", 1),
    ]
    page = response.content.decode()
    assert "Musterhändler Kaffee &amp; Tee (sb0)" in page  # the refund row names its supplier
    assert "Kaffee beschaedigt" in page
    # Refunded lines are refunded: the page offers what is left.
    again = admin_client.get(refund_url(order), {"sub_basket": sb0.pk}).content.decode()
    assert "1 of 2 not refunded yet" in again
    buyer = Client().get(f"/payments/order/{order.public_token}/").content.decode()
    assert "1 of 2 refunded" in buyer
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_refund_larger_than_what_is_left_is_refused_on_the_page(
    flow: Flow, admin_client: Client, calls: Any
) -> None:
    order = flow.paid_order()
    sb1 = order.sub_baskets.get(reference_id="sb1")
    before = calls("payment.cancel")
    response = admin_client.post(
        refund_url(order),
        confirm({"sub_basket": str(sb1.pk), "amount": "33.46", "reason": "zu viel"}),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors() == [
        "33.46 EUR is more than is left to refund on this part (33.45 EUR)."
    ]
    assert not Refund.objects.exists()
    assert calls("payment.cancel") == before


def test_a_confirmation_is_sent_once_however_often_it_is_posted(
    flow: Flow, admin_client: Client, calls: Any
) -> None:
    order = flow.paid_order()
    sb1 = order.sub_baskets.get(reference_id="sb1")
    data = {"sub_basket": str(sb1.pk), "amount": "10.00", "reason": "Kratzer"}
    shown = admin_client.post(refund_url(order), data)
    assert shown.context["step"] == "confirm"
    confirmed = {**data, "step": "confirm", "seen": str(shown.context["seen"])}
    before = calls("payment.cancel")
    assert admin_client.post(refund_url(order), confirmed).status_code == 302
    # A double click, the browser's resubmit, a replayed request: nothing more is sent.
    again = admin_client.post(refund_url(order), confirmed)
    assert again.status_code == 200
    assert again.context["step"] == "confirm"
    assert "Nothing was sent" in again.content.decode()
    assert calls("payment.cancel") == before + 1
    assert list(Refund.objects.values_list("amount", flat=True)) == [1000]


def test_a_confirmation_made_stale_by_another_refund_shows_the_new_figures(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.paid_order()
    sb1 = order.sub_baskets.get(reference_id="sb1")
    data = {"sub_basket": str(sb1.pk), "everything": "on", "reason": "Storno"}
    shown = admin_client.post(refund_url(order), data)
    assert "Refund 33.45 EUR of" in shown.content.decode()
    refunds.refund(order, sub_basket=sb1, amount=1000, reason="ein Kollege")
    confirmed = {**data, "step": "confirm", "seen": str(shown.context["seen"])}
    again = admin_client.post(refund_url(order), confirmed)
    assert "Refund 23.45 EUR of" in again.content.decode()  # what is left now, to confirm
    assert list(Refund.objects.values_list("amount", flat=True)) == [1000]
    # Confirmed again on the new figures: sent.
    confirmed["seen"] = str(again.context["seen"])
    assert admin_client.post(refund_url(order), confirmed).status_code == 302
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [1000, 2345]


def test_a_confirmation_never_shown_sends_nothing(
    flow: Flow, admin_client: Client, calls: Any
) -> None:
    order = flow.paid_order()
    sb1 = order.sub_baskets.get(reference_id="sb1")
    before = calls("payment.cancel")
    data = {"sub_basket": str(sb1.pk), "amount": "10.00", "reason": "x", "step": "confirm"}
    response = admin_client.post(refund_url(order), data)
    assert response.context["step"] == "confirm"
    assert calls("payment.cancel") == before
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"amount": "1.00", "reason": "Rückerstattung <b>"}, "reason", "Only letters, digits"),
        ({"amount": "1.00", "reason": ""}, "reason", "This field is required."),
        ({"amount": "10.005", "reason": "x"}, "amount", "At most 2 decimal places."),
        ({"amount": "1e30", "reason": "x"}, "amount", "no more than 12 digits"),
        ({"amount": "123456789012345678901234567890", "reason": "x"}, "amount", "12 digits"),
        ({"reason": "x"}, "__all__", "Choose what to refund"),
        ({"amount": "1.00", "shipping": "on", "reason": "x"}, "__all__", "not both"),
    ],
)
def test_what_staff_may_not_ask_for_is_a_clear_error(
    flow: Flow, admin_client: Client, calls: Any, data: dict[str, str], field: str, error: str
) -> None:
    order = flow.paid_order()
    sb0 = order.sub_baskets.get(reference_id="sb0")
    before = calls("payment.cancel")
    response = admin_client.post(refund_url(order), confirm({"sub_basket": str(sb0.pk), **data}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert error in errors[field][0]
    assert not Refund.objects.exists()
    assert calls("payment.cancel") == before


def test_the_whole_order_is_refunded_supplier_by_supplier_after_confirmation(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.paid_order()
    data = {"sub_basket": "order", "reason": "Storno"}
    page = admin_client.post(refund_url(order), data).content.decode()
    assert "Refund everything left of the order, 77.85 EUR, to Max Mustermann:" in page
    assert "Musterhändler Einrichtung: 33.45 EUR" in page
    response = admin_client.post(refund_url(order), confirm(data), follow=True)
    assert len(messages_of(response)) == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_after_cancelling_a_part_of_a_prepaid_order_the_buyer_is_asked_for_the_rest(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    sb1 = order.sub_baskets.get(reference_id="sb1")
    data = {"sub_basket": str(sb1.pk), "everything": "on", "reason": "nicht lieferbar"}
    page = admin_client.post(refund_url(order), data).content.decode()
    assert "Cancel 33.45 EUR of Musterhändler Einrichtung's part: Max Mustermann" in page
    response = admin_client.post(refund_url(order), confirm(data), follow=True)
    assert messages_of(response) == [
        f"Order {order.reference}: 33.45 EUR of Musterhändler Einrichtung's part cancelled for "
        "Max Mustermann: done: the buyer owes that much less."
    ]
    leading = order.payments.get(role=PaymentRole.LEADING)
    expected = flow.sandbox.get(f"/api/v2/Payment/Transactions/{leading.pci_id}/checkStatus")
    assert expected.json()["amount"] == 4440  # secuconnect waits for 44.40 EUR now
    page = Client().get(f"/payments/order/{order.public_token}/").content.decode()
    assert '<dd data-field="amount">44.40 EUR</dd>' in page


# --- the ship page -----------------------------------------------------------------------------


def test_ship_one_supplier_of_an_invoice_order_then_everything_else(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.paid_order("invoice")
    assert order.status == OrderStatus.CONFIRMED
    sb0, sb1 = order.sub_baskets.order_by("position")
    page = admin_client.get(ship_url(order)).content.decode()
    assert "Everything not shipped yet" in page
    assert "sb0 · Musterhändler Kaffee &amp; Tee" in page

    response = admin_client.post(
        ship_url(order),
        {
            "sub_basket": str(sb0.pk),
            "carrier": "DHL",
            "tracking_id": "00340434",
            "invoice_number": "R-1",
            "shipped_at": "2026-11-28 12:00:00",
        },
        follow=True,
    )
    assert messages_of(response) == ["Reported shipped to secuconnect."]
    part0 = order.payments.get(role=PaymentRole.SUB, sub_basket=sb0)
    remote = flow.sandbox.pci(part0.pci_id)
    # Captured: 86 "Rechnung offen", accepted, but the buyer has not paid (cleared "open").
    assert (remote["status"], remote["details"]["status_simple"]) == (86, 1)
    assert remote["details"]["cleared"] == "open"
    assert remote["invoice_number"] == "R-1"
    assert remote["order_id"] == order.reference
    sb0.refresh_from_db()
    assert (sb0.carrier, sb0.tracking_id) == ("DHL", "00340434")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    # A shipped sub-basket is no longer offered.
    page = admin_client.get(ship_url(order)).content.decode()
    assert "sb0 · " not in page
    assert "sb1 · Musterhändler Einrichtung" in page

    response = admin_client.post(
        ship_url(order),
        {"sub_basket": "", "carrier": "Hermes", "shipped_at": "2026-11-28 13:00:00"},
        follow=True,
    )
    assert messages_of(response) == ["Reported shipped to secuconnect."]
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    sb1.refresh_from_db()
    assert sb1.carrier == "Hermes"
    assert flow.sandbox.stx(str(order.attempts.get().stx_id))["status"] == "shipped"
    shipped = order.events.filter(subject="order", to_status=OrderStatus.SHIPPED, source="admin")
    assert shipped.count() == 1


def test_shipping_an_unpaid_order_shows_the_error(flow: Flow, admin_client: Client) -> None:
    order = flow.order()
    flow.checkout(order)
    response = admin_client.post(
        ship_url(order), {"sub_basket": "", "shipped_at": "2026-11-28 12:00:00"}
    )
    assert response.status_code == 200
    assert "only paid orders are shipped" in response.context["form"].non_field_errors()[0]


# --- the actions -------------------------------------------------------------------------------


def test_capture_action_with_auto_capture_off(
    flow: Flow, admin_client: Client, settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "AUTO_CAPTURE": False}
    authorised = flow.paid_order("creditcard")
    unpaid = flow.order()
    flow.checkout(unpaid)
    assert authorised.status == OrderStatus.AUTHORIZED
    response = admin_client.post(
        ORDERS,
        {"action": "capture_payment", "_selected_action": [authorised.pk, unpaid.pk]},
        follow=True,
    )
    shown = messages_of(response)
    assert "1 payment(s) captured." in shown
    assert any(m.startswith(f"{unpaid.reference}: ") and "only authorised" in m for m in shown)
    authorised.refresh_from_db()
    assert authorised.status == OrderStatus.PAID
    paid = authorised.events.filter(subject="order", to_status=OrderStatus.PAID, source="admin")
    assert paid.count() == 1
    assert flow.sandbox.stx(str(authorised.attempts.get().stx_id))["status"] == "received"


@pytest.mark.parametrize("action", ["refund_payment", "mark_shipped"])
def test_refund_and_ship_actions_open_their_page_for_exactly_one_order(
    flow: Flow, admin_client: Client, action: str
) -> None:
    one = flow.paid_order()
    two = flow.paid_order()
    page = {"refund_payment": "refund", "mark_shipped": "ship"}[action]
    response = admin_client.post(ORDERS, {"action": action, "_selected_action": [one.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"{ORDERS}{one.pk}/{page}/"
    assert admin_client.get(response["Location"]).status_code == 200

    response = admin_client.post(
        ORDERS, {"action": action, "_selected_action": [one.pk, two.pk]}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(ORDERS)
    assert messages_of(response) == ["Choose exactly one order for this action."]
    assert not Refund.objects.exists()


# --- the push inbox ----------------------------------------------------------------------------


def _failed_pushes(flow: Flow) -> Order:
    """A card payment whose pushes all arrive while secuconnect answers 503."""
    order = flow.order()
    flow.pay(flow.checkout(order).attempt, "creditcard")
    control.inject("smart.get", "http_503", times=10)
    flow.deliver_pushes()
    control.clear_faults()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    pushes = PushNotification.objects.filter(attempt__order=order)
    assert pushes.count() == 3
    assert set(pushes.values_list("outcome", flat=True)) == {P.FAILED}
    return order


def test_the_inbox_lists_pushes_with_their_outcome(flow: Flow, admin_client: Client) -> None:
    order = flow.paid_order("prepaid")
    flow.deliver_pushes()
    failed = _failed_pushes(flow)
    page = admin_client.get(PUSHES).content.decode()
    for push in PushNotification.objects.all():
        assert push.push_id in page
    processed = PushNotification.objects.filter(outcome=P.PROCESSED).count()
    assert processed == 3
    assert page.count('<td class="field-outcome">processed</td>') == processed
    assert page.count('<td class="field-outcome">failed (secuconnect retries)</td>') == 3
    assert order.reference in page
    assert failed.reference in page
    detail = admin_client.get(
        f"{PUSHES}{PushNotification.objects.filter(outcome=P.FAILED).first().pk}/change/"  # type: ignore[union-attr]
    ).content.decode()
    assert "503" in detail
    filtered = admin_client.get(PUSHES, {"outcome__exact": "failed"}).content.decode()
    assert order.reference not in filtered


def test_process_again_turns_failed_pushes_into_processed_and_the_order_paid(
    flow: Flow, admin_client: Client
) -> None:
    order = _failed_pushes(flow)
    failed = list(PushNotification.objects.values_list("pk", flat=True))
    response = admin_client.post(
        PUSHES, {"action": "process_again", "_selected_action": failed}, follow=True
    )
    assert messages_of(response) == ["Processed again: 3 processed."]
    assert set(PushNotification.objects.values_list("outcome", flat=True)) == {P.PROCESSED}
    assert PushNotification.objects.filter(changed=True).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(subject="order", to_status="paid", source="push").count() == 1


def test_secu_reprocess_pushes_does_the_same(flow: Flow) -> None:
    order = _failed_pushes(flow)
    out = io.StringIO()
    call_command("secu_reprocess_pushes", stdout=out)
    assert out.getvalue().strip() == "reprocessed: 3 processed"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert set(PushNotification.objects.values_list("outcome", flat=True)) == {P.PROCESSED}
    out = io.StringIO()
    call_command("secu_reprocess_pushes", stdout=out)
    assert out.getvalue().strip() == "reprocessed: nothing to do"


def test_secu_reprocess_pushes_by_id_while_secuconnect_is_still_down(flow: Flow) -> None:
    order = _failed_pushes(flow)
    push = PushNotification.objects.order_by("pk").first()
    assert push is not None
    control.inject("smart.get", "http_503", times=10)
    out = io.StringIO()
    call_command("secu_reprocess_pushes", push.push_id, stdout=out)
    assert out.getvalue().strip() == "reprocessed: 1 failed"
    control.clear_faults()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
