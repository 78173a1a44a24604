"""``/api/v2/Payment/Contracts``: read a contract, its payment methods, request a sub-contract
(``contract_ops``; docs/provider.md, "Payment contracts")."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from secu_marketplace.sandbox import contract_ops
from secu_marketplace.sandbox.api import allow, api_view, json_body, ok
from secu_marketplace.sandbox.models import ApiClient


@allow("GET")
@api_view("contracts.get")
def read(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    return ok(contract_ops.representation(contract_ops.get(contract_id)))


@allow("GET")
@api_view("contracts.payment_methods")
def payment_methods(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    return ok(contract_ops.payment_methods(contract_ops.get(contract_id)))


@allow("POST")
@api_view("contracts.request_id")
def request_id(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    return ok(contract_ops.request_id(client, contract_id, json_body(request)))
