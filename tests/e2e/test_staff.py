"""Staff in the admin, in real Chromium: every sub-basket, PCI and the timeline, and a refresh."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from secu_marketplace.models import PaymentTransaction
from secu_marketplace.money import format_money
from secu_marketplace.read import order_balance
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole
from secu_marketplace.sandbox import control
from tests.helpers import SandboxApi

from .shopping import fill_two_supplier_cart, place_order, sandbox_checkout, start_payment


def test_staff_review_an_order_and_refresh_it(page: Any, demo: str) -> None:
    fill_two_supplier_cart(page)
    order = place_order(page)
    start_payment(page, "prepaid")
    sandbox_checkout(page, "prepaid")

    # The buyer's money arrives at secupay: the sandbox's testing helper says so.
    leading = PaymentTransaction.objects.get(order=order, role=PaymentRole.LEADING)
    SandboxApi(demo).post(
        f"/api/v2/Payment/Secupayprepays/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )

    assert get_user_model().objects.filter(username="admin").exists()
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.locator("input[type=submit]").click()
    page.goto("/admin/secu_marketplace/order/")
    row = page.locator("#result_list tbody tr", has_text=order.reference)
    assert "transfer pending" in row.inner_text()
    row.get_by_role("link", name=order.reference).click()
    page.wait_for_url(re.compile(rf"/admin/secu_marketplace/order/{order.pk}/change/"))

    body = page.locator("#content").inner_text()
    for sub in order.sub_baskets.all():
        assert sub.contract_id in body
    for payment in order.payments.all():
        assert payment.pci_id in body
    assert "at checkout" in body
    assert "pending" in body

    page.locator("#secu-refresh").click()
    page.wait_for_url(re.compile(rf"/admin/secu_marketplace/order/{order.pk}/change/"))
    assert "1 changed" in page.locator("ul.messagelist").inner_text()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert "paid" in page.locator("#content").inner_text()


ADMIN_SCREENSHOTS = Path(os.environ.get("SECU_ADMIN_SCREENSHOTS", "/tmp/admin-pages"))  # noqa: S108
LAPTOP = {"width": 1280, "height": 800}


def _path(name: str) -> Path:
    ADMIN_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return ADMIN_SCREENSHOTS / f"{name}.png"


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(_path(name)), full_page=True)


def _fits(page: Any) -> None:
    """No sideways scrolling on a laptop screen: the admin's tables fit."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """screen => [...document.querySelectorAll("#content *")]
            .filter(e => e.getBoundingClientRect().right > screen + 1).slice(-6)
            .map(e => `${e.tagName}#${e.id}.${e.className} ${e.getBoundingClientRect().right}`)""",
        LAPTOP["width"],
    )
    assert width <= LAPTOP["width"], f"{page.url} is {width} px wide: {wide}"


def _log_in(page: Any) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.locator("input[type=submit]").click()


def test_staff_refund_one_supplier_and_ship_the_rest(browser: Any, demo: str) -> None:
    """The admin guide's walk, on a laptop screen: the list, an order, a refund of one
    supplier's part and the shipment of the other; money as money throughout, and no page
    wider than the screen. Its screenshots are the admin guide's (``make screenshots``)."""
    context = browser.new_context(base_url=demo, locale="en-GB", viewport=LAPTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        fill_two_supplier_cart(page)
        order = place_order(page)
        start_payment(page, "creditcard")
        sandbox_checkout(page, "creditcard")
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        first, second = order.sub_baskets.order_by("position")

        _log_in(page)
        page.goto("/admin/secu_marketplace/order/")
        row = page.locator("#result_list tbody tr", has_text=order.reference)
        assert "paid" in row.inner_text()
        assert "57.90 EUR" in row.inner_text()
        _fits(page)
        _shot(page, "order-list")

        row.get_by_role("link", name=order.reference).click()
        page.wait_for_url(re.compile(rf"/admin/secu_marketplace/order/{order.pk}/change/"))
        _shot(page, "order-page")
        _fits(page)
        # Paid: amounts and the buyer's identity are the record, not a form.
        assert page.locator("input[name=total], input[name=forename]").count() == 0

        # A refund in three steps: the part (nothing chosen for staff), what and why, and a
        # confirmation that names amount, supplier, buyer and what is left; secuconnect is
        # asked only then.
        control.reset_calls()
        page.locator("#secu-refund").click()
        assert page.locator("input[name=sub_basket]:checked").count() == 0
        _shot(page, "refund-choose-part")
        page.check(f"input[name=sub_basket][value='{second.pk}']")
        page.locator("#secu-refund-part [type=submit]").click()
        page.fill("input[name=amount]", "5.00")
        page.fill("input[name=reason]", "Artikel defekt")
        _fits(page)
        _shot(page, "refund-form")
        page.locator("#secu-refund-form [type=submit]").first.click()
        sentence = page.locator("[data-field=sentence]").inner_text()
        assert sentence == (
            f"Refund 5.00 EUR of {second.supplier.name}'s part to {order.buyer_name}."
        )
        left = format_money(second.sum - 500, "EUR")
        assert f"Left of this part afterwards: {left}" in page.locator("#content").inner_text()
        assert control.count("payment.cancel") == 0
        _fits(page)
        _shot(page, "refund-confirm")
        page.locator("#secu-refund-confirm-button").click()
        page.wait_for_url(re.compile(rf"/admin/secu_marketplace/order/{order.pk}/change/"))
        message = page.locator("ul.messagelist").inner_text()
        assert f"Order {order.reference}: 5.00 EUR of {second.supplier.name}'s part" in message
        assert control.count("payment.cancel") == 1

        page.locator("#secu-ship").click()
        page.select_option("select[name=sub_basket]", str(first.pk))
        page.fill("input[name=carrier]", "DHL")
        page.fill("input[name=tracking_id]", "00340434161234567890")
        _shot(page, "ship-form")
        page.locator("#secu-ship-form [type=submit]").first.click()
        page.wait_for_url(re.compile(rf"/admin/secu_marketplace/order/{order.pk}/change/"))
        assert "shipped" in page.locator("ul.messagelist").inner_text()
        _fits(page)
        _shot(page, "order-after-refund-and-shipment")
        # The money per supplier, on a laptop screen with the sidebar open.
        panel = page.locator("#secu-money-panel")
        assert page.locator("#nav-sidebar").is_visible()
        first_row = panel.locator(f"tr[data-reference={first.reference_id}]")
        assert "DHL" in first_row.locator("[data-field=shipped]").inner_text()
        second_row = panel.locator(f"tr[data-reference={second.reference_id}]")
        assert second_row.locator("[data-field=refunded]").inner_text() == "5.00 EUR"
        assert second_row.locator("[data-field=paid]").inner_text() == "paid"
        assert panel.bounding_box()["x"] + panel.bounding_box()["width"] <= LAPTOP["width"]
        # Nothing of the table hides behind the panel's edge either.
        assert panel.evaluate("e => e.scrollWidth <= e.clientWidth"), "the panel scrolls sideways"
        panel.screenshot(path=str(_path("order-money-panel")))

        balance = order_balance(order.__class__.objects.get(pk=order.pk))
        assert balance.part_for(second.supplier).refunded == 500  # type: ignore[union-attr]
        assert balance.part_for(first.supplier).shipped  # type: ignore[union-attr]
    finally:
        context.close()
