"""Every status path (docs/provider.md, "Smart Transaction statuses" and "Payment Transaction
statuses"): by method, intent, delivery and auto_capture; declined and repeated authorisations;
money that arrives later; mixed baskets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from secu_marketplace.sandbox.models import PaymentTransaction
from secu_marketplace.sandbox.statuses import Simple
from tests.helpers import SandboxApi

from .conftest import authorised, leading_id, mixed_body, plain_body, sub_ids

BASE = "/api/v2/Smart/Transactions"
CARDLIKE = ["creditcard", "debit", "paypal", "sofort", "giropay", "eps", "easycredit"]
LEGACY = {
    "creditcard": "Secupaycreditcards",
    "debit": "Secupaydebits",
    "prepaid": "Secupayprepays",
    "invoice": "Secupayinvoices",
    "sofort": "Secupaysofort",
}
# (intent, delivery type) -> the Smart Transaction's status once the money is secured.
CAPTURED = [
    ("sale", None, "ok"),
    ("order", None, "received"),
    ("order", "shipping", "received"),
    ("order", "collection", "collection"),
]


def _simple(api: SandboxApi, pci_id: str) -> int:
    return int(api.pci(pci_id)["details"]["status_simple"])


def _body(intent: str, delivery: str | None, *, auto_capture: bool) -> dict[str, Any]:
    return plain_body(intent=intent, delivery_type=delivery, auto_capture=auto_capture)


def _change(api: SandboxApi, method: str, pci_id: str, new_status: int) -> dict[str, Any]:
    answer = api.post(
        f"/api/v2/Payment/{LEGACY[method]}/{pci_id}/TestChangedPaymentStatus",
        {"new_status_id": new_status},
    )
    assert answer.status == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("method", CARDLIKE)
@pytest.mark.parametrize(("intent", "delivery", "final"), CAPTURED)
def test_auto_capture_goes_straight_to_the_final_status(
    api: SandboxApi, method: str, intent: str, delivery: str | None, final: str
) -> None:
    stx = authorised(api, method, _body(intent, delivery, auto_capture=True))
    assert stx["status"] == final
    assert stx["payment_method"] == method
    if method == "easycredit":
        assert set(stx["payment_instructions"]) == {
            "interest",
            "total_value",
            "number_of_installments",
            "installment",
            "last_installment",
        }
    else:
        assert "payment_instructions" not in stx
    pci = api.pci(leading_id(stx))
    assert pci["details"]["status_simple"] == Simple.ACCEPTED
    assert pci["details"]["status_simple_text"] == "accepted"
    assert pci["status"] == 6
    assert pci["status_text"] == "abgeschlossen"
    # A just-accepted debit is "open" (DOC Step 4); the sandbox says so for every method paid
    # at once.
    assert pci["details"]["cleared"] == "open"
    assert pci["amount"] == 2295
    assert PaymentTransaction.objects.get(pci_id=pci["id"]).payer_paid


@pytest.mark.parametrize("method", CARDLIKE)
@pytest.mark.parametrize(("intent", "delivery", "final"), CAPTURED)
def test_without_auto_capture_approved_then_start(
    api: SandboxApi, method: str, intent: str, delivery: str | None, final: str
) -> None:
    stx = authorised(api, method, _body(intent, delivery, auto_capture=False))
    assert stx["status"] == "approved"
    pci_id = leading_id(stx)
    pci = api.pci(pci_id)
    assert pci["details"]["status_simple"] == Simple.AUTHORIZED
    assert pci["details"]["status_simple_text"] == "authorized"
    assert pci["details"]["cleared"] == "open"
    started = api.post(f"{BASE}/{stx['id']}/start/{method}")
    assert started.status == 200, started.text
    assert started.json()["status"] == final
    assert _simple(api, pci_id) == Simple.ACCEPTED


def test_creditcard_authorisation_is_status_9(api: SandboxApi) -> None:
    stx = authorised(api, "creditcard", plain_body(auto_capture=False))
    pci = api.pci(leading_id(stx))
    assert (pci["status"], pci["status_text"]) == (9, "vorautorisiert")
    assert pci["product"] == "Kreditkarte"


# --- Prepayment -------------------------------------------------------------------------------


def _assert_instructions(api: SandboxApi, stx: dict[str, Any]) -> None:
    info = stx["payment_instructions"]
    assert set(info) == {"owner", "iban", "bic", "bankname", "purpose", "girocode_url"}
    assert info["owner"] == "secupay AG"
    assert re.fullmatch(r"DE\d{20}", info["iban"])
    assert re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", info["bic"])
    assert info["bankname"]
    assert info["purpose"] == f"TA {stx['trans_id']}"
    assert stx["trans_id"] == stx["transactions"][0]["trans_id"]
    assert "reference_id" not in stx["transactions"][0]
    assert info["girocode_url"] == f"http://testserver/sandbox/qr/epc?stx={stx['id']}"
    image = Client().get(info["girocode_url"].removeprefix("http://testserver"))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/svg+xml"
    assert b"<svg" in image.content


@pytest.mark.parametrize(("intent", "delivery", "final"), CAPTURED)
def test_prepaid_is_pending_until_the_money_arrives(
    api: SandboxApi, intent: str, delivery: str | None, final: str
) -> None:
    stx = authorised(api, "prepaid", _body(intent, delivery, auto_capture=True))
    assert stx["status"] == "pending"
    _assert_instructions(api, stx)
    pci_id = leading_id(stx)
    pci = api.pci(pci_id)
    # As recorded (DOC:Read_a_Payment_Transaction; DEMO getSubTransactions.php): 25 with
    # simple 2 "authorized", cleared "open", the payer has not paid.
    assert pci["details"]["status_simple"] == Simple.AUTHORIZED
    assert pci["details"]["status_simple_text"] == "authorized"
    assert pci["details"]["cleared"] == "open"
    assert (pci["status"], pci["status_text"]) == (25, "Vorkasse wartend")
    assert pci["product"] == "Vorkasse"
    assert pci["product_id"] == 36
    assert pci["incoming_payment_date"] is None
    assert not PaymentTransaction.objects.get(pci_id=pci_id).payer_paid
    # The buyer's transfer arrives.
    changed = _change(api, "prepaid", pci_id, Simple.ACCEPTED)
    assert changed["id"] == pci_id
    assert changed["details"]["status_simple"] == Simple.ACCEPTED
    assert changed["details"]["cleared"] == "cleared"
    assert changed["incoming_payment_date"]
    assert PaymentTransaction.objects.get(pci_id=pci_id).payer_paid
    after = api.stx(stx["id"])
    assert after["status"] == final
    assert after["payment_instructions"] == stx["payment_instructions"]


def test_prepaid_without_auto_capture(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", plain_body(auto_capture=False))
    assert stx["status"] == "approved"
    _assert_instructions(api, stx)
    assert _simple(api, leading_id(stx)) == Simple.AUTHORIZED
    started = api.post(f"{BASE}/{stx['id']}/start/prepaid").json()
    assert started["status"] == "pending"
    assert _simple(api, leading_id(stx)) == Simple.AUTHORIZED  # still waiting: 25 / 2
    _change(api, "prepaid", leading_id(stx), Simple.ACCEPTED)
    assert api.stx(stx["id"])["status"] == "ok"


def test_prepaid_money_never_arrives(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", plain_body())
    _change(api, "prepaid", leading_id(stx), Simple.DENIED)
    assert api.stx(stx["id"])["status"] == "failed"


def test_girocode_without_instructions_is_404(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    assert Client().get(f"/sandbox/qr/epc?stx={stx['id']}").status_code == 404
    assert Client().get("/sandbox/qr/epc?stx=STX_NOPE").status_code == 404


# --- Invoice ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("intent", "delivery", "final"), CAPTURED)
def test_invoice_with_auto_capture(
    api: SandboxApi, intent: str, delivery: str | None, final: str
) -> None:
    stx = authorised(api, "invoice", _body(intent, delivery, auto_capture=True))
    assert stx["status"] == final
    _assert_instructions(api, stx)
    pci = api.pci(leading_id(stx))
    assert pci["details"]["status_simple"] == Simple.WAITING_FOR_SHIPMENT
    assert pci["details"]["status_simple_text"] == "waiting for shipment"
    assert pci["status"] == 85
    assert pci["product"] == "Kauf auf Rechnung"


def test_invoice_without_auto_capture(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", plain_body(intent="order", auto_capture=False))
    assert stx["status"] == "approved"
    assert stx["payment_instructions"]["purpose"] == f"TA {stx['trans_id']}"
    assert _simple(api, leading_id(stx)) == Simple.AUTHORIZED
    assert api.post(f"{BASE}/{stx['id']}/start/invoice").json()["status"] == "received"
    assert _simple(api, leading_id(stx)) == Simple.WAITING_FOR_SHIPMENT


def test_invoice_capture_per_sub_transaction(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body(intent="order"))
    leading, subs = leading_id(stx), sub_ids(stx)
    answer = api.post(
        f"/api/v2/Payment/Transactions/{subs['sb0']}/capture",
        {"shipping_information": {"carrier": "DHL", "tracking_id": "T0", "invoice_number": "R0"}},
    )
    assert answer.status == 200, answer.text
    captured = answer.json()
    assert captured["id"] == subs["sb0"]
    assert captured["details"]["status_simple"] == Simple.ACCEPTED
    assert captured["status"] == 86
    assert captured["invoice_number"] == "R0"
    # One supplier shipped: the other part and the payment as a whole still wait.
    assert _simple(api, subs["sb1"]) == Simple.WAITING_FOR_SHIPMENT
    assert _simple(api, leading) == Simple.WAITING_FOR_SHIPMENT
    api.post(f"/api/v2/Payment/Transactions/{subs['sb1']}/capture", {})
    assert _simple(api, subs["sb1"]) == Simple.ACCEPTED
    assert _simple(api, leading) == Simple.ACCEPTED
    assert api.stx(stx["id"])["status"] == "received"
    # Captured is not paid: 86, cleared "open", the payer has not paid.
    for pci_id in (leading, *subs.values()):
        assert api.pci(pci_id)["details"]["cleared"] == "open"
        assert not PaymentTransaction.objects.get(pci_id=pci_id).payer_paid
    # The buyer pays the invoice later: 9 "paid", 87 "abgeschlossen (Rechnung bezahlt)".
    _change(api, "invoice", leading, Simple.PAID)
    for pci_id in (leading, *subs.values()):
        pci = api.pci(pci_id)
        assert pci["details"]["status_simple"] == Simple.PAID
        assert pci["details"]["status_simple_text"] == "paid"
        assert (pci["status"], pci["status_text"]) == (87, "abgeschlossen (Rechnung bezahlt)")
        assert PaymentTransaction.objects.get(pci_id=pci_id).payer_paid


def test_an_invoice_accepted_by_the_testing_helper_is_captured_not_paid(
    api: SandboxApi,
) -> None:
    stx = authorised(api, "invoice", plain_body(intent="order"))
    changed = _change(api, "invoice", leading_id(stx), Simple.ACCEPTED)
    assert (changed["status"], changed["details"]["cleared"]) == (86, "open")
    assert changed["completion_date"]
    assert not PaymentTransaction.objects.get(pci_id=leading_id(stx)).payer_paid


# --- Declined, and a new authorisation --------------------------------------------------------


@pytest.mark.parametrize("method", [*CARDLIKE, "prepaid", "invoice"])
def test_declined_payment_fails(api: SandboxApi, method: str) -> None:
    stx = authorised(api, method, plain_body(), outcome="declined")
    assert stx["status"] == "failed"
    assert "payment_instructions" not in stx
    pci = api.pci(leading_id(stx))
    assert pci["details"]["status_simple"] == Simple.DENIED
    assert pci["details"]["status_simple_text"] == "denied"
    assert pci["status"] == 3


def test_a_new_authorisation_unlinks_the_earlier_transactions(api: SandboxApi) -> None:
    stx = api.create(mixed_body())
    first = api.prepare(stx["id"], "creditcard", outcome="declined").json()
    assert first["status"] == "failed"
    assert len(first["transactions"]) == 3
    second = api.prepare(stx["id"], "debit").json()
    assert second["status"] == "received"
    assert second["payment_method"] == "debit"
    assert len(second["transactions"]) == 3
    old = {t["id"] for t in first["transactions"]}
    new = {t["id"] for t in second["transactions"]}
    assert not old & new
    assert second["trans_id"] != first["trans_id"]
    # The earlier transactions live on, declined, but are no longer the STX's.
    for pci_id in old:
        assert _simple(api, pci_id) == Simple.DENIED
    assert api.stx(stx["id"])["transactions"] == second["transactions"]
    assert PaymentTransaction.objects.filter(unlinked=True).count() == 3


def test_declined_twice_then_success(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    for _ in range(2):
        assert api.prepare(stx["id"], "creditcard", outcome="declined").json()["status"] == "failed"
    final = api.prepare(stx["id"], "creditcard").json()
    assert final["status"] == "ok"
    assert len(final["transactions"]) == 1
    assert PaymentTransaction.objects.count() == 3


# --- Money arriving later through the testing helper -----------------------------------------


@pytest.mark.parametrize(("intent", "final"), [("sale", "ok"), ("order", "received")])
def test_pending_debit_moves_on_when_accepted(api: SandboxApi, intent: str, final: str) -> None:
    stx = authorised(api, "debit", plain_body(intent=intent, auto_capture=False))
    pci_id = leading_id(stx)
    _change(api, "debit", pci_id, Simple.PENDING)
    # A pending payment does not move the Smart Transaction back.
    assert api.stx(stx["id"])["status"] == "approved"
    _change(api, "debit", pci_id, Simple.ACCEPTED)
    assert api.stx(stx["id"])["status"] == final


def test_mixed_prepayment_arrives(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", mixed_body(intent="order"))
    assert stx["status"] == "pending"
    leading, subs = leading_id(stx), sub_ids(stx)
    for pci_id in [leading, *subs.values()]:
        assert _simple(api, pci_id) == Simple.AUTHORIZED
    _change(api, "prepaid", leading, Simple.ACCEPTED)
    for pci_id in [leading, *subs.values()]:
        assert _simple(api, pci_id) == Simple.ACCEPTED
    assert api.stx(stx["id"])["status"] == "received"


def test_sub_transactions_moving_one_by_one(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", mixed_body(intent="sale"))
    leading, subs = leading_id(stx), sub_ids(stx)
    _change(api, "prepaid", subs["sb0"], Simple.ACCEPTED)
    assert _simple(api, leading) == Simple.AUTHORIZED
    assert api.stx(stx["id"])["status"] == "pending"
    _change(api, "prepaid", subs["sb1"], Simple.ACCEPTED)
    assert _simple(api, leading) == Simple.ACCEPTED
    assert api.stx(stx["id"])["status"] == "ok"


# --- Mixed baskets: one leading transaction and one per sub-basket -----------------------------


@pytest.mark.parametrize("method", ["creditcard", "prepaid", "invoice"])
def test_mixed_basket_transactions(api: SandboxApi, method: str) -> None:
    stx = authorised(api, method, mixed_body())
    leading_ref, sb0_ref, sb1_ref = stx["transactions"]
    assert "reference_id" not in leading_ref
    assert (sb0_ref["reference_id"], sb1_ref["reference_id"]) == ("sb0", "sb1")
    for ref in (sb0_ref, sb1_ref):
        assert ref["transaction_hash"] == f"{leading_ref['transaction_hash']}_{ref['trans_id']}"
        assert re.fullmatch(r"PCI_[A-Z0-9]{30}", ref["id"])
    assert re.fullmatch(r"[a-z0-9]+", leading_ref["transaction_hash"])

    leading = api.pci(leading_ref["id"])
    assert leading["amount"] == 7785
    assert leading["reference_id"] is None
    assert leading["contract"]["id"] == "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2"
    assert leading["parents"] == []
    children = [r for r in leading["related_transactions"] if r["hierarchy"] == "child"]
    assert {r["id"] for r in children} == {sb0_ref["id"], sb1_ref["id"]}

    expected = {
        "sb0": (4440, 80, "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7", "Musterhändler Kaffee & Tee"),
        "sb1": (3345, 70, "GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30", "Musterhändler Einrichtung"),
    }
    for ref in (sb0_ref, sb1_ref):
        sub = api.pci(ref["id"])
        amount, fee, contract, company = expected[ref["reference_id"]]
        assert sub["amount"] == amount
        assert PaymentTransaction.objects.get(pci_id=ref["id"]).stakeholder_amount == fee
        # Consecutive TA numbers after the leading one (DEMO Step3: 40015109 → 40015110).
        assert ref["trans_id"] == leading_ref["trans_id"] + (1 if ref is sb0_ref else 2)
        assert 10_000_000 <= ref["trans_id"] <= 99_999_999
        assert sub["reference_id"] == ref["reference_id"]
        assert sub["trans_id"] == ref["trans_id"]
        assert sub["transaction_hash"] == ref["transaction_hash"]
        assert sub["contract"]["id"] == contract
        assert sub["merchant"]["user"]["companyname"] == company
        # The sub-basket's items, snake_case (PHP-SDK PaymentTransactionsProductModel basket).
        assert [item["item_type"] for item in sub["basket"]][-1] == "stakeholder_payment"
        assert all("priceOne" not in item for item in sub["basket"])
        assert sub["currency"] == "EUR"
        [parent] = sub["parents"]
        assert parent["id"] == leading_ref["id"]
        assert parent["trans_id"] == leading_ref["trans_id"]
        assert parent["hierarchy"] == "parent"
        assert sub["details"]["status_simple"] == leading["details"]["status_simple"]

    found = api.get(f"/api/v2/Payment/Transactions?q=parents.trans_id:{leading_ref['trans_id']}")
    assert found.status == 200
    assert [p["id"] for p in found.json()["data"]] == [sb0_ref["id"], sb1_ref["id"]]


def test_regular_basket_has_one_transaction(api: SandboxApi) -> None:
    stx = authorised(api, "debit", plain_body())
    [only] = stx["transactions"]
    pci = api.pci(only["id"])
    assert pci["amount"] == 2295
    assert pci["parents"] == []
    assert pci["related_transactions"] == []
    assert pci["reference_id"] is None
    assert pci["description"] == "Shop ORDER-1"
    assert pci["customer"]["forename"] == "Erika"
    assert pci["customer"]["surname"] == "Musterfrau"


@pytest.mark.parametrize(
    ("total", "months", "interest"),
    [(2295, 6, 114), (7785, 6, 385), (100_000, 12, 9900), (123_456, 12, 12222)],
)
def test_the_easycredit_plan_adds_up(total: int, months: int, interest: int) -> None:
    from secu_marketplace.sandbox.instructions import easycredit_plan

    plan = easycredit_plan(total)
    assert plan["number_of_installments"] == months
    assert plan["interest"] == interest  # 9.90 % a year, simple, over the term
    assert plan["total_value"] == total + interest
    assert all(isinstance(value, int) for value in plan.values())
    parts = plan["installment"] * (months - 1) + plan["last_installment"]
    assert parts == plan["total_value"]
    assert 0 <= plan["last_installment"] - plan["installment"] < months


@pytest.mark.parametrize(
    ("method", "product"),
    [("easycredit", "easyCredit-Ratenkauf"), ("eps", "eps-Überweisung"), ("giropay", "giropay")],
)
def test_the_new_methods_are_accepted_everywhere(
    api: SandboxApi, method: str, product: str
) -> None:
    stx = api.create(plain_body(methods=[method]))
    assert set(stx["payment_links"]) == {"general", method}
    page = Client().get(f"/sandbox/checkout/{stx['id']}/")
    assert page.status_code == 200
    assert f'value="{method}"'.encode() in page.content
    prepared = api.prepare(stx["id"], method).json()
    assert api.pci(leading_id(prepared))["product"] == product
