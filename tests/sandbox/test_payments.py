"""Payment Transactions: read, checkStatus, cancel/refund, capture, ShippingInformation, the list,
and the ``TestChangedPaymentStatus`` testing helper."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import override_settings

from secu_marketplace.sandbox.models import PaymentTransaction
from secu_marketplace.sandbox.statuses import Simple
from tests.helpers import SandboxApi

from .conftest import authorised, leading_id, mixed_body, plain_body, sub_ids

PT = "/api/v2/Payment/Transactions"


def _cancel(api: SandboxApi, pci_id: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(f"{PT}/{pci_id}/cancel", body if body is not None else {})


def _check(api: SandboxApi, pci_id: str) -> dict[str, Any]:
    answer = api.get(f"{PT}/{pci_id}/checkStatus")
    assert answer.status == 200, answer.text
    return answer.json()


def _row(pci_id: str) -> PaymentTransaction:
    return PaymentTransaction.objects.get(pci_id=pci_id)


def _error(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status == status, answer.text
    assert answer.json()["status"] == "error"
    return answer.json()


# --- Read ---------------------------------------------------------------------------------------


def test_read_a_payment_transaction(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=True))
    ref = stx["transactions"][0]
    pci = api.pci(ref["id"])
    assert pci["object"] == "payment.transactions"
    assert pci["id"] == ref["id"]
    assert pci["trans_id"] == ref["trans_id"] == stx["trans_id"]
    assert pci["transaction_hash"] == ref["transaction_hash"]
    assert pci["merchant"]["id"] == "MRC_SP02GWXS3FVVX0MFN2F95BN9F8SCE2"
    assert pci["contract"] == {"object": "general.contracts", "id": stx["contract"]["id"]}
    assert (pci["amount"], pci["currency"]) == (2295, "EUR")
    assert pci["product"] == "Lastschrift"
    assert (pci["status"], pci["status_text"]) == (6, "abgeschlossen")
    assert pci["details"] == {
        "amount": 2295,
        "cleared": "open",  # a just-accepted debit (DOC Step 4)
        "status": 6,
        "status_text": "abgeschlossen",
        "status_simple": 1,
        "status_simple_text": "accepted",
        "description": "Shop ORDER-1",
        "description_raw": "Shop ORDER-1",
    }
    assert pci["parents"] == []
    assert pci["related_transactions"] == []
    assert pci["reference_id"] is None
    # The PHP-SDK model's fields (PaymentTransactionsProductModel.php), nothing invented.
    for invented in ("is_demo", "stakeholder_amount", "shipping_information"):
        assert invented not in pci
    assert pci["merchant"]["type"] == 11
    assert pci["merchant"]["user"] == {
        "name": "Mustermarktplatz GmbH",
        "companyname": "Mustermarktplatz GmbH",
    }
    assert pci["product_id"] == 32
    assert isinstance(pci["contract_id"], int)
    assert pci["zahlungsmittel_id"] is None
    assert pci["completion_date"]  # debit with auto_capture: completed at once
    assert pci["incoming_payment_date"]
    assert pci["transmitted_to_bank"] is False
    assert pci["documents"] == []
    for key in ("platform", "payment_data", "payout_date"):
        assert key in pci
    assert pci["basket"] == [
        {
            "tax": 19,
            "quantity": 2,
            "price": 1000,
            "item_type": "article",
            "name": "Teetasse",
            "total": 2000,
        },
        {
            "tax": 0,
            "quantity": 1,
            "price": 495,
            "item_type": "shipping",
            "name": "Versand",
            "total": 495,
        },
        {
            "tax": 0,
            "quantity": 1,
            "price": 200,
            "item_type": "coupon",
            "name": "Gutschein",
            "total": -200,
        },
    ]
    for key in ("created", "updated"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", pci[key])


def test_read_by_transaction_hash(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    ref = stx["transactions"][0]
    assert api.pci(ref["transaction_hash"])["id"] == ref["id"]
    assert _check(api, ref["transaction_hash"])["amount"] == 2295


def test_demo_product_name(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body())
    assert api.pci(leading_id(stx))["product"] == "Kauf auf Rechnung (Demo)"
    assert "is_demo" not in api.pci(leading_id(stx))


def test_check_status_shape(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", plain_body())
    assert _check(api, leading_id(stx)) == {
        "status": 25,
        "status_text": "Vorkasse wartend",
        "status_simple": 2,  # as recorded (DOC:Read_a_Payment_Transaction), not 10
        "status_simple_text": "authorized",
        "amount": 2295,
        "currency": "EUR",
    }


# --- Cancel before execution: the amount shrinks ------------------------------------------------


def test_partial_cancel_before_execution_reduces_the_amount(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=False))
    pci_id = leading_id(stx)
    answer = _cancel(api, pci_id, {"reduce_amount_by": 500, "reason": "Teilstorno Artikel 1"})
    assert answer.status == 200, answer.text
    [same] = answer.json()
    assert same["id"] == pci_id
    assert same["amount"] == 1795
    assert same["details"]["status_simple"] == Simple.AUTHORIZED
    assert _check(api, pci_id)["amount"] == 1795
    assert PaymentTransaction.objects.count() == 1
    # Debit can be reduced again.
    [again] = _cancel(api, pci_id, {"reduce_amount_by": 795}).json()
    assert again["amount"] == 1000
    # Starting captures the reduced amount.
    api.post(f"/api/v2/Smart/Transactions/{stx['id']}/start")
    assert api.pci(pci_id)["amount"] == 1000


def test_full_cancel_before_execution_voids(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", plain_body(auto_capture=False))
    pci_id = leading_id(stx)
    [voided] = _cancel(api, pci_id).json()
    assert voided["amount"] == 0
    assert voided["details"]["status_simple"] == Simple.VOID
    assert _check(api, pci_id)["amount"] == 0
    assert api.stx(stx["id"])["status"] == "cancelled"
    assert "nothing left" in _error(_cancel(api, pci_id), 409)["error_details"]


def test_creditcard_partial_cancel_once_only(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", plain_body(auto_capture=False))
    pci_id = leading_id(stx)
    assert _cancel(api, pci_id, {"reduce_amount_by": 295}).status == 200
    error = _error(_cancel(api, pci_id, {"reduce_amount_by": 100}), 409)
    assert "once" in error["error_details"]
    assert api.pci(pci_id)["amount"] == 2000
    # Cancelling the rest in full is still possible.
    [voided] = _cancel(api, pci_id).json()
    assert voided["details"]["status_simple"] == Simple.VOID


def test_mixed_basket_reduce_a_sub_transaction_before_execution(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", mixed_body(auto_capture=False))
    leading, subs = leading_id(stx), sub_ids(stx)
    [sub] = _cancel(
        api, subs["sb0"], {"reduce_amount_by": 2220, "reduce_stakeholder_payment": True}
    ).json()
    assert sub["amount"] == 2220
    # The share is kept internally only (the wire model has no such field).
    assert _row(subs["sb0"]).stakeholder_amount == 40  # 80 reduced in proportion
    assert api.pci(leading)["amount"] == 2220 + 3345
    _cancel(api, subs["sb1"], {"reduce_amount_by": 345}).json()
    assert _row(subs["sb1"]).stakeholder_amount == 70  # not asked to reduce the fee


# --- Cancel after execution: a refund transaction -----------------------------------------------


def test_refund_after_execution_creates_a_linked_negative_transaction(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=True))
    pci_id = leading_id(stx)
    answer = _cancel(api, pci_id, {"reduce_amount_by": 500, "reason": "Retoure (1/2)"})
    assert answer.status == 200, answer.text
    original, refund = answer.json()
    assert original["id"] == pci_id
    assert original["amount"] == 2295  # unchanged
    assert refund["id"] != pci_id
    assert re.fullmatch(r"PCI_[A-Z0-9]{30}", refund["id"])
    assert refund["amount"] == -500
    assert refund["currency"] == "EUR"
    assert refund["product"] == "Erstattung"
    # As DOC:Read_a_Payment_Transaction shows a refund: never the original's labels.
    assert refund["description"] == (
        f"TA-Code {original['trans_id']} | Refund TA-Code {refund['trans_id']}"
    )
    assert (refund["status"], refund["status_text"]) == (6, "abgeschlossen")
    assert refund["details"]["cleared"] == "open"
    assert refund["details"]["status_simple"] == Simple.ACCEPTED
    [parent] = refund["parents"]
    assert parent == {
        "object": "payment.transactions",
        "id": pci_id,
        "trans_id": original["trans_id"],
        "ref_type_id": 19,
        "ref_type_raw": "Erstattung",
        "hierarchy": "parent",
    }
    [child] = original["related_transactions"]
    assert (child["id"], child["ref_type_id"], child["hierarchy"]) == (refund["id"], 19, "child")
    assert _check(api, pci_id)["amount"] == 1795
    assert _check(api, pci_id)["status_simple"] == Simple.ACCEPTED
    # The refund is readable on its own, but not part of the Smart Transaction's transactions.
    assert api.pci(refund["id"])["amount"] == -500
    assert [t["id"] for t in api.stx(stx["id"])["transactions"]] == [pci_id]
    found = api.get(f"{PT}?q=parents.trans_id:{original['trans_id']}").json()
    assert [p["id"] for p in found["data"]] == [refund["id"]]

    # Refunding the rest voids the original; its Smart Transaction stays as it was.
    original2, refund2 = _cancel(api, pci_id).json()
    assert refund2["amount"] == -1795
    assert original2["details"]["status_simple"] == Simple.VOID
    assert _check(api, pci_id)["amount"] == 0
    assert api.stx(stx["id"])["status"] == "ok"
    assert len(api.pci(pci_id)["related_transactions"]) == 2


def test_refund_larger_than_what_remains_is_refused(api: SandboxApi) -> None:
    stx = authorised(api, "paypal", plain_body())
    pci_id = leading_id(stx)
    details = _error(_cancel(api, pci_id, {"reduce_amount_by": 2296}), 400)["error_details"]
    assert "2296" in details
    assert "2295" in details
    _cancel(api, pci_id, {"reduce_amount_by": 2000})
    details = _error(_cancel(api, pci_id, {"reduce_amount_by": 296}), 400)["error_details"]
    assert "296" in details
    assert "295" in details
    assert PaymentTransaction.objects.count() == 2
    assert _check(api, pci_id)["amount"] == 295


def test_creditcard_refunds_after_capture_may_repeat(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", plain_body(auto_capture=True))
    pci_id = leading_id(stx)
    for _ in range(3):
        assert _cancel(api, pci_id, {"reduce_amount_by": 100}).status == 200
    assert _check(api, pci_id)["amount"] == 1995


@pytest.mark.parametrize(
    "reason",
    ["Rückgabe", "x" * 101, "<script>", "refund; drop", "50% off", 42],
    ids=["umlaut", "too-long", "angle", "semicolon", "percent", "not-a-string"],
)
def test_reason_is_validated(api: SandboxApi, reason: Any) -> None:
    stx = authorised(api, "debit", plain_body())
    details = _error(_cancel(api, leading_id(stx), {"reason": reason}), 400)["error_details"]
    assert details.startswith("reason")
    assert PaymentTransaction.objects.count() == 1


def test_reason_of_100_allowed_characters_is_accepted(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    reason = ("Retoure A-1/2 (Teil), Kunde: Max? 'ok' + .")[:100].ljust(100, "x")
    _, refund = _cancel(api, leading_id(stx), {"reason": reason}).json()
    assert refund["amount"] == -2295
    assert _row(refund["id"]).description == reason  # kept; the wire shows the TA codes


@pytest.mark.parametrize("amount", [0, -5, "100", 10.5, True])
def test_reduce_amount_by_must_be_a_positive_integer(api: SandboxApi, amount: Any) -> None:
    stx = authorised(api, "debit", plain_body())
    details = _error(_cancel(api, leading_id(stx), {"reduce_amount_by": amount}), 400)
    assert details["error_details"].startswith("reduce_amount_by")


def test_refund_of_a_sub_transaction_with_stakeholder_reduction(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", mixed_body(auto_capture=True))
    leading, subs = leading_id(stx), sub_ids(stx)
    original, refund = _cancel(
        api, subs["sb0"], {"reduce_amount_by": 2220, "reduce_stakeholder_payment": True}
    ).json()
    assert refund["amount"] == -2220
    assert _row(refund["id"]).stakeholder_amount == -40  # internal: not on the wire
    assert refund["reference_id"] == "sb0"
    assert refund["parents"][0]["id"] == subs["sb0"]
    assert _row(original["id"]).stakeholder_amount == 80
    _, plain = _cancel(api, subs["sb1"], {"reduce_amount_by": 345}).json()
    assert _row(plain["id"]).stakeholder_amount == 0
    assert _check(api, subs["sb0"])["amount"] == 2220
    assert _check(api, subs["sb1"])["amount"] == 3000
    # What is left of the payment as a whole: what is left of its parts.
    assert _check(api, leading)["amount"] == 2220 + 3000
    assert api.pci(leading)["amount"] == 7785
    # Refunding one supplier in full: that part is void, the payment as a whole still stands.
    _cancel(api, subs["sb0"])
    assert api.pci(subs["sb0"])["details"]["status_simple"] == Simple.VOID
    assert api.pci(leading)["details"]["status_simple"] == Simple.ACCEPTED
    assert _check(api, leading)["amount"] == 3000
    # The rest of the payment, through the leading transaction: sb1's remaining 3000.
    answer = _cancel(api, leading).json()
    assert [r["amount"] for r in answer[1:]] == [-3000]
    assert _check(api, leading)["amount"] == 0
    assert api.pci(leading)["details"]["status_simple"] == Simple.VOID


def test_leading_transaction_of_a_mixed_basket(api: SandboxApi) -> None:
    stx = authorised(api, "debit", mixed_body(auto_capture=True))
    leading, subs = leading_id(stx), sub_ids(stx)
    details = _error(_cancel(api, leading, {"reduce_amount_by": 100}), 400)["error_details"]
    assert "sub-transaction" in details
    answer = _cancel(api, leading).json()
    assert answer[0]["id"] == leading
    refunds = answer[1:]
    assert sorted(r["amount"] for r in refunds) == [-4440, -3345]
    assert {r["parents"][0]["id"] for r in refunds} == set(subs.values())
    assert api.pci(leading)["details"]["status_simple"] == Simple.VOID
    for pci_id in subs.values():
        assert _check(api, pci_id)["amount"] == 0


def test_a_refund_cannot_be_cancelled(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    _, refund = _cancel(api, leading_id(stx), {"reduce_amount_by": 100}).json()
    assert "refund" in _error(_cancel(api, refund["id"]), 409)["error_details"]


def test_cancel_a_declined_payment_is_refused(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body(), outcome="declined")
    assert "denied" in _error(_cancel(api, leading_id(stx)), 409)["error_details"]


@override_settings(SECU_SANDBOX={"PUSH_MODE": "manual", "REFUNDS": "pending"})
def test_pending_refunds_wait_for_the_bank(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    pci_id = leading_id(stx)
    original, refund = _cancel(api, pci_id).json()
    assert refund["details"]["status_simple"] == Simple.PENDING
    assert original["details"]["status_simple"] == Simple.REFUND
    assert original["details"]["status_simple_text"] == "refund"
    assert _check(api, pci_id)["amount"] == 0  # open refunds count
    # The refund fails: the money is the merchant's again.
    failed = api.post(
        f"/api/v2/Payment/Secupaydebits/{refund['id']}/TestChangedPaymentStatus",
        {"new_status_id": 3},
    )
    assert failed.status == 200, failed.text
    assert api.pci(pci_id)["details"]["status_simple"] == Simple.ACCEPTED
    assert _check(api, pci_id)["amount"] == 2295
    # A second refund goes through.
    _, second = _cancel(api, pci_id).json()
    api.post(
        f"/api/v2/Payment/Secupaydebits/{second['id']}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    assert api.pci(pci_id)["details"]["status_simple"] == Simple.VOID
    assert _check(api, pci_id)["amount"] == 0


# --- Capture (invoice) --------------------------------------------------------------------------

SHIPPING_INFORMATION = {
    "carrier": "DHL",
    "tracking_id": "00340434161094042557",
    "invoice_number": "R-2026-1",
    "shipped_at": "2026-01-02T10:00:00+01:00",
    "order_id": "ORDER-1",
}


def test_capture_an_invoice(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", plain_body(intent="order"))
    pci_id = leading_id(stx)
    answer = api.post(f"{PT}/{pci_id}/capture", {"shipping_information": SHIPPING_INFORMATION})
    assert answer.status == 200, answer.text
    captured = answer.json()
    assert isinstance(captured, dict)  # an object, not an array (SDK 2.43.0)
    assert captured["id"] == pci_id
    assert (captured["status"], captured["status_text"]) == (86, "abgeschlossen (Rechnung offen)")
    assert captured["details"]["status_simple"] == Simple.ACCEPTED
    # Captured, but the buyer has not paid: "open" (DOC:Mark_as_Shipped, newer revision).
    assert captured["details"]["cleared"] == "open"
    assert captured["completion_date"]
    assert captured["incoming_payment_date"] is None
    assert captured["invoice_number"] == "R-2026-1"
    assert captured["order_id"] == "ORDER-1"
    assert "shipping_information" not in captured
    assert _row(pci_id).shipping_information == SHIPPING_INFORMATION
    assert not _row(pci_id).payer_paid
    assert _error(api.post(f"{PT}/{pci_id}/capture", {}), 409)


def test_capture_the_leading_invoice_captures_every_part(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body())
    leading = leading_id(stx)
    api.post(f"{PT}/{leading}/capture", {"shipping_information": {"carrier": "DPD"}})
    for t in stx["transactions"]:
        pci = api.pci(t["id"])
        assert pci["details"]["status_simple"] == Simple.ACCEPTED
        assert pci["details"]["cleared"] == "open"
        # None sent: the merchantRef, or without one the TA number (the sandbox's fallback).
        assert pci["order_id"] == (stx["merchantRef"] or str(pci["trans_id"]))
        assert _row(t["id"]).shipping_information == {"carrier": "DPD"}


def test_capture_an_authorised_invoice_moves_the_smart_transaction(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", plain_body(intent="order", auto_capture=False))
    assert stx["status"] == "approved"
    api.post(f"{PT}/{leading_id(stx)}/capture", {})
    assert api.stx(stx["id"])["status"] == "received"


@pytest.mark.parametrize("method", ["debit", "creditcard", "prepaid"])
def test_capture_is_for_invoices_only(api: SandboxApi, method: str) -> None:
    stx = authorised(api, method, plain_body(auto_capture=False))
    error = _error(api.post(f"{PT}/{leading_id(stx)}/capture", {}), 409)
    assert "invoice" in error["error_details"]


@pytest.mark.parametrize(
    ("info", "fragment"),
    [
        ({"carrier": "DHL", "colour": "red"}, "colour"),
        ({"shipped_at": "2026-01-02T10:00:00"}, "time zone"),
        ({"shipped_at": "yesterday"}, "shipped_at"),
    ],
)
def test_shipping_information_is_validated(
    api: SandboxApi, info: dict[str, Any], fragment: str
) -> None:
    stx = authorised(api, "invoice", plain_body(intent="order"))
    pci_id = leading_id(stx)
    details = _error(api.post(f"{PT}/{pci_id}/capture", {"shipping_information": info}), 400)
    assert fragment in details["error_details"]
    put = api.put(f"{PT}/{pci_id}/ShippingInformation", info)
    assert fragment in _error(put, 400)["error_details"]
    assert api.pci(pci_id)["details"]["status_simple"] == Simple.WAITING_FOR_SHIPMENT


def test_put_shipping_information(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body())
    sub = sub_ids(stx)["sb1"]
    answer = api.put(f"{PT}/{sub}/ShippingInformation", {"carrier": "DHL", "tracking_id": "T1"})
    assert answer.status == 200, answer.text
    assert answer.json() == {"result": True}
    merged = api.put(
        f"{PT}/{sub}/ShippingInformation", {"invoice_number": "R-9", "tracking_id": "T2"}
    )
    assert merged.json() == {"result": True}
    assert _row(sub).shipping_information == {
        "carrier": "DHL",
        "tracking_id": "T2",
        "invoice_number": "R-9",
    }
    assert api.pci(sub)["invoice_number"] == "R-9"
    # Shipping information alone does not capture.
    assert api.pci(sub)["details"]["status_simple"] == Simple.WAITING_FOR_SHIPMENT
    by_hash = api.put(f"{PT}/{stx['transactions'][1]['transaction_hash']}/ShippingInformation", {})
    assert by_hash.json() == {"result": True}


def test_shipping_information_is_put_only(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", plain_body())
    assert api.post(f"{PT}/{leading_id(stx)}/ShippingInformation", {}).status == 405


# --- The list ----------------------------------------------------------------------------------


def test_list_with_queries(api: SandboxApi) -> None:
    first = authorised(api, "debit", plain_body())
    second = authorised(api, "invoice", mixed_body())
    everything = api.get(PT).json()
    assert everything["count"] == 4
    assert everything["data"][0]["object"] == "payment.transactions"
    lead = second["transactions"][0]
    by_parent = api.get(f"{PT}?q=parents.trans_id:{lead['trans_id']}").json()
    assert by_parent["count"] == 2
    assert [p["reference_id"] for p in by_parent["data"]] == ["sb0", "sb1"]
    by_ta = api.get(f"{PT}?q=trans_id:{first['trans_id']}").json()
    assert [p["id"] for p in by_ta["data"]] == [first["transactions"][0]["id"]]
    by_hash = api.get(f"{PT}?q=transaction_hash:{lead['transaction_hash']}").json()
    assert [p["id"] for p in by_hash["data"]] == [lead["id"]]
    both = api.get(
        f"{PT}?q=parents.trans_id:{lead['trans_id']}%20AND%20trans_id:{lead['trans_id']}"
    ).json()
    assert both["count"] == 0
    assert api.get(f"{PT}?q=parents.trans_id:1").json() == {"count": 0, "data": []}


@pytest.mark.parametrize("query", ["parents.trans_id:abc", "trans_id:x", "amount:5", "foo"])
def test_list_refuses_unknown_queries(api: SandboxApi, query: str) -> None:
    assert _error(api.get(f"{PT}?q={query}"), 400)["error_details"].startswith("q:")


# --- TestChangedPaymentStatus --------------------------------------------------------------------

RESOURCES = [
    ("Secupaydebits", "debit"),
    ("Secupayprepays", "prepaid"),
    ("Secupayinvoices", "invoice"),
    ("Secupaycreditcards", "creditcard"),
    ("Secupaysofort", "sofort"),
]


@pytest.mark.parametrize(("resource", "method"), RESOURCES)
def test_changed_payment_status_for_each_resource(
    api: SandboxApi, resource: str, method: str
) -> None:
    stx = authorised(api, method, plain_body(auto_capture=False))
    pci_id = leading_id(stx)
    path = f"/api/v2/Payment/{resource}/{pci_id}/TestChangedPaymentStatus"
    answer = api.post(path, {"new_status_id": Simple.ISSUE})
    assert answer.status == 200, answer.text
    assert answer.json()["id"] == pci_id
    assert answer.json()["details"]["status_simple"] == Simple.ISSUE
    assert answer.json()["details"]["status_simple_text"] == "issue"
    assert api.pci(pci_id)["details"]["status_simple"] == Simple.ISSUE
    # Another method's resource does not know this transaction.
    other = next(r for r, m in RESOURCES if m != method)
    wrong = api.post(
        f"/api/v2/Payment/{other}/{pci_id}/TestChangedPaymentStatus", {"new_status_id": 1}
    )
    assert _error(wrong, 404)["error"] == "ProductNotFoundException"
    assert api.pci(pci_id)["details"]["status_simple"] == Simple.ISSUE


def test_changed_payment_status_unknown_resource(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    answer = api.post(
        f"/api/v2/Payment/Secupaybitcoins/{leading_id(stx)}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    assert _error(answer, 404)


@pytest.mark.parametrize("new_status", [17, -1, "1", None, True, 1.0])
def test_changed_payment_status_validates_the_id(api: SandboxApi, new_status: Any) -> None:
    stx = authorised(api, "debit", plain_body(auto_capture=False))
    answer = api.post(
        f"/api/v2/Payment/Secupaydebits/{leading_id(stx)}/TestChangedPaymentStatus",
        {"new_status_id": new_status},
    )
    assert _error(answer, 400)["error_details"].startswith("new_status_id")
    assert api.pci(leading_id(stx))["details"]["status_simple"] == Simple.AUTHORIZED


# --- Who has paid decides what a cancel does (JAVA-SDK PaymentTransactionsApi cancel) ------------


def test_a_captured_invoice_is_reduced_until_the_buyer_pays_then_refunded(
    api: SandboxApi,
) -> None:
    stx = authorised(api, "invoice", mixed_body())
    sb0 = sub_ids(stx)["sb0"]
    captured = api.post(f"{PT}/{sb0}/capture", {}).json()
    assert (captured["status"], captured["details"]["cleared"]) == (86, "open")
    # Captured, not paid: the amount shrinks, no transaction is created.
    [same] = _cancel(api, sb0, {"reduce_amount_by": 1000}).json()
    assert same["amount"] == 4440 - 1000
    assert _check(api, sb0)["amount"] == 4440 - 1000
    assert not PaymentTransaction.objects.filter(kind="refund").exists()
    # The buyer pays the invoice (9 "paid" → 87); now a cancel is a refund transaction.
    answer = api.post(
        f"/api/v2/Payment/Secupayinvoices/{leading_id(stx)}/TestChangedPaymentStatus",
        {"new_status_id": 9},
    )
    assert answer.status == 200, answer.text
    original, refund = _cancel(api, sb0, {"reduce_amount_by": 440}).json()
    assert original["amount"] == 3440  # unchanged by the refund
    assert (refund["amount"], refund["status"], refund["product"]) == (-440, 6, "Erstattung")
    assert refund["details"]["cleared"] == "open"
    assert refund["status_text"] == "abgeschlossen"  # never the invoice's labels
    assert _check(api, sb0)["amount"] == 3000


def test_a_pending_prepayment_is_reduced_and_voided_without_new_transactions(
    api: SandboxApi,
) -> None:
    stx = authorised(api, "prepaid", plain_body())
    pci_id = leading_id(stx)
    [reduced] = _cancel(api, pci_id, {"reduce_amount_by": 295}).json()
    assert (reduced["amount"], reduced["status"]) == (2000, 25)
    [voided] = _cancel(api, pci_id).json()
    assert voided["amount"] == 0
    assert voided["details"]["status_simple"] == Simple.VOID
    assert _check(api, pci_id)["amount"] == 0
    assert PaymentTransaction.objects.count() == 1


def test_a_paypal_refund_is_a_paypal_refund(api: SandboxApi) -> None:
    stx = authorised(api, "paypal", plain_body())
    _, refund = _cancel(api, leading_id(stx), {"reduce_amount_by": 100}).json()
    assert refund["product"] == "PayPal Erstattung"
    assert refund["parents"][0]["ref_type_id"] == 19
