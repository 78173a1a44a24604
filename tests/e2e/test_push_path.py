"""The push path in real Chromium: a prepaid order turns paid by itself once the money "arrives"
in the sandbox, without the buyer coming back; staff see the push in the inbox and the
transition in the order's timeline.

The sandbox sends its pushes from a background thread here, as in the demo; the live server runs
in this process, so that thread posts to it. Nothing of the thread's work is left over for the
next test: every push is delivered (``wait_idle``) before the mode is switched back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from secu_marketplace.models import Order, PushNotification
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import pushes
from secu_marketplace.sandbox.models import PushDelivery

from .shopping import (
    fill_two_supplier_cart,
    payment_state,
    place_order,
    sandbox_checkout,
    start_payment,
)

PUSH_WAIT = 20.0


@pytest.fixture
def background_pushes(settings: Any, demo: str) -> Iterator[None]:
    """The sandbox's pushes go out at once from its sender thread, as in the demo."""
    settings.SECU_SANDBOX = {**settings.SECU_SANDBOX, "PUSH_MODE": "background"}
    yield
    # Deliver what is still pending while the live server and the database are there.
    idle = pushes.sender.wait_idle(PUSH_WAIT)
    settings.SECU_SANDBOX = {**settings.SECU_SANDBOX, "PUSH_MODE": "manual"}
    assert idle, "the sandbox's push sender did not finish"
    assert not PushDelivery.objects.filter(state=PushDelivery.State.PENDING).exists()


def wait_for_status(order: Order, status: str, timeout: float = PUSH_WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order.refresh_from_db()
        if order.status == status and pushes.sender.wait_idle(0.1):
            return
        time.sleep(0.1)
    raise AssertionError(f"order {order.reference} is {order.status}, not {status}")


def log_in_as_staff(browser: Any, demo: str) -> Any:
    context = browser.new_context(base_url=demo, locale="en-GB")
    context.set_default_timeout(15_000)
    staff = context.new_page()
    staff.goto("/admin/login/")
    staff.fill("#id_username", "admin")
    staff.fill("#id_password", "admin")
    staff.locator("input[type=submit]").click()
    staff.wait_for_url(re.compile(r"/admin/$"))
    return staff


def test_a_prepaid_order_turns_paid_by_push_once_the_money_arrives(
    page: Any, browser: Any, demo: str, background_pushes: None, mailoutbox: list[Any]
) -> None:
    # The buyer pays by prepayment and sees the transfer instructions.
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page, "prepaid")
    sandbox_checkout(page, "prepaid")
    assert payment_state(page) == "pending_transfer"
    assert page.locator("[data-field=iban] .secu-copy").get_attribute("data-copy") == (
        "DE81850400611005523759"
    )
    wait_for_status(order, OrderStatus.PENDING)
    # The buyer leaves; nothing of theirs will ask secuconnect again.
    page.goto("about:blank")

    # The money arrives: a demo tester says so in the sandbox's admin.
    staff = log_in_as_staff(browser, demo)
    staff.goto(f"/admin/secu_sandbox/paymenttransaction/?kind__exact=original&q={order.reference}")
    rows = staff.locator("#result_list tbody tr")
    assert rows.count() == 1
    # Waiting for the transfer: 25 "Vorkasse wartend", simple 2 "authorized", as recorded.
    assert rows.first.locator("td.field-status_display").inner_text() == "authorized (2)"
    rows.first.locator("input.action-select").check()
    staff.select_option("select[name=action]", "money_arrived")
    staff.locator("button[name=index]").click()
    assert "now accepted" in staff.locator("ul.messagelist").inner_text()

    # The sandbox's push reaches the app in the background: the order is paid by itself.
    wait_for_status(order, OrderStatus.PAID)
    paid = order.events.get(subject="order", to_status=OrderStatus.PAID)
    assert paid.source == "push"

    # The buyer sees it on the order page and on the payment page.
    page.goto(f"/orders/{order.public_token}/")
    assert page.locator("#order-status").get_attribute("data-status") == "paid"
    page.goto(f"/payments/order/{order.public_token}/")
    assert payment_state(page) == "paid"

    # Staff see every push of the order in the inbox, each processed.
    received = PushNotification.objects.filter(attempt__order=order)
    assert received.count() == 6  # three when authorised, three when the money arrived
    staff.goto(f"/admin/secu_marketplace/pushnotification/?q={order.reference}")
    rows = staff.locator("#result_list tbody tr")
    assert rows.count() == 6
    for push in received:
        row = staff.locator("#result_list tbody tr", has_text=push.push_id)
        assert row.locator("td.field-outcome").inner_text() == "processed"
    # The one that brought "paid" changed the order (so may the first, if it beat the buyer).
    assert received.filter(changed=True).exists()

    # ... and the transition in the order's timeline, learned by push notification.
    staff.goto(f"/admin/secu_marketplace/order/{order.pk}/change/")
    timeline = staff.locator("#events-group tbody tr.has_original").evaluate_all(
        """rows => rows.map(row => Object.fromEntries(
            ["subject", "from_label", "to_label", "source"].map(name =>
                [name, row.querySelector(`td.field-${name}`).innerText.trim()])))"""
    )
    # In staff's words: the order's states by their labels, not our codes.
    assert {
        "subject": "order",
        "from_label": "transfer or check pending",
        "to_label": "paid",
        "source": "push notification",
    } in timeline
    assert [row["source"] for row in timeline if row["to_label"] == "paid"] == ["push notification"]
    staff.context.close()

    # The demo's e-mails: the transfer instructions, then the confirmation, once each.
    buyer = [m.subject for m in mail.outbox if m.to == [order.email]]
    assert buyer == [
        f"Order {order.reference}: please transfer 57.90 EUR",
        f"Order {order.reference} confirmed",
    ]
    suppliers = sorted(m.to[0] for m in mail.outbox if m.to != [order.email])
    assert suppliers == ["einrichtung@musterhaendler.example", "kaffee@musterhaendler.example"]
