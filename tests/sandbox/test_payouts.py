"""The sandbox's payouts and held money (``sandbox/payouts.py``): what a payout run pays, the
records ``GET /Payment/Payouts`` answers in the SDK model's shape, ``transferBalance``,
``payment_context.accrual`` and ``revokeAccrual``, the control API and the admin action."""

from __future__ import annotations

from typing import Any

from django.test import Client

from secu_marketplace.conf import PUBLIC_CONTRACT_ID
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import Contract, PushDelivery
from tests.helpers import SandboxApi, control_client

from .conftest import authorised, mixed_body, sub_ids

COFFEE = "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7"
MODEL_FIELDS = {
    "object", "id", "store_name", "merchant", "trans_id", "amount", "currency", "date",
    "simple_status_id", "simple_status_description", "receiver", "purpose", "trans_status_id",
    "documents", "product_id", "refund_amount", "stakeholder_amount", "claim_amount",
    "invoice_amount", "misc_amount", "payout_amount", "transaction_volume",
}  # fmt: skip


def test_a_run_pays_each_contract_its_share_less_fees_refunds_and_chargebacks(
    api: SandboxApi,
) -> None:
    stx = authorised(api, "creditcard", mixed_body(url_push="https://shop.example/push/x/"))
    subs = sub_ids(stx)
    refund = api.post(
        f"/api/v2/Payment/Transactions/{subs['sb1']}/cancel", {"reduce_amount_by": 345}
    )
    assert refund.status == 200
    balance = api.get(f"/api/v2/General/Contracts/{COFFEE}/transferBalance").json()
    assert balance == {"balances": {"EUR": 4440 - 80}}
    made = control.pay_out()
    by_contract: dict[str, int] = {}
    for record in made:
        assert set(record) == MODEL_FIELDS
        key = record["merchant"]["id"]
        by_contract[key] = by_contract.get(key, 0) + record["payout_amount"]
    assert sorted(by_contract.values()) == sorted([4440 - 80, 3345 - 345 - 70, 80 + 70])
    listed = api.get("/api/v2/Payment/Payouts?count=2").json()
    assert (listed["count"], len(listed["data"])) == (4, 2)
    one = api.get(f"/api/v2/Payment/Payouts/{made[0]['id']}").json()
    assert one == made[0]
    # Pushes: one per paid contract, target payment.payouts, to the newest url_push.
    pushes = PushDelivery.objects.filter(body__target="payment.payouts")
    assert pushes.count() == 3
    assert {p.url for p in pushes} == {"https://shop.example/push/x/"}
    # Nothing owed any more: a second run pays nothing, the balance is 0.
    assert control.pay_out() == []
    assert api.get(f"/api/v2/General/Contracts/{COFFEE}/transferBalance").json() == {"balances": {}}


def test_a_chargeback_after_a_payout_claws_it_back(api: SandboxApi) -> None:
    stx = authorised(api, "debit", mixed_body())
    sb0 = sub_ids(stx)["sb0"]
    control.pay_out()
    api.post(f"/api/v2/Payment/Secupaydebits/{sb0}/TestChangedPaymentStatus", {"new_status_id": 4})
    again = {r["merchant"]["id"]: r for r in control.pay_out()}
    supplier = next(r for r in again.values() if r["claim_amount"])
    assert (supplier["claim_amount"], supplier["payout_amount"]) == (4440, -(4440 - 80))
    fee = next(r for r in again.values() if not r["claim_amount"])
    assert fee["payout_amount"] == -80  # the fee is reversed


def test_accrual_holds_the_payout_until_revoked(api: SandboxApi) -> None:
    body = mixed_body()
    body["payment_context"]["accrual"] = True
    stx = authorised(api, "creditcard", body)
    sb0 = sub_ids(stx)["sb0"]
    assert api.get(f"/api/v2/Payment/Transactions/{sb0}").json()["accrual"] is True
    assert control.pay_out() == []
    revoked = api.post(f"/api/v2/Payment/Transactions/{sb0}/revokeAccrual", {})
    assert (revoked.status, revoked.json()["accrual"]) == (200, False)
    assert api.post(f"/api/v2/Payment/Transactions/{sb0}/revokeAccrual", {}).status == 200
    assert {r["trans_id"] for r in control.pay_out()} == {revoked.json()["trans_id"]}
    wrong = mixed_body()
    wrong["payment_context"]["accrual"] = "yes"
    assert api.post("/api/v2/Smart/Transactions", wrong).status == 400


def test_the_control_api_and_the_admin_action_pay_out(
    api: SandboxApi, admin_client: Client
) -> None:
    authorised(api, "creditcard", mixed_body())
    client = control_client()
    answer = client.post(
        "/sandbox/control/payouts", {"contracts": [COFFEE]}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["count"] == 1
    set_url = client.post(
        f"/sandbox/control/contracts/{PUBLIC_CONTRACT_ID}/payout_push",
        {"url": "https://shop.example/payouts/"},
        content_type="application/json",
    )
    assert set_url.status_code == 200
    assert Contract.objects.get(contract_id=PUBLIC_CONTRACT_ID).payout_push_url.endswith(
        "/payouts/"
    )
    pk = Contract.objects.get(contract_id=PUBLIC_CONTRACT_ID).pk
    page = admin_client.post(
        "/admin/secu_sandbox/contract/",
        {"action": "pay_out", "_selected_action": [pk]},
        follow=True,
    )
    assert "2 payout record(s) made." in page.content.decode()  # the fees of sb0 and sb1
    pushed: Any = PushDelivery.objects.filter(body__target="payment.payouts").last()
    assert pushed.url == "https://shop.example/payouts/"
