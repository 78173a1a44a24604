"""The truth about the money in real Chromium: an invoice order reads "confirmed, please pay
the invoice" for the buyer and "confirmed, invoice open" for staff, never "paid"; a chargeback
made in the sandbox's admin reaches the order as a disputed part with one push; an unpaid
prepayment expires and the buyer and staff read so. One page load per thing proved; the
screenshots are the admin guide's and the buyer pages' (``make screenshots``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import DisputeState, OrderStatus
from secu_marketplace.sandbox import control
from secu_marketplace.services.checkout import start_checkout
from tests.factories import guide_order
from tests.helpers import SandboxApi

from .shopping import fill_two_supplier_cart, payment_state, place_order, sandbox_checkout
from .shopping import start_payment as pay_now
from .test_buyer_pages import fits, shot
from .test_staff import LAPTOP, _fits, _log_in, _path, _shot


def test_an_invoice_order_is_confirmed_not_paid_for_buyer_and_staff(
    browser: Any, demo: str
) -> None:
    context = browser.new_context(base_url=demo, locale="en-GB", viewport=LAPTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    fill_two_supplier_cart(page)
    order = place_order(page)
    pay_now(page, "invoice")
    sandbox_checkout(page, "invoice")
    assert payment_state(page) == "invoice"
    assert page.locator("h1").inner_text() == "Thank you, your order is confirmed."
    assert "received" not in page.locator("#secu-payment").inner_text()
    fits(page)
    shot(page, "desktop-invoice")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    page.goto(f"/orders/{order.public_token}/")
    chip = page.locator("#order-status")
    assert chip.inner_text() == "order confirmed, please pay the invoice"
    assert chip.get_attribute("data-chip") == "pay_invoice"

    _log_in(page)
    page.goto("/admin/secu_marketplace/order/")
    row = page.locator("#result_list tbody tr", has_text=order.reference)
    assert (
        row.locator("td.field-payment_display").inner_text() == "confirmed, invoice open\nInvoice"
    )
    assert row.locator("td.field-fulfilment_display").inner_text() == "to ship"
    _fits(page)
    # Every column in sight, the navigation sidebar open: nothing scrolls sideways.
    assert page.locator("#nav-sidebar").is_visible()
    results = page.locator("#changelist .results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), "the list scrolls sideways"
    assert row.locator("td.field-created_display").is_visible()
    _shot(page, "order-list-invoice")
    context.close()


def _paid_by_debit(demo: str) -> Order:
    order = guide_order()
    attempt = start_checkout(order).attempt
    api = SandboxApi(demo)
    api.authenticate()
    assert api.prepare(str(attempt.stx_id), "debit").status == 200
    control.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def _unpaid_prepayment(demo: str) -> Order:
    order = guide_order()
    attempt = start_checkout(order).attempt
    api = SandboxApi(demo)
    api.authenticate()
    assert api.prepare(str(attempt.stx_id), "prepaid").status == 200
    control.deliver_pushes()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    return order


def test_a_chargeback_from_the_sandbox_and_an_expiry_reach_the_admin(
    browser: Any, demo: str
) -> None:
    disputed = _paid_by_debit(demo)
    unpaid = _unpaid_prepayment(demo)
    context = browser.new_context(base_url=demo, locale="en-GB", viewport=LAPTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(page)

    # The debit comes back: a demo tester says so in the sandbox's admin; one push brings it.
    page.goto(
        f"/admin/secu_sandbox/paymenttransaction/?kind__exact=original&q={disputed.reference}"
    )
    page.locator("#result_list tbody tr input.action-select").first.check()
    page.select_option("select[name=action]", "money_back")
    page.locator("button[name=index]").click()
    assert "now issue" in page.locator("ul.messagelist").inner_text()
    assert control.deliver_pushes()
    assert set(disputed.sub_baskets.values_list("dispute", flat=True)) == {DisputeState.OPEN}

    page.goto("/admin/secu_marketplace/order/?dispute=open")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td.field-payment_display").inner_text() == (
        "disputed: money came back\nDirect debit"
    )
    rows.first.get_by_role("link", name=disputed.reference).click()
    page.wait_for_url(re.compile(rf"/order/{disputed.pk}/change/"))
    panel = page.locator("#secu-money-panel")
    assert panel.locator("[data-field=dispute]").all_inner_texts() == ["money came back"] * 2
    assert panel.locator("tbody [data-field=paid]").all_inner_texts() == ["disputed"] * 2
    assert page.locator("#secu-ship").count() == 1
    _fits(page)
    assert panel.evaluate("e => e.scrollWidth <= e.clientWidth"), "the panel scrolls sideways"
    panel.screenshot(path=str(_path("order-disputed")))

    # The prepayment nobody transferred expires at its deadline (secu_sync runs it).
    Order.objects.filter(pk=unpaid.pk).update(pay_by=timezone.now() - timedelta(minutes=1))
    call_command("secu_sync", "--min-age", "0", "--no-progress")
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.expired_at is not None) == (OrderStatus.CANCELLED, True)
    page.goto("/admin/secu_marketplace/order/?deadline=expired")
    row = page.locator("#result_list tbody tr", has_text=unpaid.reference)
    assert row.locator("td.field-payment_display").inner_text() == "expired unpaid\nPrepayment"
    _shot(page, "order-list-expired")
    page.goto(f"/payments/order/{unpaid.public_token}/")
    assert payment_state(page) == "expired"
    assert page.locator("h1").inner_text() == "This order has expired."
    fits(page)
    context.close()
