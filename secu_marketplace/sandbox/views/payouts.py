"""``/api/v2/Payment/Payouts``, ``/General/Contracts/{id}/transferBalance`` and
``/Payment/Transactions/{id}/revokeAccrual`` (``sandbox/payouts.py`` says what is evidence and
what is the sandbox's reading)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from secu_marketplace.sandbox import contract_ops, payouts, representation
from secu_marketplace.sandbox.api import allow, api_view, ok, paging
from secu_marketplace.sandbox.models import ApiClient


@allow("GET")
@api_view("payouts.list")
def listing(request: HttpRequest, client: ApiClient) -> HttpResponse:
    count, offset = paging(request)
    return ok(payouts.listing(client, request.GET.get("q", ""), count, offset))


@allow("GET")
@api_view("payouts.get")
def read(request: HttpRequest, client: ApiClient, payout_id: str) -> HttpResponse:
    return ok(payouts.read(client, payout_id))


@allow("GET")
@api_view("contracts.transfer_balance")
def transfer_balance(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    return ok(payouts.transfer_balance(contract_ops.get(contract_id, client)))


@allow("POST")
@api_view("payment.revoke_accrual")
def revoke_accrual(request: HttpRequest, client: ApiClient, pci_id: str) -> HttpResponse:
    pt = payouts.revoke_accrual(client, pci_id)
    pt.refresh_from_db()
    return ok(representation.payment_transaction(pt))
