"""The books in real Chromium (issue 19): after the sandbox's payout, staff read a supplier's
balance on the supplier ledger (one page load)."""

from __future__ import annotations

from typing import Any

from secu_marketplace.sandbox import control
from secu_marketplace.services import payouts
from tests.flows.conftest import Flow


def test_staff_read_the_supplier_ledger_after_a_payout(page: Any, demo: str) -> None:
    flow = Flow(demo)
    flow.paid_order("creditcard")
    flow.paid_order("invoice")  # sold, the invoice not paid yet: still to come
    control.pay_out()
    payouts.sync_payouts()
    page.goto("/admin/login/?next=/admin/secu_marketplace/payout/ledger/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.locator("input[type=submit]").click()
    row = page.locator("#secu-ledger tbody tr", has_text="Kaffee")
    cells = row.locator("td").all_inner_texts()
    # Sold twice 44.40, fees 2 x 0.80, paid out 43.60 (the card), nothing kept by secupay,
    # 43.60 still to come.
    assert cells[1:] == [
        "88.80 EUR", "1.60 EUR", "0.00 EUR", "0.00 EUR", "87.20 EUR", "43.60 EUR", "0.00 EUR",
        "43.60 EUR", "0.00 EUR",
    ]  # fmt: skip
