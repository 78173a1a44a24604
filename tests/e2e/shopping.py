"""The buyer's and the staff's steps, as a person would take them in the browser."""

from __future__ import annotations

import re
from typing import Any

from secu_marketplace.models import Order

COFFEE = "Kaffeepads Aromata 20 Stück"
BOARD = "Magnettafel 70x50 cm"


def fill_two_supplier_cart(page: Any) -> None:
    page.goto("/")
    for name in (COFFEE, BOARD):
        page.locator("article.product", has_text=name).get_by_role(
            "button", name="Add to cart"
        ).click()
    page.goto("/cart/")
    assert page.locator("section.cart-group").count() == 2


def place_order(page: Any) -> Order:
    page.goto("/checkout/")
    page.locator("#place-order").click()
    page.wait_for_url(re.compile(r"/orders/"))
    token = page.url.rstrip("/").split("/")[-1]
    return Order.objects.get(public_token=token)


def start_payment(page: Any, method: str = "") -> None:
    if method:
        page.select_option("select[name=method]", method)
    page.locator("#pay-now").click()
    page.wait_for_url(re.compile(r"/sandbox/checkout/"))


def sandbox_checkout(page: Any, method: str, outcome: str = "success") -> None:
    """On the sandbox's Smart Checkout page: choose the method and the outcome, then submit."""
    assert page.locator("#basket section.sub-basket").count() == 2
    if page.locator(f"input[name=method][value={method}]").count():
        page.check(f"input[name=method][value={method}]")
    if outcome == "abort":
        page.locator("button[name=action][value=abort]").click()
    else:
        page.check(f"input[name=outcome][value={outcome}]")
        page.locator("button[name=action][value=pay]").click()
    page.wait_for_url(re.compile(r"/payments/return/"))


def payment_state(page: Any) -> str:
    return str(page.locator("#secu-payment").get_attribute("data-state"))


def try_again(page: Any) -> None:
    page.locator("#secu-retry").click()
    page.wait_for_url(re.compile(r"/sandbox/checkout/"))
