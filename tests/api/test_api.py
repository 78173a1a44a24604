"""The headless JSON API (secu_marketplace.api) over real HTTP against the sandbox on the live
server, driven by the test kit: start the checkout through the API, pay on the hosted page,
read the state back; and every error a front end must be able to act on, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client

from secu_marketplace.models import LineItem, Order
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import control
from secu_marketplace.services import refunds, shipping
from secu_marketplace.testing import Sandbox
from secu_marketplace.testing.factories import OrderFactory, SupplierBasketFactory


def api(sandbox: Sandbox, order: Order, what: str = "") -> str:
    return f"{sandbox.url}/api/orders/{order.public_token}/{what}"


def read(sandbox: Sandbox, order: Order) -> dict[str, Any]:
    answer = requests.get(api(sandbox, order), timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def start(sandbox: Sandbox, order: Order, **body: Any) -> requests.Response:
    # No session, no CSRF token: the order's public token in the URL is the authorisation.
    return requests.post(api(sandbox, order, "checkout/"), json=body, timeout=60)


def test_checkout_pay_and_read_back(secu_sandbox: Sandbox) -> None:
    order = OrderFactory(baskets=SupplierBasketFactory.create_batch(2))
    before = read(secu_sandbox, order)
    assert (before["state"], before["status"], before["payable"]) == ("awaiting", "new", True)
    assert before["owed"] == order.total == sum(part["sum"] for part in before["parts"])

    answer = start(secu_sandbox, order)
    assert answer.status_code == 200, answer.text
    started = answer.json()
    assert f"{secu_sandbox.mount}/checkout/" in started["url"]
    assert started == {**started, "reused": False, "order": order.reference}
    again = start(secu_sandbox, order).json()  # a double click resumes the same checkout
    assert (again["url"], again["reused"]) == (started["url"], True)
    assert secu_sandbox.count("smart.create") == 1

    assert secu_sandbox.pay_at(started["url"], "creditcard").state == "paid"
    after = read(secu_sandbox, order)
    assert (after["state"], after["status"], after["paid"], after["owed"]) == (
        "paid",
        "paid",
        True,
        0,
    )
    assert after["payment_method"] == "creditcard"
    assert after["transfer"] is None
    assert [part["paid"] for part in after["parts"]] == [True, True]


def test_a_prepayment_shows_what_to_transfer_until_it_arrives(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    url = start(secu_sandbox, order, method="prepaid").json()["url"]
    secu_sandbox.pay_at(url, "prepaid")
    state = read(secu_sandbox, order)
    assert state["state"] == "pending_transfer"
    assert state["pending"] == state["owed"] == order.total
    transfer = state["transfer"]
    assert transfer["iban"]
    assert transfer["purpose"]
    assert transfer["amount"] == order.total
    fresh = Order.objects.get(pk=order.pk)
    assert transfer["purpose"] == fresh.payment_instructions["purpose"]

    secu_sandbox.money_arrives(order)
    state = read(secu_sandbox, order)
    assert (state["state"], state["paid"], state["transfer"]) == ("paid", True, None)


def test_refunds_per_supplier_and_shipments_are_read_back(secu_sandbox: Sandbox) -> None:
    order = OrderFactory(baskets=SupplierBasketFactory.create_batch(2))
    secu_sandbox.pay(order)
    first, second = Order.objects.get(pk=order.pk).sub_baskets.all()
    refunds.refund(Order.objects.get(pk=order.pk), sub_basket=first, amount=500)
    shipping.ship_sub_basket(
        Order.objects.get(pk=order.pk), second, carrier="DHL", tracking_id="00340434161094015902"
    )
    parts = {part["reference_id"]: part for part in read(secu_sandbox, order)["parts"]}
    assert parts[first.reference_id]["refunded"] == 500
    assert parts[first.reference_id]["left"] == first.sum - 500
    assert parts[first.reference_id]["shipped"] is False
    shipped = parts[second.reference_id]
    assert (shipped["shipped"], shipped["carrier"], shipped["tracking_id"]) == (
        True,
        "DHL",
        "00340434161094015902",
    )
    assert shipped["refunded"] == 0
    assert [item["kind"] for item in shipped["items"]] == ["article", "shipping"]


def test_methods_every_supplier_accepts(secu_sandbox: Sandbox) -> None:
    order = OrderFactory(baskets=SupplierBasketFactory.create_batch(2))
    limited, other = order.sub_baskets.all()
    control.set_contract_methods(limited.contract_id, ["debit", "prepaid"])
    found = requests.get(api(secu_sandbox, order, "methods/"), timeout=30).json()
    assert found == {"methods": ["debit", "prepaid"]}
    alone = OrderFactory(baskets=[SupplierBasketFactory(supplier=other.supplier)])
    everything = requests.get(api(secu_sandbox, alone, "methods/"), timeout=30).json()["methods"]
    assert {"creditcard", "prepaid", "invoice"} <= set(everything)
    refused = start(secu_sandbox, order, method="creditcard")
    assert refused.status_code == 400
    assert refused.json()["error"] == "checkout_refused"
    assert "creditcard" in refused.json()["detail"]


def test_a_paid_order_is_not_payable(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    secu_sandbox.pay(order)
    answer = start(secu_sandbox, order)
    assert answer.status_code == 409
    assert answer.json()["error"] == "not_payable"
    assert answer.json()["status"] == "paid"


def test_bad_input_and_unknown_orders(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    answer = start(secu_sandbox, order, method="bitcoin")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid"
    assert "method" in answer.json()["fields"]
    assert (
        requests.post(f"{secu_sandbox.url}/api/orders/nope/checkout/", timeout=30).status_code
        == 404
    )
    assert requests.get(f"{secu_sandbox.url}/api/orders/nope/", timeout=30).status_code == 404
    assert secu_sandbox.count("smart.create") == 0


def test_a_basket_that_does_not_add_up(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    LineItem.objects.filter(sub_basket__order=order, kind="article").update(unit_price=1)
    answer = start(secu_sandbox, order)
    assert answer.status_code == 400
    assert answer.json()["error"] == "basket"
    assert secu_sandbox.count("smart.create") == 0


@pytest.mark.parametrize("kind", ["http_503", "drop_response"])
def test_secuconnect_unreachable_is_503_and_nothing_is_lost(
    secu_sandbox: Sandbox, kind: str
) -> None:
    order = OrderFactory()
    secu_sandbox.inject_fault("smart.create", kind, times=None)
    answer = start(secu_sandbox, order)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "provider_unavailable"
    secu_sandbox.clear_faults()
    assert read(secu_sandbox, order)["status"] in (OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT)


def test_no_session_or_csrf_token_is_needed(secu_sandbox: Sandbox) -> None:
    order = OrderFactory()
    browser = Client(enforce_csrf_checks=True)
    answer = browser.post(f"/api/orders/{order.public_token}/checkout/", {"method": "debit"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["url"].startswith(secu_sandbox.url)
