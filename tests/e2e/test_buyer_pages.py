"""The buyer's pages as a person sees them, on a desktop and on a phone (390 px wide): the cart
kept after an abort, a summary and a way on on every payment page, refunds and shipments, the
IBAN grouped with a copy button, "added to cart" where the buyer clicked.

Screenshots land in ``SCREENSHOTS`` (``/tmp/buyer-pages`` unless ``SECU_SCREENSHOTS`` says).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.services import refunds, shipping

from .shopping import (
    BOARD,
    COFFEE,
    fill_two_supplier_cart,
    payment_state,
    place_order,
    sandbox_checkout,
    start_payment,
    try_again,
)

SCREENSHOTS = Path(os.environ.get("SECU_SCREENSHOTS", "/tmp/buyer-pages"))  # noqa: S108
PHONE = {"width": 390, "height": 844}
IBAN = "DE81850400611005523759"
MINUS = "\N{MINUS SIGN}"  # as the pages print it before an amount taken off


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def phone(browser: Any, demo: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=demo, locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def fits(page: Any) -> None:
    """Nothing wider than the screen: no sideways scrolling (the message names what sticks out)."""
    screen = page.viewport_size["width"]
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """screen => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > screen + 1).slice(0, 5)
            .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)""",
        screen,
    )
    assert width <= screen, f"{width} px wide: {wide}"


def unobstructed(page: Any, selector: str) -> None:
    """The element is on screen once scrolled to, and nothing covers its middle."""
    element = page.locator(selector)
    element.scroll_into_view_if_needed()
    assert element.is_visible()
    covered = element.evaluate(
        """el => { const r = el.getBoundingClientRect();
                   const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                   return !(top === el || el.contains(top)); }"""
    )
    assert not covered, f"{selector} is covered"


def in_viewport(page: Any, selector: str) -> bool:
    return bool(
        page.locator(selector).evaluate(
            """el => { const r = el.getBoundingClientRect();
                       return r.top >= 0 && r.bottom <= window.innerHeight; }"""
        )
    )


def summary_parts(page: Any) -> list[str]:
    return [str(s) for s in page.locator("#secu-summary .secu-part h3").all_inner_texts()]


def assert_summary(page: Any, order: Order) -> None:
    assert summary_parts(page) == [
        sub.supplier.name for sub in order.sub_baskets.order_by("position")
    ]
    summary = page.locator("#secu-summary").inner_text()
    assert COFFEE in summary
    assert BOARD in summary
    assert "Shipping" in summary
    assert page.locator("#secu-summary [data-field=order-total]").inner_text() == "57.90 EUR"


def test_after_an_abort_the_cart_is_still_there_until_the_order_is_paid(phone: Any) -> None:
    page = phone
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page)
    sandbox_checkout(page, "creditcard", outcome="abort")
    assert payment_state(page) == "aborted"
    assert_summary(page, order)
    fits(page)
    shot(page, "phone-aborted")

    page.locator("#secu-back-to-cart").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    assert page.locator("section.cart-group").count() == 2
    assert page.locator("#cart-count").inner_text() == "2"

    # Back to the order, pay: the cart is emptied.
    page.goto(f"/orders/{order.public_token}/")
    start_payment(page)
    sandbox_checkout(page, "creditcard")
    assert payment_state(page) == "paid"
    assert page.locator("#cart-count").inner_text() == "0"
    page.goto("/cart/")
    assert page.locator("#cart-empty").is_visible()


def test_a_failed_payment_shows_the_order_and_a_way_on(phone: Any) -> None:
    page = phone
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page)
    sandbox_checkout(page, "creditcard", outcome="declined")
    assert payment_state(page) == "failed"
    assert_summary(page, order)
    way_on = page.locator("#secu-way-on")
    assert way_on.locator("#secu-retry").is_visible()
    assert way_on.locator("#secu-back-to-cart").is_visible()
    assert way_on.locator("#secu-to-order").is_visible()
    assert way_on.locator("#secu-back-to-shop").is_visible()
    fits(page)
    unobstructed(page, "#secu-retry")
    shot(page, "phone-failed")
    try_again(page)
    sandbox_checkout(page, "creditcard")
    assert payment_state(page) == "paid"
    assert_summary(page, order)
    fits(page)
    unobstructed(page, "#secu-to-order")
    shot(page, "phone-paid")
    page.locator("#secu-to-order").click()
    page.wait_for_url(re.compile(rf"/orders/{order.public_token}/$"))


@pytest.mark.parametrize("width", [390, 1280])
def test_every_payment_page_has_the_summary_and_a_way_on(
    browser: Any, demo: str, width: int
) -> None:
    context = browser.new_context(
        base_url=demo, locale="en-GB", viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    fill_two_supplier_cart(page)
    order = place_order(page)
    for status in OrderStatus:
        Order.objects.filter(pk=order.pk).update(status=status)
        page.goto(f"/payments/order/{order.public_token}/")
        state = payment_state(page)
        assert page.locator("#secu-summary .secu-part").count() == 2, state
        assert page.locator("#secu-way-on a").count() >= 2, state
        assert page.locator("#secu-way-on #secu-to-order").is_visible(), state
        fits(page)
        if status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.NEEDS_REVIEW):
            shot(page, f"{'phone' if width < 500 else 'desktop'}-{state}")
    context.close()


def test_the_iban_is_grouped_in_fours_and_copied_whole(browser: Any, demo: str) -> None:
    context = browser.new_context(base_url=demo, locale="en-GB", viewport=PHONE, is_mobile=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo)
    page = context.new_page()
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page, "prepaid")
    sandbox_checkout(page, "prepaid")
    assert payment_state(page) == "pending_transfer"
    iban = page.locator("[data-field=iban]")
    assert iban.locator(".secu-value").inner_text() == "DE81 8504 0061 1005 5237 59"
    assert_summary(page, order)
    fits(page)
    shot(page, "phone-pending-transfer")

    iban.get_by_role("button", name="Copy IBAN").click()
    assert page.evaluate("navigator.clipboard.readText()") == IBAN
    assert page.locator(".secu-copied").inner_text() == "Copied."
    purpose = page.locator("[data-field=purpose]")
    purpose.get_by_role("button", name="Copy purpose").click()
    order.refresh_from_db()
    assert page.evaluate("navigator.clipboard.readText()") == f"TA {order.trans_id}"
    context.close()

    # Without JavaScript: no button that does nothing, the IBAN plain to read and select.
    plain = browser.new_context(base_url=demo, locale="en-GB", java_script_enabled=False)
    tab = plain.new_page()
    tab.goto(f"/payments/order/{order.public_token}/")
    assert tab.locator("[data-field=iban] .secu-value").inner_text() == (
        "DE81 8504 0061 1005 5237 59"
    )
    assert tab.locator(".secu-copy").count() == 2
    assert not tab.locator(".secu-copy").first.is_visible()
    plain.close()


def test_refunds_and_shipments_are_shown_to_the_buyer(page: Any, phone: Any) -> None:
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page)
    sandbox_checkout(page, "creditcard")
    assert payment_state(page) == "paid"
    subs = {sub.supplier.name: sub for sub in order.sub_baskets.all()}
    coffee, board = subs["Musterhändler Kaffee & Tee"], subs["Musterhändler Einrichtung"]

    refunds.refund(order, sub_basket=coffee, amount=500, reason="Packung beschaedigt")
    shipping.ship_sub_basket(order, board, carrier="DHL", tracking_id="00340434161094042557")

    for tab, name in ((page, "desktop"), (phone, "phone")):
        tab.goto(f"/payments/order/{order.public_token}/")
        assert payment_state(tab) == "paid"
        text = tab.locator("#secu-payment").inner_text()
        assert "Part of your order has shipped" in text
        assert "refunded" in text
        coffee_part = tab.locator("#secu-summary .secu-part", has_text="Kaffee & Tee")
        assert (
            coffee_part.locator("[data-field=part-refunded]")
            .inner_text()
            .endswith(f"{MINUS}5.00 EUR")
        )
        assert coffee_part.locator("[data-field=part-left]").inner_text() == "19.45 EUR"
        assert coffee_part.locator("[data-field=shipment]").inner_text() == "Not shipped yet."
        board_part = tab.locator("#secu-summary .secu-part", has_text="Einrichtung")
        shipment = board_part.locator("[data-field=shipment]").inner_text()
        assert "Shipped on" in shipment
        assert "DHL" in shipment
        assert board_part.locator("[data-field=tracking]").inner_text() == "00340434161094042557"
        assert tab.locator("#secu-summary [data-field=order-left]").inner_text() == "52.90 EUR"
        fits(tab)
        shot(tab, f"{name}-refunded-and-shipped")

    # The demo's order page says the same.
    phone.goto(f"/orders/{order.public_token}/")
    coffee_card = phone.locator(f"#sub-basket-{coffee.reference_id}")
    assert coffee_card.locator("[data-field=part-left]").inner_text() == "19.45 EUR"
    assert "DHL" in phone.locator(f"#sub-basket-{board.reference_id}").inner_text()
    fits(phone)
    shot(phone, "phone-order-page")

    # Everything shipped, the rest of the coffee refunded.
    shipping.ship_sub_basket(order, coffee, carrier="Hermes", tracking_id="H1234")
    phone.goto(f"/payments/order/{order.public_token}/")
    assert phone.locator("h1").inner_text() == "Your order is on its way."
    refunds.refund(order, sub_basket=coffee)
    refunds.refund(order, sub_basket=board)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    phone.goto(f"/payments/order/{order.public_token}/")
    assert payment_state(phone) == "refunded"
    assert phone.locator("#secu-summary [data-field=order-left]").inner_text() == "0.00 EUR"
    assert phone.locator("#secu-summary [data-field=order-refunded]").inner_text() == (
        f"{MINUS}57.90 EUR"
    )
    fits(phone)
    shot(phone, "phone-refunded")


def test_the_cart_fits_a_phone_and_added_to_cart_is_where_the_buyer_clicked(
    phone: Any,
) -> None:
    page = phone
    page.goto("/")
    product = page.locator("article.product", has_text=BOARD)
    product.get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state()
    added = page.locator("p.added")
    assert added.count() == 1
    assert added.is_visible()
    assert "1 in your cart" in added.inner_text()
    assert in_viewport(page, "p.added")
    shot(page, "phone-added-to-cart")

    fill_two_supplier_cart(page)
    fits(page)
    unobstructed(page, "#to-checkout")
    for line in page.locator("tr.line").all():
        line.scroll_into_view_if_needed()
        assert line.locator("input[type=number]").is_visible()
    shot(page, "phone-cart")
