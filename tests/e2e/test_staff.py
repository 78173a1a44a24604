"""Staff in the admin, in real Chromium: every sub-basket, PCI and the timeline, and a refresh."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model

from secu_marketplace.models import PaymentTransaction
from secu_marketplace.statuses import OrderStatus, PaymentRole
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
    assert "transfer or check pending" in row.inner_text()
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
