"""What staff read about the money, in the admin: the order list's payment and shipping at a
glance, each supplier's figures on the order page, the supplier's own parts, and the filters
for chargebacks and payment deadlines. An unpaid invoice is never called "paid"."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from secu_marketplace.models import Order
from secu_marketplace.read.supplier_parts import supplier_parts
from secu_marketplace.services import refunds, shipping

from .conftest import Flow

ORDERS = "/admin/secu_marketplace/order/"


def _row(page: str, reference: str) -> str:
    found = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{reference}(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, reference
    return found.group(0)


def _chips(html: str) -> list[str]:
    return re.findall(r'data-chip="([a-z_]+)"', html)


def _panel_row(page: str, reference_id: str) -> dict[str, str]:
    found = re.search(
        rf'<tr data-supplier="[^"]*" data-reference="{reference_id}">(.*?)</tr>', page, re.S
    )
    assert found, reference_id
    cells = re.findall(r'<td[^>]*data-field="([a-z]+)"[^>]*>(.*?)</td>', found.group(1), re.S)
    return {name: " ".join(re.sub(r"<[^>]+>", " ", value).split()) for name, value in cells}


def test_each_suppliers_money_on_the_order_page(flow: Flow, admin_client: Client) -> None:
    order = flow.paid_order("creditcard")
    sb0, sb1 = order.sub_baskets.order_by("position")
    refunds.refund(order, sub_basket=sb1, amount=500, reason="Kratzer")
    shipping.ship_sub_basket(order, sb0, carrier="DHL", tracking_id="00340434161234567890")
    page = admin_client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert 'id="secu-money-panel"' in page
    first, second = _panel_row(page, "sb0"), _panel_row(page, "sb1")
    assert first == {
        "goods": "39.90 EUR",
        "shipping": "4.50 EUR",
        "fee": "0.80 EUR",
        "payout": "43.60 EUR",
        "paid": "paid",
        "refunded": "–",
        "left": "44.40 EUR",
        "shipped": first["shipped"],
        "dispute": "–",
    }
    assert "DHL" in first["shipped"]
    assert "00340434161234567890" in first["shipped"]
    assert (second["refunded"], second["left"], second["payout"]) == (
        "5.00 EUR",
        "28.45 EUR",
        "27.75 EUR",
    )
    assert second["shipped"] == "to ship"
    chips = _chips(page[page.index('id="secu-chips"') :][:600])
    assert chips == ["partly_refunded", "partly_shipped"]


def test_an_invoice_the_buyer_has_not_paid_is_never_called_paid(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.paid_order("invoice")
    row = _row(admin_client.get(ORDERS).content.decode(), order.reference)
    assert _chips(row) == ["invoice_open", "to_ship"]
    assert "confirmed, invoice open" in row
    assert ">paid<" not in row
    page = admin_client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert {_panel_row(page, ref)["paid"] for ref in ("sb0", "sb1")} == {"invoice open"}
    shipping.ship_order(order, carrier="DHL")
    row = _row(admin_client.get(ORDERS).content.decode(), order.reference)
    assert _chips(row) == ["invoice_open", "shipped"]
    flow.kit.money_arrives(order)
    row = _row(admin_client.get(ORDERS).content.decode(), order.reference)
    assert _chips(row) == ["paid", "shipped"]


def test_chargebacks_and_deadlines_have_filters(flow: Flow, admin_client: Client) -> None:
    disputed = flow.paid_order("debit")
    flow.kit.money_back(disputed)
    waiting = flow.paid_order("prepaid")
    page = admin_client.get(ORDERS, {"dispute": "open"}).content.decode()
    assert disputed.reference in page
    assert waiting.reference not in page
    assert _chips(_row(page, disputed.reference))[0] == "disputed"
    page = admin_client.get(ORDERS, {"deadline": "waiting"}).content.decode()
    assert waiting.reference in page
    assert disputed.reference not in page
    detail = admin_client.get(f"{ORDERS}{disputed.pk}/change/").content.decode()
    assert _panel_row(detail, "sb0")["dispute"] == "money came back"


def test_the_supplier_page_shows_its_open_and_recent_parts(
    flow: Flow, admin_client: Client
) -> None:
    shipped = flow.paid_order("creditcard")
    open_order = flow.paid_order("prepaid")
    shipping.ship_order(shipped, carrier="DHL")
    supplier = shipped.sub_baskets.get(reference_id="sb0").supplier
    page = admin_client.get(f"/admin/secu_marketplace/supplier/{supplier.pk}/change/").content
    page_text = page.decode()
    waiting = page_text[
        page_text.index('id="secu-open-parts"') : page_text.index('id="secu-recent-parts"')
    ]
    recent = page_text[page_text.index('id="secu-recent-parts"') :]
    assert open_order.reference in waiting
    assert shipped.reference not in waiting
    assert shipped.reference in recent
    assert open_order.reference in recent
    assert "39.90 EUR" in recent  # the supplier's goods, as on the order page
    assert Order.objects.count() == 2


def test_a_suppliers_parts_cost_the_same_queries_however_many_orders(flow: Flow) -> None:
    first = flow.paid_order("creditcard")
    supplier = first.sub_baskets.get(reference_id="sb0").supplier
    with CaptureQueriesContext(connection) as one:
        assert len(supplier_parts(supplier)[1]) == 1
    for _ in range(3):
        flow.paid_order("prepaid")
    with CaptureQueriesContext(connection) as four:
        waiting, recent = supplier_parts(supplier)
    assert (len(waiting), len(recent)) == (4, 4)  # all unshipped: open, and recent
    assert len(four.captured_queries) == len(one.captured_queries) <= 8
