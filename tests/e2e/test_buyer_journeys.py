"""The demo's buyer journeys in real Chromium: the issue's "done when", step by step."""

from __future__ import annotations

from typing import Any

from secu_marketplace.money import format_money
from secu_marketplace.rules.statuses import OrderStatus

from .shopping import (
    fill_two_supplier_cart,
    payment_state,
    place_order,
    sandbox_checkout,
    start_payment,
    try_again,
)


def test_prepaid_shows_transfer_instructions_with_a_qr_code(page: Any) -> None:
    fill_two_supplier_cart(page)
    order = place_order(page)
    assert order.sub_baskets.count() == 2
    start_payment(page, "prepaid")
    sandbox_checkout(page, "prepaid")
    assert payment_state(page) == "pending_transfer"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert page.locator("[data-field=iban] .secu-copy").get_attribute("data-copy") == (
        "DE81850400611005523759"
    )
    assert page.locator("[data-field=purpose] .secu-value").inner_text() == f"TA {order.trans_id}"
    assert (
        page.locator("[data-field=amount]").inner_text()
        == format_money(order.total, "EUR")
        == "57.90 EUR"
    )
    qr = page.locator(".secu-qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] >= 100
    assert box["height"] >= 100


def test_card_payment_shows_paid(page: Any) -> None:
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page)
    sandbox_checkout(page, "creditcard")
    assert payment_state(page) == "paid"
    assert "your payment has been received" in page.locator("h1").inner_text().lower()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payments.count() == 3


def test_declined_then_try_again_and_pay(page: Any) -> None:
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page)
    sandbox_checkout(page, "creditcard", outcome="declined")
    assert payment_state(page) == "failed"
    try_again(page)
    sandbox_checkout(page, "debit")
    assert payment_state(page) == "paid"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.attempts.count() == 2


def test_abort_then_try_again_and_pay(page: Any) -> None:
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page)
    sandbox_checkout(page, "creditcard", outcome="abort")
    assert payment_state(page) == "aborted"
    assert page.locator("#secu-back-to-cart").is_visible()
    try_again(page)
    sandbox_checkout(page, "paypal")
    assert payment_state(page) == "paid"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.attempts.count() == 1  # the untouched Smart Transaction was reused
