"""``/Payment/Contracts``: requestId clones the marketplace's contract for a new supplier, a
contract reads as PaymentContractsProductModel, and paymentMethods answers per contract
(docs/provider.md, "Payment contracts")."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from django.test import Client

from secu_marketplace import iban
from secu_marketplace.sandbox import control, world
from secu_marketplace.sandbox.contract_ops import CODE_CLONING_NOT_ALLOWED
from secu_marketplace.sandbox.models import Contract, SmartTransaction
from secu_marketplace.sandbox.smart_ops import allowed_methods
from secu_marketplace.sandbox.statuses import PAYMENT_METHODS
from tests.helpers import SandboxApi, control_client, guide_body

from .conftest import OTHER_CONTRACT

GCR = re.compile(r"^GCR_[A-Z0-9]{30}$")
REQUEST_ID = f"/api/v2/Payment/Contracts/{world.GUIDE_CONTRACT}/requestId"
# The old SDK demo's request (05_marketplace/create_merchant.php), with a project of our own.
MERCHANT: dict[str, Any] = {
    "project": "Musterhändler Garten",
    "payin_account": False,
    "contact": {
        "salutation": "Mr.",
        "forename": "John",
        "surname": "Doe",
        "companyname": "Example Inc.",
        "email": "mail@example.com",
        "phone": "0049 123 456789",
        "address": {
            "street": "Example Street",
            "street_number": "6a",
            "postal_code": "01234",
            "city": "Examplecity",
            "country": "DE",
        },
    },
    "payout_account": {"iban": "DE37 5032 4000 1000 0005 24", "owner": "Joe Black"},
    "iframe_opts": {"show_basket": True, "basket_title": "Projekt XY unterstützen"},
}


def merchant(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(MERCHANT)
    body.update(changes)
    return body


def _error(answer: Any, status: int, starts: str) -> dict[str, Any]:
    assert answer.status == status, answer.text
    body = answer.json()
    assert body["status"] == "error"
    assert body["error_details"].startswith(starts), body
    return dict(body)


def test_request_id_answers_as_recorded(api: SandboxApi) -> None:
    answer = api.post(REQUEST_ID, merchant())
    assert answer.status == 200, answer.text
    data = answer.json()
    # RUBY-C contract_creation/create_a_new_contract.yml, key for key.
    assert list(data) == [
        "object",
        "id",
        "id_old",
        "parent",
        "approved",
        "created",
        "merchant",
        "apikey",
        "contract",
    ]
    assert data["object"] == "general.contracts"
    assert data["contract"] == {"object": "general.contracts", "id": data["id"]}
    assert GCR.match(data["id"])
    assert isinstance(data["id_old"], int)
    assert data["parent"] == {"object": "general.contracts", "id": world.GUIDE_CONTRACT}
    assert data["approved"] is False  # waits for secupay
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$", data["created"])
    assert data["merchant"]["object"] == "general.merchants"
    assert re.match(r"^MRC_[A-Z0-9]{30}$", data["merchant"]["id"])
    assert re.fullmatch(r"[0-9a-f]{40}", data["apikey"])

    contract = Contract.objects.get(contract_id=data["contract"]["id"])
    assert contract.approved is False
    assert contract.parent is not None
    assert contract.parent.contract_id == world.GUIDE_CONTRACT
    assert contract.kind == Contract.Kind.SUPPLIER
    assert contract.merchant.companyname == "Example Inc."
    assert contract.payout_account == {"iban": "DE37503240001000000524", "owner": "Joe Black"}


def test_a_pay_in_account_when_asked(api: SandboxApi) -> None:
    data = api.post(REQUEST_ID, merchant(payin_account=True)).json()
    payin = data["payin_account"]
    # DEMO-M create_project.php: iban, bic, owner; the account is secupay's.
    assert set(payin) == {"iban", "bic", "owner"}
    assert iban.is_valid(payin["iban"])
    assert payin["owner"] == "secupay AG"
    # The contract shows it as ``pay_in_account`` (RUBY-C contract_index), with the bank's name.
    shown = api.get(f"/api/v2/Payment/Contracts/{data['id']}").json()["pay_in_account"]
    assert shown["iban"] == payin["iban"]
    assert set(shown) == {"iban", "bic", "owner", "bankname"}


def test_the_new_contract_reads_as_recorded(api: SandboxApi) -> None:
    new = api.post(REQUEST_ID, merchant()).json()["contract"]["id"]
    answer = api.get(f"/api/v2/Payment/Contracts/{new}")
    assert answer.status == 200, answer.text
    data = answer.json()
    # RUBY-C contract_index: a child as the list shows it; no field the SDK model dropped.
    assert list(data) == ["object", "id", "id_old", "parent", "approved", "created", "merchant"]
    assert data["object"] == "general.contracts"
    assert data["id"] == new
    assert data["parent"] == {"object": "general.contracts", "id": world.GUIDE_CONTRACT}
    assert data["approved"] is False

    # RUBY-C contract_show: the marketplace's own contract, approved, without a parent.
    parent = api.get(f"/api/v2/Payment/Contracts/{world.GUIDE_CONTRACT}").json()
    assert list(parent) == ["object", "id", "id_old", "approved", "created", "merchant"]
    assert parent["approved"] is True
    assert parent["merchant"] == {"object": "general.merchants", "id": world.GUIDE_MERCHANT_ID}
    assert not {"allow_cloning", "sepa_mandate_inform"} & set(parent)
    # ``me`` is the caller's own contract.
    assert api.get("/api/v2/Payment/Contracts/me").json()["id"] == world.GUIDE_CONTRACT


def test_id_old_is_the_number_payment_transactions_carry(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    api.prepare(stx["id"], "prepaid")
    leading = api.stx(stx["id"])["transactions"][0]["id"]
    number = api.pci(leading)["contract_id"]
    assert api.get(f"/api/v2/Payment/Contracts/{world.GUIDE_CONTRACT}").json()["id_old"] == number


def test_an_unknown_contract_is_not_found(api: SandboxApi) -> None:
    answer = api.get("/api/v2/Payment/Contracts/GCR_" + "0" * 30)
    _error(answer, 404, "paymentContractId: unknown contract")
    answer = api.get("/api/v2/Payment/Contracts/GCR_" + "0" * 30 + "/paymentMethods")
    assert answer.status == 404


def test_the_new_contract_is_a_supplier_contract_right_away(api: SandboxApi) -> None:
    new = api.post(REQUEST_ID, merchant()).json()["contract"]["id"]
    body = guide_body()
    body["basket"]["products"][1]["contract_id"] = new
    stx = api.create(body)
    assert stx["basket"]["products"][1]["contract_id"] == new


def test_an_unknown_supplier_contract_is_still_refused(api: SandboxApi) -> None:
    body = guide_body()
    body["basket"]["products"][1]["contract_id"] = "GCR_" + "9" * 30
    answer = api.post("/api/v2/Smart/Transactions", body)
    _error(answer, 400, "basket.products[1]")


def test_a_project_name_is_unique(api: SandboxApi) -> None:
    assert api.post(REQUEST_ID, merchant()).status == 200
    answer = api.post(REQUEST_ID, merchant())
    _error(answer, 400, "project:")
    assert Contract.objects.filter(project=MERCHANT["project"]).count() == 1


@pytest.mark.parametrize(
    ("account", "starts"),
    [
        ({"iban": "DE37503240001000000525", "owner": "Joe Black"}, "payout_account.iban:"),
        ({"iban": "DE3750324000100000052", "owner": "Joe Black"}, "payout_account.iban:"),
        ({"iban": "not an iban", "owner": "Joe Black"}, "payout_account.iban:"),
        ({"iban": "DE37503240001000000524"}, "payout_account.owner:"),
        (None, "payout_account:"),
    ],
)
def test_the_payout_account_is_checked(
    api: SandboxApi, account: dict[str, str] | None, starts: str
) -> None:
    before = Contract.objects.count()
    body = merchant(payout_account=account)
    answer = api.post(REQUEST_ID, body)
    _error(answer, 400, starts)
    assert answer.json()["code"] == 1001
    assert Contract.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "starts"),
    [
        ({"project": ""}, "project:"),
        ({"contact": None}, "contact:"),
        ({"contact": {"email": "a@example.com"}}, "contact.companyname:"),
        ({"payin_account": "yes"}, "payin_account:"),
    ],
)
def test_missing_fields_are_refused(api: SandboxApi, changes: dict[str, Any], starts: str) -> None:
    _error(api.post(REQUEST_ID, merchant(**changes)), 400, starts)


def test_a_parent_that_may_not_clone_is_refused(api: SandboxApi) -> None:
    control.set_contract_cloning(world.GUIDE_CONTRACT, False)
    before = Contract.objects.count()
    body = _error(api.post(REQUEST_ID, merchant()), 403, "paymentContractId:")
    assert body["error"] == "ProductNotAllowedException"
    # Not 2003, which would make a client fetch a new token and try again.
    assert body["code"] == CODE_CLONING_NOT_ALLOWED
    assert Contract.objects.count() == before


def test_a_supplier_contract_may_not_clone(api: SandboxApi) -> None:
    # The new contract belongs to another merchant, and does not allow cloning either.
    new = api.post(REQUEST_ID, merchant()).json()["contract"]["id"]
    answer = api.post(f"/api/v2/Payment/Contracts/{new}/requestId", merchant(project="Zwei"))
    assert answer.status == 403


def test_another_marketplaces_contract_is_not_ours_to_clone(
    api: SandboxApi, other_api: SandboxApi
) -> None:
    answer = api.post(f"/api/v2/Payment/Contracts/{OTHER_CONTRACT}/requestId", merchant())
    assert answer.status == 403
    assert answer.json()["code"] == 2005
    # Its own client may: a marketplace added with sandbox_client may clone its contract.
    answer = other_api.post(f"/api/v2/Payment/Contracts/{OTHER_CONTRACT}/requestId", merchant())
    assert answer.status == 200, answer.text


def test_payment_methods_per_contract(api: SandboxApi) -> None:
    supplier = next(iter(world.GUIDE_SUPPLIER_CONTRACTS))
    path = f"/api/v2/Payment/Contracts/{supplier}/paymentMethods"
    assert api.get(path).json() == list(PAYMENT_METHODS)
    assert control.set_contract_methods(supplier, ["prepaid", "debit"]) == ["debit", "prepaid"]
    assert api.get(path).json() == ["debit", "prepaid"]
    with pytest.raises(ValueError, match="bitcoin"):
        control.set_contract_methods(supplier, ["bitcoin"])
    with pytest.raises(LookupError):
        control.set_contract_methods("GCR_" + "0" * 30, ["debit"])


def test_a_clone_inherits_its_parents_methods(api: SandboxApi) -> None:
    control.set_contract_methods(world.GUIDE_CONTRACT, ["creditcard", "paypal"])
    new = api.post(REQUEST_ID, merchant()).json()["contract"]["id"]
    assert api.get(f"/api/v2/Payment/Contracts/{new}/paymentMethods").json() == [
        "creditcard",
        "paypal",
    ]


def test_the_hosted_page_offers_only_what_every_supplier_accepts(api: SandboxApi) -> None:
    coffee, furniture = world.GUIDE_SUPPLIER_CONTRACTS
    control.set_contract_methods(coffee, ["creditcard", "prepaid", "invoice"])
    control.set_contract_methods(furniture, ["prepaid", "invoice", "debit"])
    stx = api.create(guide_body())
    assert allowed_methods(SmartTransaction.objects.get(stx_id=stx["id"])) == [
        "invoice",
        "prepaid",
    ]


def test_control_api_sets_methods_and_cloning(sandbox_world: world.World) -> None:
    browser = control_client()
    supplier = next(iter(world.GUIDE_SUPPLIER_CONTRACTS))
    answer = browser.post(
        f"/sandbox/control/contracts/{supplier}/methods",
        {"methods": ["invoice"]},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["methods"] == ["invoice"]
    answer = browser.post(
        f"/sandbox/control/contracts/{supplier}/methods",
        {"methods": ["nope"]},
        content_type="application/json",
    )
    assert answer.status_code == 400
    answer = browser.post(
        "/sandbox/control/contracts/GCR_UNKNOWN/methods",
        {"methods": []},
        content_type="application/json",
    )
    assert answer.status_code == 404
    answer = browser.post(
        f"/sandbox/control/contracts/{world.GUIDE_CONTRACT}/cloning",
        {"allow_cloning": False},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert not Contract.objects.get(contract_id=world.GUIDE_CONTRACT).allow_cloning


def test_the_admin_edits_a_contracts_methods(
    sandbox_world: world.World, admin_client: Client
) -> None:
    supplier = Contract.objects.get(contract_id=next(iter(world.GUIDE_SUPPLIER_CONTRACTS)))
    url = f"/admin/secu_sandbox/contract/{supplier.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = {
        "contract_id": supplier.contract_id,
        "merchant": supplier.merchant_id,
        "kind": supplier.kind,
        "name": supplier.name,
        "payment_methods": ["prepaid", "creditcard"],
        "parent": "",
        "allow_cloning": "",
        "project": "",
        "created_0": "2026-01-01",
        "created_1": "10:00:00",
    }
    answer = admin_client.post(url, form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    supplier.refresh_from_db()
    assert supplier.payment_methods == ["creditcard", "prepaid"]
