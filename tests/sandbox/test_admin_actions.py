"""The sandbox's admin actions on Payment Transactions: "Money arrived" and "Payment
denied" do what ``TestChangedPaymentStatus`` does, for people playing the demo in a browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from secu_marketplace.sandbox import payment_ops
from secu_marketplace.sandbox.errors import NotFound
from secu_marketplace.sandbox.models import PaymentTransaction, PushDelivery
from tests.helpers import SandboxApi

from .conftest import authorised, leading_id, mixed_body, plain_body, sub_ids

CHANGELIST = "/admin/secu_sandbox/paymenttransaction/"
PUSH_URL = "http://127.0.0.1:9/payments/push/token/"


def act(admin_client: Client, action: str, *pci_ids: str) -> str:
    pks = PaymentTransaction.objects.filter(pci_id__in=pci_ids).values_list("pk", flat=True)
    response = admin_client.post(
        CHANGELIST, {"action": action, "_selected_action": list(pks)}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def statuses(api: SandboxApi, stx_id: str) -> tuple[str, dict[str, int]]:
    """The Smart Transaction's status and every transaction's simple status, as the API says."""
    stx = api.get(f"/api/v2/Smart/Transactions/{stx_id}").json()
    simple = {}
    for entry in stx["transactions"]:
        pci = api.get(f"/api/v2/Payment/Transactions/{entry['id']}").json()
        simple[entry.get("reference_id", "leading")] = pci["details"]["status_simple"]
    return stx["status"], simple


@pytest.mark.parametrize(
    ("action", "new_status_id", "text"),
    [("money_arrived", 1, "accepted"), ("payment_denied", 3, "denied")],
)
def test_the_action_does_what_the_testing_helper_does(
    api: SandboxApi, admin_client: Client, action: str, new_status_id: int, text: str
) -> None:
    by_admin = authorised(api, "prepaid", mixed_body(url_push=PUSH_URL))
    by_api = authorised(api, "prepaid", mixed_body(url_push=PUSH_URL))
    pushes_before = PushDelivery.objects.filter(state="pending").count()

    page = act(admin_client, action, leading_id(by_admin))
    answer = api.post(
        f"/api/v2/Payment/Secupayprepays/{leading_id(by_api)}/TestChangedPaymentStatus",
        {"new_status_id": new_status_id},
    )
    assert answer.status == 200, answer.text

    assert f"{leading_id(by_admin)}: now {text}." in page
    status, simple = statuses(api, by_admin["id"])
    assert simple == {"leading": new_status_id, "sb0": new_status_id, "sb1": new_status_id}
    assert (status, simple) == statuses(api, by_api["id"])
    # Every change is pushed to the shop, as the API's helper does (3 + 3 transactions).
    assert PushDelivery.objects.filter(state="pending").count() == pushes_before + 6
    pushed = PushDelivery.objects.filter(
        payment_transaction__smart_transaction__stx_id=by_admin["id"]
    )
    assert {d.body["data"][0]["id"] for d in pushed} >= {
        leading_id(by_admin),
        *sub_ids(by_admin).values(),
    }


def test_money_arrived_settles_the_prepaid_smart_transaction(
    api: SandboxApi, admin_client: Client
) -> None:
    stx = authorised(api, "prepaid", mixed_body())
    assert stx["status"] == "pending"
    act(admin_client, "money_arrived", leading_id(stx))
    status, _simple = statuses(api, stx["id"])
    assert status != "pending"
    leading = PaymentTransaction.objects.get(pci_id=leading_id(stx))
    assert leading.payer_paid


@pytest.mark.parametrize("captured", [False, True])
def test_money_arrived_on_an_invoice_means_the_buyer_paid_it(
    api: SandboxApi, admin_client: Client, captured: bool
) -> None:
    stx = authorised(api, "invoice", mixed_body())
    if captured:
        api.post(f"/api/v2/Payment/Transactions/{leading_id(stx)}/capture", {})
    page = act(admin_client, "money_arrived", leading_id(stx))
    assert f"{leading_id(stx)}: now paid." in page
    for pci_id in (leading_id(stx), *sub_ids(stx).values()):
        pci = api.get(f"/api/v2/Payment/Transactions/{pci_id}").json()
        assert pci["details"]["status_simple"] == 9
        assert (pci["status"], pci["status_text"]) == (87, "abgeschlossen (Rechnung bezahlt)")
        assert PaymentTransaction.objects.get(pci_id=pci_id).payer_paid


def test_selecting_the_parts_too_moves_each_once_without_warnings(
    api: SandboxApi, admin_client: Client
) -> None:
    stx = authorised(api, "prepaid", mixed_body(url_push=PUSH_URL))
    subs = sub_ids(stx)
    before = PushDelivery.objects.count()
    page = act(admin_client, "money_arrived", leading_id(stx), *subs.values())
    assert f"{leading_id(stx)}: now accepted." in page
    assert "already" not in page
    assert PushDelivery.objects.count() == before + 3


def test_a_transaction_in_that_state_already_is_left_alone(
    api: SandboxApi, admin_client: Client
) -> None:
    stx = authorised(api, "debit", plain_body(url_push=PUSH_URL))  # accepted at once
    before = PushDelivery.objects.count()
    page = act(admin_client, "money_arrived", leading_id(stx))
    assert f"{leading_id(stx)} is accepted already." in page
    assert PushDelivery.objects.count() == before


def test_a_method_the_testing_helper_does_not_know_is_refused(
    api: SandboxApi, admin_client: Client
) -> None:
    stx = authorised(api, "paypal", plain_body())
    page = act(admin_client, "payment_denied", leading_id(stx))
    assert "the testing helper only moves" in page
    assert PaymentTransaction.objects.get(pci_id=leading_id(stx)).status_simple == 1
    with pytest.raises(NotFound):
        payment_ops.change_status(PaymentTransaction.objects.get(pci_id=leading_id(stx)), 3)


def test_the_changelist_finds_an_order_by_its_merchant_ref_and_offers_the_actions(
    api: SandboxApi, admin_client: Client
) -> None:
    body: dict[str, Any] = mixed_body()
    body["merchantRef"] = "MM-20261128-7"
    stx = authorised(api, "prepaid", body)
    other = authorised(api, "prepaid", mixed_body())
    page = admin_client.get(CHANGELIST, {"q": "MM-20261128-7"}).content.decode()
    assert leading_id(stx) in page
    assert leading_id(other) not in page
    assert 'value="money_arrived"' in page
    assert "Money arrived (accepted; paid for an invoice)" in page
    assert "Payment denied" in page


def test_the_list_shows_money_and_statuses_in_words(api: SandboxApi, admin_client: Client) -> None:
    stx = authorised(api, "prepaid", mixed_body(url_push=PUSH_URL))
    leading = PaymentTransaction.objects.get(pci_id=leading_id(stx))
    page = admin_client.get(CHANGELIST).content.decode()
    units, cents = divmod(leading.amount, 100)
    assert f"{units}.{cents:02d} EUR" in page
    assert f">{leading.amount}<" not in page  # no bare minor units
    assert "authorized (2)" in page  # prepaid waiting for the transfer
    filtered = admin_client.get(CHANGELIST, {"status_simple": "2"}).content.decode()
    assert leading.pci_id in filtered
    assert (
        leading.pci_id not in admin_client.get(CHANGELIST, {"status_simple": "1"}).content.decode()
    )


def test_the_sandbox_front_page_names_its_api_and_the_latest_checkouts(
    api: SandboxApi, client: Client, settings: Any
) -> None:
    settings.DEBUG = True  # a developer's machine
    stx = api.create(plain_body())
    page = client.get("/sandbox/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "http://testserver/sandbox/api/v2" in text
    assert "http://testserver/sandbox/oauth/token" in text
    assert "This is a test system" in text
    assert f'href="/sandbox/checkout/{stx["id"]}/"' in text  # still payable: linked
    assert client.post("/sandbox/").status_code == 405


def test_without_debug_the_front_page_lists_no_buyers_checkouts(
    api: SandboxApi, client: Client, settings: Any
) -> None:
    settings.DEBUG = False  # a deliberate public demo
    stx = api.create(plain_body())
    text = client.get("/sandbox/").content.decode()
    assert "This is a test system" in text
    assert stx["id"] not in text
    assert "ORDER-1" not in text  # nor their order references
