"""Round 2 of the evidence (``shared/secuconnect-evidence.md`` section 6; docs/provider.md): the
contract list, ``requestId`` as recorded, the General Contracts payment methods, approval, code
4028, the payment container, ``cleared``, the pickup code, ``/start/``, product ids, the
deprecated cancel ``amount`` and the token answer's cache headers."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from secu_marketplace.sandbox import control, world
from secu_marketplace.sandbox.errors import CODE_MIXED_BASKET_NOT_ENABLED
from secu_marketplace.sandbox.models import Contract
from secu_marketplace.sandbox.statuses import Simple
from tests.helpers import CREDENTIALS, SandboxApi, control_client

from .conftest import authorised, leading_id, mixed_body, plain_body, sub_ids
from .test_contracts import REQUEST_ID, merchant

CONTRACTS = "/api/v2/Payment/Contracts"
BASE = "/api/v2/Smart/Transactions"
COFFEE, FURNITURE = world.GUIDE_SUPPLIER_CONTRACTS
# RUBY-C contract_creation: the request the testing host accepted, with a project of our own.
RECORDED_REQUEST: dict[str, Any] = {
    "contact": {
        "salutation": "Mr",
        "forename": "John",
        "surname": "Doe",
        "dob": "1980-02-03",
        "email": "john.doe@example.com",
        "mobile": "",
        "address": {
            "street": "Test Street",
            "street_number": "6",
            "postal_code": "01234",
            "city": "Examplecity",
            "country": "Germany",
        },
    },
    "project": "project_name 1642970813 Test",
    "payout_account": {"iban": "DE89370400440532013000", "bic": "", "owner": "Test 1"},
}


def _methods(api: SandboxApi, contract: str, body: Any = None) -> Any:
    body = {"currency": "EUR", "is_demo": False} if body is None else body
    return api.post(f"/api/v2/General/Contracts/{contract}/getAvailablePaymentMethods", body)


# --- requestId ------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["RequestID", "requestId"])
def test_the_recorded_request_is_accepted(api: SandboxApi, spelling: str) -> None:
    path = f"{CONTRACTS}/{world.GUIDE_CONTRACT}/{spelling}"
    answer = api.post(path, copy.deepcopy(RECORDED_REQUEST))
    assert answer.status == 200, answer.text
    made = Contract.objects.get(contract_id=answer.json()["id"])
    assert made.contact["address"]["country"] == "Germany"
    assert "mobile" not in made.contact
    assert made.payout_account == {"iban": "DE89370400440532013000", "owner": "Test 1"}


def test_request_id_on_me_clones_the_callers_own_contract(api: SandboxApi) -> None:
    answer = api.post(f"{CONTRACTS}/me/requestId", merchant(project="Über mich"))
    assert answer.status == 200, answer.text
    assert answer.json()["parent"]["id"] == world.GUIDE_CONTRACT


def test_a_country_that_is_neither_a_code_nor_a_name_is_refused(api: SandboxApi) -> None:
    body = copy.deepcopy(RECORDED_REQUEST)
    body["contact"]["address"]["country"] = "D3utschland!"
    answer = api.post(REQUEST_ID, body)
    assert answer.status == 400
    assert answer.json()["error_details"].startswith("contact.address.country")


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_own_contracts_and_their_children(api: SandboxApi) -> None:
    first = api.post(REQUEST_ID, merchant(project="Eins")).json()["id"]
    second = api.post(REQUEST_ID, merchant(project="Zwei")).json()["id"]
    answer = api.get(CONTRACTS)
    assert answer.status == 200, answer.text
    data = answer.json()
    assert list(data) == ["count", "data"]
    ids = [c["id"] for c in data["data"]]
    assert ids[0] == world.GUIDE_CONTRACT
    assert ids[-2:] == [first, second]
    assert data["count"] == len(ids)
    children = [c for c in data["data"] if "parent" in c]
    assert {c["id"] for c in children} == {first, second}
    assert all(c["approved"] is False for c in children)
    assert all(c["object"] == "general.contracts" for c in data["data"])
    # Another marketplace's suppliers are not ours to see.
    assert COFFEE not in ids


def test_the_list_pages_and_filters(api: SandboxApi) -> None:
    made = [api.post(REQUEST_ID, merchant(project=f"P{n}")).json()["id"] for n in range(3)]
    control.approve_contract(made[1])
    page = api.get(f"{CONTRACTS}?count=2&offset=1").json()
    assert page["count"] == 5  # the marketplace's own two, and three children
    assert len(page["data"]) == 2
    query = f"parent.id:{world.GUIDE_CONTRACT} AND approved:false"
    found = api.get(f"{CONTRACTS}?q={quote(query)}")
    assert [c["id"] for c in found.json()["data"]] == [made[0], made[2]]
    one = api.get(f"{CONTRACTS}?q=id:{made[1]}").json()
    assert [c["id"] for c in one["data"]] == [made[1]]
    assert one["data"][0]["approved"] is True
    bad = api.get(f"{CONTRACTS}?q=project:P1")
    assert bad.status == 400
    assert bad.json()["error_details"].startswith("q: unsupported term")


def test_created_is_the_reading_moment_under_the_switch(api: SandboxApi) -> None:
    made = api.post(REQUEST_ID, merchant()).json()
    control.advance_clock(3600)
    api.authenticate()  # the old token expired meanwhile
    try:
        assert api.get(f"{CONTRACTS}/{made['id']}").json()["created"] == made["created"]
        control.set_switch("CONTRACT_CREATED", "read")
        later = api.get(f"{CONTRACTS}/{made['id']}").json()["created"]
        assert later > made["created"]
        listed = api.get(CONTRACTS).json()["data"]
        assert {c["created"][:16] for c in listed} == {later[:16]}  # all "now", as recorded
    finally:
        control.reset_switches()
        control.reset_clock()


# --- approval -------------------------------------------------------------------------------


def test_staff_approve_a_contract_in_the_admin_and_over_control(
    api: SandboxApi, admin_client: Client
) -> None:
    new = api.post(REQUEST_ID, merchant()).json()["id"]
    row = Contract.objects.get(contract_id=new)
    answer = admin_client.post(
        "/admin/secu_sandbox/contract/", {"action": "approve", "_selected_action": [row.pk]}
    )
    assert answer.status_code == 302
    assert api.get(f"{CONTRACTS}/{new}").json()["approved"] is True
    browser = control_client()
    withdrawn = browser.post(
        f"/sandbox/control/contracts/{new}/approval",
        {"approved": False},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200, withdrawn.content
    assert api.get(f"{CONTRACTS}/{new}").json()["approved"] is False
    bad = browser.post(
        f"/sandbox/control/contracts/{new}/approval",
        {"approved": "yes"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    missing = browser.post(
        "/sandbox/control/contracts/GCR_NOPE/approval",
        {"approved": True},
        content_type="application/json",
    )
    assert missing.status_code == 404


# --- payment methods ------------------------------------------------------------------------


def test_available_payment_methods_are_answered_with_the_recorded_names(api: SandboxApi) -> None:
    answer = _methods(api, COFFEE)
    assert answer.status == 200, answer.text
    assert answer.json() == [
        "Creditcard",
        "Debit",
        "easyCredit",
        "eps",
        "Giropay",
        "Invoice",
        "Paypal",
        "Prepay",
        "Sofort",
        "Applepay",
        "Googlepay",
    ]
    control.set_contract_methods(COFFEE, ["prepaid", "invoice"])
    assert _methods(api, COFFEE).json() == ["Invoice", "Prepay"]  # no card, no wallets
    assert _methods(api, COFFEE, {"is_demo": True}).status == 400  # currency is required
    assert _methods(api, COFFEE, {"currency": "EUR"}).status == 400  # is_demo too
    assert _methods(api, "GCR_" + "0" * 30).status == 404
    wrong_verb = api.get(f"/api/v2/General/Contracts/{COFFEE}/getAvailablePaymentMethods")
    assert wrong_verb.status == 405


@pytest.mark.parametrize(
    ("naming", "expected"),
    [("smart", ["invoice", "prepaid"]), ("general", ["Invoice", "Prepay"])],
)
def test_the_deprecated_endpoint_answers_as_the_switch_says(
    api: SandboxApi, naming: str, expected: list[str]
) -> None:
    control.set_contract_methods(COFFEE, ["prepaid", "invoice"])
    control.set_switch("METHOD_NAMES", naming)
    try:
        assert api.get(f"{CONTRACTS}/{COFFEE}/paymentMethods").json() == expected
    finally:
        control.reset_switches()


def test_a_host_without_the_successor_can_be_played(api: SandboxApi) -> None:
    control.inject("contracts.available_methods", "http_404", times=None)
    try:
        answer = _methods(api, COFFEE)
        assert answer.status == 404
        assert answer.json()["error"] == "ProductNotFoundException"
        assert api.get(f"{CONTRACTS}/{COFFEE}/paymentMethods").status == 200
    finally:
        control.clear_faults()


# --- code 4028 ------------------------------------------------------------------------------


def test_a_mixed_basket_on_a_contract_without_it_is_refused_with_4028(api: SandboxApi) -> None:
    control.set_contract_mixed_basket(world.GUIDE_CONTRACT, False)
    answer = api.post(BASE, mixed_body())
    assert answer.status == 403, answer.text
    assert answer.json()["code"] == CODE_MIXED_BASKET_NOT_ENABLED == 4028
    assert answer.json()["error"] == "ProductNotAllowedException"
    # A plain basket is still fine, and so is the mixed one once it is enabled again.
    assert api.post(BASE, plain_body()).status == 200
    control_client().post(
        f"/sandbox/control/contracts/{world.GUIDE_CONTRACT}/mixed_basket",
        {"mixed_basket": True},
        content_type="application/json",
    )
    assert api.post(BASE, mixed_body()).status == 200


# --- the Smart Transaction after payment ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kind"), [("debit", "bank_account"), ("creditcard", "credit_card")]
)
def test_a_debit_or_card_payment_carries_its_container(
    api: SandboxApi, method: str, kind: str
) -> None:
    stx = authorised(api, method, plain_body(auto_capture=True))
    container = stx["container"]
    assert list(container) == ["type", "object", "id"]
    assert container["type"] == kind
    assert container["object"] == "payment.containers"
    assert container["id"].startswith("PCT_")
    assert len(container["id"]) == 34
    assert api.stx(stx["id"])["container"] == container


def test_other_methods_carry_no_container(api: SandboxApi) -> None:
    assert "container" not in authorised(api, "prepaid", plain_body(auto_capture=True))
    assert "container" not in api.create(plain_body())


def test_a_just_accepted_debit_is_open_and_a_paid_prepayment_cleared(api: SandboxApi) -> None:
    debit = authorised(api, "debit", plain_body(auto_capture=True))
    details = api.pci(leading_id(debit))["details"]
    assert (details["status"], details["status_simple"], details["cleared"]) == (6, 1, "open")
    prepaid = authorised(api, "prepaid", plain_body(auto_capture=True))
    pci = leading_id(prepaid)
    assert api.pci(pci)["details"]["cleared"] == "open"
    api.post(f"/api/v2/Payment/Secupayprepays/{pci}/TestChangedPaymentStatus", {"new_status_id": 1})
    assert api.pci(pci)["details"]["cleared"] == "cleared"  # the sandbox's guess


def test_a_collection_gets_its_pickup_code_once_started(api: SandboxApi) -> None:
    stx = api.create(plain_body(intent="order", auto_capture=False, delivery_type="collection"))
    assert "code" not in stx["delivery_options"]
    approved = api.prepare(stx["id"], "creditcard").json()
    assert "code" not in approved["delivery_options"]
    started = api.post(f"{BASE}/{stx['id']}/start/").json()
    assert started["status"] == "collection"
    code = started["delivery_options"]["code"]
    assert code.isdigit()
    assert len(code) == 6
    # setDelivery overwrites the shop's details, not secuconnect's code.
    done = api.post(
        f"{BASE}/{stx['id']}/setDelivery",
        {"delivery_options": {"type": "collection", "delivered_at": "2026-12-06T12:00:00+01:00"}},
    ).json()
    assert done["status"] == "collected"
    assert done["delivery_options"]["code"] == code


@pytest.mark.parametrize(
    ("method", "product_id"), [("invoice", 267), ("prepaid", 36), ("paypal", 440)]
)
def test_documented_product_ids(api: SandboxApi, method: str, product_id: int) -> None:
    stx = authorised(api, method, plain_body(auto_capture=False))
    assert api.pci(leading_id(stx))["product_id"] == product_id


# --- the deprecated cancel amount -----------------------------------------------------------


def _cancel(api: SandboxApi, pci: str, body: dict[str, Any]) -> Any:
    return api.post(f"/api/v2/Payment/Transactions/{pci}/cancel", body)


def test_amount_on_an_invoice_is_what_remains(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body(auto_capture=False))
    sub = sub_ids(stx)["sb0"]  # 4440
    answer = _cancel(api, sub, {"amount": 4000})
    assert answer.status == 200, answer.text
    assert answer.json()[0]["amount"] == 4000  # reduced by 440, not to 440
    assert len(answer.json()) == 1  # before payment: no refund transaction
    refused = _cancel(api, sub, {"amount": 4000})
    assert refused.status == 400  # 4000 remains already: nothing to cancel
    assert refused.json()["error_details"].startswith("amount:")


def test_amount_on_other_methods_is_the_reduction(api: SandboxApi) -> None:
    stx = authorised(api, "prepaid", mixed_body(auto_capture=True))
    sub = sub_ids(stx)["sb0"]
    answer = _cancel(api, sub, {"amount": 440})
    assert answer.status == 200, answer.text
    assert answer.json()[0]["amount"] == 4000


def test_reduce_amount_by_wins_and_zero_is_in_full(api: SandboxApi) -> None:
    stx = authorised(api, "invoice", mixed_body(auto_capture=False))
    subs = sub_ids(stx)
    both = _cancel(api, subs["sb0"], {"reduce_amount_by": 40, "amount": 1000})
    assert both.json()[0]["amount"] == 4400
    whole = _cancel(api, subs["sb1"], {"amount": 0})
    assert whole.status == 200, whole.text
    assert whole.json()[0]["amount"] == 0
    assert whole.json()[0]["details"]["status_simple"] == Simple.VOID
    assert _cancel(api, subs["sb0"], {"amount": -1}).status == 400


# --- the token answer -----------------------------------------------------------------------


def test_the_token_answer_is_not_to_be_cached(sandbox_world: world.World) -> None:
    browser = Client()
    issued = browser.post("/sandbox/oauth/token", CREDENTIALS, content_type="application/json")
    assert issued.status_code == 200
    assert issued["Cache-Control"] == "no-store"
    assert issued["Pragma"] == "no-cache"
    refused = browser.post(
        "/sandbox/oauth/token",
        {**CREDENTIALS, "client_secret": "wrong"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused["Cache-Control"].startswith("no-store, no-cache, must-revalidate")
    assert refused["Pragma"] == "no-cache"
