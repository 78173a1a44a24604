"""Smart Transaction endpoints besides create: read, PUT, prepare, start, cancel, abort,
setDelivery, the list with ``q``, and that a client never sees another client's transactions."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import Contract, PaymentTransaction, SmartTransaction
from secu_marketplace.sandbox.statuses import Simple
from tests.helpers import SandboxApi

from .conftest import authorised, leading_id, mixed_body, plain_body

BASE = "/api/v2/Smart/Transactions"


def _state_error(answer: Any) -> dict[str, Any]:
    assert answer.status == 409, answer.text
    body = answer.json()
    assert body["error"] == "ProductStateException"
    assert body["code"] == 9409  # not 1010, documented as "Basket item creation failed"
    return body


def _bad_request(answer: Any) -> dict[str, Any]:
    assert answer.status == 400, answer.text
    body = answer.json()
    assert body["error"] == "ProductBadRequestException"
    assert body["code"] == 1001
    return body


# --- GET ------------------------------------------------------------------------------------


def test_get_unknown_id_is_404_product_error(api: SandboxApi) -> None:
    answer = api.get(f"{BASE}/STX_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert answer.status == 404
    body = answer.json()
    assert body["error"] == "ProductNotFoundException"
    assert "STX_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" in body["error_details"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", BASE, "GET, POST"),
        ("DELETE", f"{BASE}/STX_X", "GET, PUT"),
        ("GET", f"{BASE}/STX_X/prepare/debit", "POST"),
        ("GET", f"{BASE}/STX_X/start", "POST"),
        ("PUT", f"{BASE}/STX_X/cancel", "POST"),
        ("POST", "/api/v2/Payment/Transactions", "GET"),
        ("POST", "/api/v2/Payment/Transactions/PCI_X", "GET"),
        ("GET", "/api/v2/Payment/Transactions/PCI_X/cancel", "POST"),
        ("POST", "/api/v2/Payment/Transactions/PCI_X/ShippingInformation", "PUT"),
    ],
)
def test_wrong_methods_are_product_errors(
    api: SandboxApi, method: str, path: str, allowed: str
) -> None:
    answer = api.send(method, path)
    assert answer.status == 405
    assert answer.headers["Allow"] == allowed
    body = answer.json()
    assert body["status"] == "error"
    assert body["code"] == 1001
    assert f"method {method} is not allowed" in body["error_details"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/Smart/Transactions/STX_X/refund",
        "/api/v2/Smart/Transaction",
        "/api/v2/Payment/Containers",
        "/api/v2/Payment/Transactions/PCI_X/IncreaseAmount",
    ],
)
def test_unknown_endpoints_are_product_errors(api: SandboxApi, path: str) -> None:
    answer = api.post(path, {})
    assert answer.status == 404
    assert answer.json()["error"] == "ProductNotFoundException"
    assert path in answer.json()["error_details"]
    assert api.post(path, {}, auth=False).json()["code"] == 2003


# --- PUT ------------------------------------------------------------------------------------


def test_put_replaces_the_transaction_while_created(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    body = plain_body(intent="order", methods=["debit"])
    body["basket"]["products"][0]["quantity"] = 3
    body["basket_info"]["sum"] = 3295
    body["merchantRef"] = "ORDER-2"
    answer = api.put(f"{BASE}/{stx['id']}", body)
    assert answer.status == 200, answer.text
    updated = answer.json()
    assert updated["id"] == stx["id"]
    assert updated["status"] == "created"
    assert updated["intent"] == "order"
    assert updated["delivery_options"] == {"type": "shipping"}
    assert updated["basket"]["products"][0]["quantity"] == 3
    assert updated["basket_info"] == {"sum": 3295, "currency": "EUR"}
    assert updated["merchantRef"] == "ORDER-2"
    assert updated["payment_context"] == {"auto_capture": True, "payment_methods": ["debit"]}
    # Intent order now: only the checkout link (DEMO api_integration_of_smart_checkout/Step2).
    assert "payment_links" not in updated
    assert set(updated["checkout_links"]) == {"url_checkout"}
    assert updated["updated"] >= stx["updated"]
    assert api.stx(stx["id"]) == updated


def test_put_drops_a_basket_that_is_not_sent_again(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    answer = api.put(f"{BASE}/{stx['id']}", {"basket_info": {"sum": 2295}})
    assert answer.status == 200, answer.text
    updated = answer.json()
    assert updated["basket"] is None
    assert updated["basket_info"] == {"sum": 2295, "currency": "EUR"}
    # Everything else not sent falls back to its default too: it is a full update.
    assert updated["merchantRef"] is None
    assert updated["payment_context"] == {"auto_capture": False}
    assert updated["intent"] == "sale"


def test_put_keeps_application_context_and_customer(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    body = plain_body(customer=False, language="en")
    body["application_context"]["return_urls"]["url_success"] = "https://elsewhere.example/"
    updated = api.put(f"{BASE}/{stx['id']}", body).json()
    assert updated["application_context"] == stx["application_context"]
    assert updated["customer"] == stx["customer"]


def test_put_can_add_a_customer(api: SandboxApi) -> None:
    stx = api.create(plain_body(customer=False))
    assert stx["customer"] is None
    updated = api.put(f"{BASE}/{stx['id']}", plain_body()).json()
    assert updated["customer"]["contact"]["name"] == "Erika Musterfrau"


def test_put_is_validated_and_leaves_the_transaction_alone(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    body = plain_body()
    body["basket_info"]["sum"] = 1
    error = _bad_request(api.put(f"{BASE}/{stx['id']}", body))
    assert "basket_info.sum" in error["error_details"]
    assert api.stx(stx["id"]) == stx


def test_put_without_basket_or_sum_resets_basket_info(api: SandboxApi) -> None:
    # JAVA-SDK updateTransaction: omitting the basket drops it and resets basket_info to its
    # defaults, instead of refusing the request.
    stx = api.create(plain_body())
    answer = api.put(f"{BASE}/{stx['id']}", {"intent": "sale"})
    assert answer.status == 200, answer.text
    updated = answer.json()
    assert updated["basket"] is None
    assert updated["basket_info"] == {"sum": 0, "currency": "EUR"}
    # Nothing to pay until a sum is put again.
    assert "sum" in _bad_request(api.prepare(stx["id"], "debit"))["error_details"]


@pytest.mark.parametrize("step", ["approved", "failed"])
def test_put_is_allowed_until_start(api: SandboxApi, step: str) -> None:
    stx = api.create(plain_body(auto_capture=False))
    api.prepare(stx["id"], "debit", outcome="declined" if step == "failed" else "success")
    assert api.stx(stx["id"])["status"] == step
    body = plain_body(auto_capture=False)
    body["merchantRef"] = "ORDER-2"
    answer = api.put(f"{BASE}/{stx['id']}", body)
    assert answer.status == 200, answer.text
    assert answer.json()["merchantRef"] == "ORDER-2"
    assert answer.json()["status"] == step


@pytest.mark.parametrize("step", ["cancelled", "ok", "started"])
def test_put_after_start_is_refused(api: SandboxApi, step: str) -> None:
    stx = api.create(plain_body(auto_capture=step == "ok"))
    if step == "cancelled":
        api.post(f"{BASE}/{stx['id']}/abort")
    else:
        api.prepare(stx["id"], "debit")
    if step == "started":
        api.post(f"{BASE}/{stx['id']}/start")
    status = api.stx(stx["id"])["status"]
    error = _state_error(api.put(f"{BASE}/{stx['id']}", plain_body()))
    assert status in error["error_details"]
    assert "started" in error["error_details"]


# --- prepare ----------------------------------------------------------------------------------


def test_prepare_sets_method_trans_id_and_transactions(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=False))
    assert stx["status"] == "approved"
    assert stx["payment_method"] == "debit"
    [pci] = stx["transactions"]
    assert stx["trans_id"] == pci["trans_id"]
    assert set(pci) == {"object", "id", "trans_id", "transaction_hash"}
    assert pci["object"] == "payment.transactions"


def test_prepare_with_unknown_method(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    error = _bad_request(api.prepare(stx["id"], "bitcoin"))
    assert "'bitcoin'" in error["error_details"]
    assert api.stx(stx["id"])["status"] == "created"


def test_prepare_with_a_method_the_transaction_does_not_allow(api: SandboxApi) -> None:
    stx = api.create(plain_body(methods=["prepaid"]))
    error = _bad_request(api.prepare(stx["id"], "creditcard"))
    assert "'creditcard'" in error["error_details"]
    assert PaymentTransaction.objects.count() == 0


def test_prepare_with_a_method_the_contract_does_not_offer(api: SandboxApi) -> None:
    Contract.objects.filter(contract_id="GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2").update(
        payment_methods=["debit"]
    )
    stx = api.create(plain_body())
    assert _bad_request(api.prepare(stx["id"], "paypal"))
    assert api.prepare(stx["id"], "debit").status == 200


def test_prepare_needs_a_customer(api: SandboxApi) -> None:
    stx = api.create(plain_body(customer=False))
    error = _bad_request(api.prepare(stx["id"], "debit"))
    assert error["error_details"].startswith("customer")
    assert PaymentTransaction.objects.count() == 0


def test_prepare_takes_the_customer_from_its_body(api: SandboxApi) -> None:
    stx = api.create(plain_body(customer=False))
    body = {"customer": {"contact": {"forename": "Jan", "surname": "Jansen", "phone": "0 1 2"}}}
    answer = api.prepare(stx["id"], "debit", body=body)
    assert answer.status == 200, answer.text
    contact = answer.json()["customer"]["contact"]
    assert contact["name"] == "Jan Jansen"
    assert contact["phone"] == "012"


def test_invoice_needs_the_customers_address(api: SandboxApi) -> None:
    body = plain_body()
    del body["customer"]["contact"]["address"]
    stx = api.create(body)
    error = _bad_request(api.prepare(stx["id"], "invoice"))
    assert "customer.contact.address" in error["error_details"]
    assert api.prepare(stx["id"], "debit").status == 200


def test_prepare_unknown_outcome_is_refused(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    assert (
        "outcome" in _bad_request(api.prepare(stx["id"], "debit", outcome="maybe"))["error_details"]
    )


@pytest.mark.parametrize("auto_capture", [True, False])
def test_prepare_twice_is_refused(api: SandboxApi, auto_capture: bool) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=auto_capture))
    _state_error(api.prepare(stx["id"], "debit"))
    assert PaymentTransaction.objects.count() == 1


def test_prepare_after_abort_is_refused(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    api.post(f"{BASE}/{stx['id']}/abort")
    _state_error(api.prepare(stx["id"], "debit"))


# --- start ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["start", "start/creditcard"])
def test_start_captures_an_approved_payment(api: SandboxApi, path: str) -> None:
    stx = authorised(api, "creditcard", plain_body(auto_capture=False))
    pci = leading_id(stx)
    assert api.pci(pci)["details"]["status_simple"] == Simple.AUTHORIZED
    answer = api.post(f"{BASE}/{stx['id']}/{path}")
    assert answer.status == 200, answer.text
    assert answer.json()["status"] == "ok"
    assert answer.json()["transactions"] == stx["transactions"]
    assert api.pci(pci)["details"]["status_simple"] == Simple.ACCEPTED


def test_start_with_another_method_is_refused(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", plain_body(auto_capture=False))
    error = _bad_request(api.post(f"{BASE}/{stx['id']}/start/debit"))
    assert "'debit'" in error["error_details"]
    assert api.stx(stx["id"])["status"] == "approved"


@pytest.mark.parametrize("method", ["creditcard", "prepaid", "invoice"])
def test_start_with_a_method_authorises_and_captures_in_one_step(
    api: SandboxApi, method: str
) -> None:
    # JAVA-SDK startTransaction: "pass the payment method and start it directly".
    stx = api.create(plain_body(intent="order", auto_capture=False))
    answer = api.post(f"{BASE}/{stx['id']}/start/{method}")
    assert answer.status == 200, answer.text
    started = answer.json()
    assert started["payment_method"] == method
    expected = {"creditcard": "received", "prepaid": "pending", "invoice": "received"}[method]
    assert started["status"] == expected
    simple = {"creditcard": 1, "prepaid": 2, "invoice": 14}[method]
    assert api.pci(leading_id(started))["details"]["status_simple"] == simple


def test_start_with_a_method_needs_a_customer(api: SandboxApi) -> None:
    stx = api.create(plain_body(customer=False))
    error = _bad_request(api.post(f"{BASE}/{stx['id']}/start/debit"))
    assert "customer" in error["error_details"]


@pytest.mark.parametrize("auto_capture", [True, False])
def test_start_only_when_approved(api: SandboxApi, auto_capture: bool) -> None:
    stx = api.create(plain_body(auto_capture=auto_capture))
    assert "created" in _state_error(api.post(f"{BASE}/{stx['id']}/start"))["error_details"]
    api.prepare(stx["id"], "debit")
    if not auto_capture:
        assert api.post(f"{BASE}/{stx['id']}/start").status == 200
    # Already captured (by auto_capture or by the first start): /start/ with an empty method, as
    # the PHP SDK sends it after /prepare (SDK-T), answers the Smart Transaction as it is.
    again = api.post(f"{BASE}/{stx['id']}/start/")
    assert again.status == 200, again.text
    assert again.json()["status"] == "ok"
    assert again.json()["id"] == stx["id"]


def test_start_with_an_empty_method_after_prepare_captures(api: SandboxApi) -> None:
    stx = api.create(plain_body(auto_capture=False))
    assert api.prepare(stx["id"], "creditcard").json()["status"] == "approved"
    answer = api.post(f"{BASE}/{stx['id']}/start/")
    assert answer.status == 200, answer.text
    assert answer.json()["status"] == "ok"
    assert api.pci(leading_id(answer.json()))["details"]["status_simple"] == Simple.ACCEPTED


# --- cancel and abort -----------------------------------------------------------------------


def test_cancel_a_created_transaction(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    answer = api.post(f"{BASE}/{stx['id']}/cancel")
    assert answer.status == 200
    assert answer.json()["status"] == "cancelled"
    # Idempotent.
    assert api.post(f"{BASE}/{stx['id']}/cancel").json()["status"] == "cancelled"


def test_cancel_an_approved_transaction_voids_its_payments(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", mixed_body(auto_capture=False))
    answer = api.post(f"{BASE}/{stx['id']}/cancel")
    assert answer.status == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    for t in stx["transactions"]:
        pci = api.pci(t["id"])
        assert pci["details"]["status_simple"] == Simple.VOID
        assert pci["details"]["status_simple_text"] == "void"
    _state_error(api.post(f"{BASE}/{stx['id']}/start"))


def test_cancel_after_the_money_moved_is_refused(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=True))
    error = _state_error(api.post(f"{BASE}/{stx['id']}/cancel"))
    assert "/Payment/Transactions/{id}/cancel" in error["error_details"]
    assert api.stx(stx["id"])["status"] == "ok"


def test_cancel_a_pending_prepayment(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", plain_body(auto_capture=True))
    assert stx["status"] == "pending"
    assert api.post(f"{BASE}/{stx['id']}/cancel").json()["status"] == "cancelled"
    assert api.pci(leading_id(stx))["details"]["status_simple"] == Simple.VOID


@pytest.mark.parametrize("before", ["created", "failed"])
def test_abort_an_unpaid_transaction(api: SandboxApi, before: str) -> None:
    stx = api.create(plain_body())
    if before == "failed":
        api.prepare(stx["id"], "debit", outcome="declined")
    answer = api.post(f"{BASE}/{stx['id']}/abort")
    assert answer.status == 200
    assert answer.json()["status"] == "cancelled"


def test_abort_an_approved_transaction_voids_its_authorisations(api: SandboxApi) -> None:
    # JAVA-SDK: "abandons a Smart Transaction that has not yet been started"; approved has not.
    stx = authorised(api, "creditcard", mixed_body(auto_capture=False))
    assert stx["status"] == "approved"
    answer = api.post(f"{BASE}/{stx['id']}/abort")
    assert answer.status == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    for t in stx["transactions"]:
        assert api.pci(t["id"])["details"]["status_simple"] == Simple.VOID
        assert api.get(f"/api/v2/Payment/Transactions/{t['id']}/checkStatus").json()["amount"] == 0
    _state_error(api.post(f"{BASE}/{stx['id']}/start"))
    _state_error(api.prepare(stx["id"], "debit"))


@pytest.mark.parametrize("method", ["debit", "prepaid"])
def test_abort_after_start_is_refused(api: SandboxApi, method: str) -> None:
    stx = authorised(api, method, plain_body(auto_capture=True))
    assert stx["status"] in ("ok", "pending")
    _state_error(api.post(f"{BASE}/{stx['id']}/abort"))
    assert api.stx(stx["id"])["status"] == stx["status"]


@pytest.mark.parametrize("answer", ["cancelled", "failed"])
def test_the_abort_status_switch(api: SandboxApi, answer: str) -> None:
    control.set_switch("ABORT_STATUS", answer)
    try:
        stx = api.create(plain_body())
        assert api.post(f"{BASE}/{stx['id']}/abort").json()["status"] == answer
        # Whichever status it shows, an aborted transaction cannot be paid any more.
        _state_error(api.prepare(stx["id"], "debit"))
        _state_error(api.post(f"{BASE}/{stx['id']}/start/debit"))
        page = Client().get(f"/sandbox/checkout/{stx['id']}/")
        assert page.status_code == 409
        assert b'name="action" value="pay"' not in page.content
    finally:
        control.reset_switches()


@pytest.mark.parametrize("answer", ["cancelled", "failed"])
def test_the_cancel_status_switch(api: SandboxApi, answer: str) -> None:
    control.set_switch("CANCEL_STATUS", answer)
    try:
        stx = authorised(api, "prepaid", plain_body(auto_capture=True))
        # /cancel is decided: "cancelled" (DEMO-M cancel_order.php), whatever the switch says.
        assert api.post(f"{BASE}/{stx['id']}/cancel").json()["status"] == "cancelled"
        assert api.pci(leading_id(stx))["details"]["status_simple"] == Simple.VOID
        _state_error(api.prepare(stx["id"], "debit"))
        # A Payment Transaction cancelled in full before payment: the switch's answer.
        other = authorised(api, "prepaid", plain_body(auto_capture=True))
        api.post(f"/api/v2/Payment/Transactions/{leading_id(other)}/cancel", {})
        assert api.stx(other["id"])["status"] == answer
    finally:
        control.reset_switches()


# --- setDelivery ----------------------------------------------------------------------------

SHIPPING = {
    "type": "shipping",
    "shipped_at": "2026-01-02T10:00:00+01:00",
    "shipped_by": "DHL",
    "tracking_code": "00340434161094042557",
    "invoice_number": "R-1",
}


def test_set_delivery_ships_an_order(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", plain_body(intent="order"))
    assert stx["status"] == "received"
    answer = api.post(f"{BASE}/{stx['id']}/setDelivery", {"delivery_options": SHIPPING})
    assert answer.status == 200, answer.text
    assert answer.json()["status"] == "shipped"
    assert answer.json()["delivery_options"] == SHIPPING
    # Repeated calls overwrite; what is left out is removed.
    again = api.post(
        f"{BASE}/{stx['id']}/setDelivery",
        {"delivery_options": {"type": "shipping", "shipped_by": "DPD"}},
    ).json()
    assert again["status"] == "shipped"
    assert again["delivery_options"] == {"type": "shipping", "shipped_by": "DPD"}


def test_set_delivery_on_a_sale_stays_ok(api: SandboxApi) -> None:
    stx = authorised(api, "paypal", plain_body(intent="sale"))
    assert stx["status"] == "ok"
    answer = api.post(f"{BASE}/{stx['id']}/setDelivery", {"delivery_options": SHIPPING})
    assert answer.json()["status"] == "ok"
    assert answer.json()["delivery_options"]["tracking_code"] == SHIPPING["tracking_code"]


def test_set_delivery_collects_a_collection_order(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(intent="order", delivery_type="collection"))
    assert stx["status"] == "collection"
    collected = {"type": "collection", "delivered_at": "2026-01-03T12:00:00+01:00", "code": "X1"}
    answer = api.post(f"{BASE}/{stx['id']}/setDelivery", {"delivery_options": collected})
    assert answer.json()["status"] == "collected"
    assert answer.json()["delivery_options"] == collected


@pytest.mark.parametrize("status", ["created", "approved", "pending", "failed"])
def test_set_delivery_before_the_money_is_secured_is_refused(api: SandboxApi, status: str) -> None:
    stx = api.create(plain_body(intent="order", auto_capture=status == "pending"))
    if status == "approved":
        api.prepare(stx["id"], "debit")
    elif status == "pending":
        api.prepare(stx["id"], "prepaid")
    elif status == "failed":
        api.prepare(stx["id"], "debit", outcome="declined")
    assert api.stx(stx["id"])["status"] == status
    _state_error(api.post(f"{BASE}/{stx['id']}/setDelivery", {"delivery_options": SHIPPING}))


@pytest.mark.parametrize(
    "body", [{}, {"delivery_options": "DHL"}, {"delivery_options": {"type": "drone"}}]
)
def test_set_delivery_body_is_validated(api: SandboxApi, body: dict[str, Any]) -> None:
    stx = authorised(api, "debit", plain_body(intent="order"))
    error = _bad_request(api.post(f"{BASE}/{stx['id']}/setDelivery", body))
    assert "delivery_options" in error["error_details"]
    assert api.stx(stx["id"])["status"] == "received"


def test_set_delivery_makes_an_invoice_due(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body(intent="order"))
    assert stx["status"] == "received"
    for t in stx["transactions"]:
        assert api.pci(t["id"])["details"]["status_simple"] == Simple.WAITING_FOR_SHIPMENT
    answer = api.post(f"{BASE}/{stx['id']}/setDelivery", {"delivery_options": SHIPPING})
    assert answer.json()["status"] == "shipped"
    for t in stx["transactions"]:
        pci = api.pci(t["id"])
        assert pci["details"]["status_simple"] == Simple.ACCEPTED
        assert pci["status"] == 86
        assert pci["invoice_number"] == "R-1"
        assert pci["details"]["cleared"] == "open"  # captured, not paid by the buyer
        assert pci["completion_date"]
        row = PaymentTransaction.objects.get(pci_id=t["id"])
        assert not row.payer_paid
        assert row.shipping_information == {
            "carrier": "DHL",
            "tracking_id": "00340434161094042557",
            "invoice_number": "R-1",
            "shipped_at": SHIPPING["shipped_at"],
        }


# --- The list ---------------------------------------------------------------------------------


def _list(api: SandboxApi, query: str = "") -> dict[str, Any]:
    answer = api.get(f"{BASE}{query}")
    assert answer.status == 200, answer.text
    return answer.json()


def test_list_and_query(api: SandboxApi) -> None:
    first = api.create(plain_body())
    second_body = plain_body()
    second_body["merchantRef"] = "ORDER-2"
    second = api.create(second_body)
    api.prepare(second["id"], "debit")

    everything = _list(api)
    assert everything["count"] == 2
    assert {s["id"] for s in everything["data"]} == {first["id"], second["id"]}
    assert everything["data"][0]["object"] == "smart.transactions"

    assert [s["id"] for s in _list(api, "?q=status:created")["data"]] == [first["id"]]
    assert [s["id"] for s in _list(api, "?q=status:ok")["data"]] == [second["id"]]
    assert [s["id"] for s in _list(api, "?q=merchantRef:ORDER-2")["data"]] == [second["id"]]
    assert [s["id"] for s in _list(api, f"?q=id:{first['id']}")["data"]] == [first["id"]]
    assert [s["id"] for s in _list(api, "?q=payment_method:debit")["data"]] == [second["id"]]
    both = _list(api, "?q=transactionRef:%22Shop%20ORDER-1%22")
    assert both["count"] == 2
    combined = _list(api, "?q=merchantRef:ORDER-1%20AND%20status:created")
    assert [s["id"] for s in combined["data"]] == [first["id"]]
    assert _list(api, "?q=merchantRef:ORDER-1%20AND%20status:ok")["count"] == 0


def test_list_paging(api: SandboxApi) -> None:
    created = [api.create(plain_body())["id"] for _ in range(3)]
    page = _list(api, "?count=2&offset=0")
    assert page["count"] == 3
    assert len(page["data"]) == 2
    rest = _list(api, "?count=2&offset=2")
    assert len(rest["data"]) == 1
    assert {s["id"] for s in page["data"] + rest["data"]} == set(created)


@pytest.mark.parametrize("query", ["?q=amount:5", "?q=nonsense", "?count=x"])
def test_list_refuses_what_it_does_not_understand(api: SandboxApi, query: str) -> None:
    _bad_request(api.get(f"{BASE}{query}"))


@pytest.mark.parametrize(
    ("spelling", "accepted", "refused"),
    [
        ("merchantRef", ["merchantRef"], ["merchant_ref"]),
        ("merchant_ref", ["merchant_ref"], ["merchantRef"]),
        ("both", ["merchantRef", "merchant_ref"], []),
    ],
)
def test_the_query_spelling_switch(
    api: SandboxApi, spelling: str, accepted: list[str], refused: list[str]
) -> None:
    stx = api.create(plain_body())
    control.set_switch("QUERY_SPELLING", spelling)
    try:
        for name in accepted:
            assert [s["id"] for s in _list(api, f"?q={name}:ORDER-1")["data"]] == [stx["id"]]
        for name in refused:
            assert (
                "unsupported term"
                in _bad_request(api.get(f"{BASE}?q={name}:ORDER-1"))["error_details"]
            )
    finally:
        control.reset_switches()


# --- One client never sees another's transactions -------------------------------------------


def test_other_client_cannot_see_or_touch(api: SandboxApi, other_api: SandboxApi) -> None:
    mine = authorised(api, "debit", plain_body(auto_capture=False))
    pci = leading_id(mine)
    assert other_api.get(BASE).json() == {"count": 0, "data": []}
    for method, path, body in [
        ("GET", f"{BASE}/{mine['id']}", None),
        ("PUT", f"{BASE}/{mine['id']}", plain_body()),
        ("POST", f"{BASE}/{mine['id']}/prepare/debit", None),
        ("POST", f"{BASE}/{mine['id']}/start", None),
        ("POST", f"{BASE}/{mine['id']}/cancel", None),
        ("POST", f"{BASE}/{mine['id']}/abort", None),
        ("POST", f"{BASE}/{mine['id']}/setDelivery", {"delivery_options": SHIPPING}),
        ("GET", f"/api/v2/Payment/Transactions/{pci}", None),
        ("GET", f"/api/v2/Payment/Transactions/{pci}/checkStatus", None),
        ("POST", f"/api/v2/Payment/Transactions/{pci}/cancel", {}),
        ("POST", f"/api/v2/Payment/Transactions/{pci}/capture", {}),
        ("PUT", f"/api/v2/Payment/Transactions/{pci}/ShippingInformation", {}),
        ("POST", f"/api/v2/Payment/Secupaydebits/{pci}/TestChangedPaymentStatus", None),
    ]:
        answer = other_api.send(method, path, body)
        assert answer.status == 404, (method, path, answer.text)
        assert answer.json()["error"] == "ProductNotFoundException"
    q = f"?q=parents.trans_id:{mine['trans_id']}"
    assert other_api.get(f"/api/v2/Payment/Transactions{q}").json()["count"] == 0
    assert other_api.get("/api/v2/Payment/Transactions").json()["count"] == 0
    # And nothing happened to it.
    assert api.stx(mine["id"]) == mine
    assert api.pci(pci)["details"]["status_simple"] == Simple.AUTHORIZED


def test_the_other_client_works_in_its_own_world(api: SandboxApi, other_api: SandboxApi) -> None:
    api.create(plain_body())
    body = plain_body()
    del body["contract"]  # its own default contract
    theirs = other_api.create(body)
    assert theirs["merchant"]["companyname"] == "Anderer Marktplatz GmbH"
    assert theirs["contract"]["id"] == "GCR_OTHERMARKETPLACE00000000000000"
    assert [s["id"] for s in other_api.get(BASE).json()["data"]] == [theirs["id"]]
    assert api.get(BASE).json()["count"] == 1
    assert api.get(f"{BASE}/{theirs['id']}").status == 404
    # Using the guide marketplace's contract is not allowed for the other client.
    assert other_api.post(BASE, plain_body()).status == 403


def test_two_clients_of_one_merchant_are_still_separate(api: SandboxApi) -> None:
    call_command(
        "sandbox_client",
        client_id="22222222222222222222222222222222",
        client_secret="second-secret",
        merchant="Mustermarktplatz GmbH",
        stdout=io.StringIO(),
    )
    second = SandboxApi()
    second.authenticate(client_id="22222222222222222222222222222222", client_secret="second-secret")
    mine = api.create(plain_body())
    assert second.get(f"{BASE}/{mine['id']}").status == 404
    assert second.get(BASE).json()["count"] == 0


def test_call_log_counts_one_create(api: SandboxApi) -> None:
    control.reset_calls()
    stx = api.create(plain_body())
    api.stx(stx["id"])
    api.stx(stx["id"])
    assert control.count("smart.create") == 1
    assert control.count("smart.get") == 2
    assert SmartTransaction.objects.count() == 1
    [row] = control.call_rows("smart.create")
    assert row["method"] == "POST"
    assert row["path"] == "/sandbox/api/v2/Smart/Transactions"
    assert row["status"] == 200
    assert row["duration_ms"] >= 0
    assert row["client_id"] == "00563697073442633035025909838580"
    assert row["fault"] == ""
