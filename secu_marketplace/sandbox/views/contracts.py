"""``/api/v2/Payment/Contracts`` and ``/api/v2/General/Contracts``: list and read contracts,
their payment methods, request a sub-contract (``contract_ops``; docs/provider.md, "Payment
contracts")."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from secu_marketplace.sandbox import contract_ops
from secu_marketplace.sandbox.api import allow, api_view, json_body, ok, paging
from secu_marketplace.sandbox.models import ApiClient


@allow("GET")
@api_view("contracts.list")
def listing(request: HttpRequest, client: ApiClient) -> HttpResponse:
    count, offset = paging(request)
    return ok(contract_ops.listing(client, request.GET.get("q", ""), count, offset))


@allow("GET")
@api_view("contracts.get")
def read(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    return ok(contract_ops.representation(contract_ops.get(contract_id, client)))


@allow("GET")
@api_view("contracts.payment_methods")
def payment_methods(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    # Deprecated (JAVA-D); its names are the METHOD_NAMES switch (conf.py).
    contract = contract_ops.get(contract_id, client)
    return ok(contract_ops.deprecated_payment_methods(contract))


@allow("POST")
@api_view("contracts.available_methods")
def available_methods(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    contract = contract_ops.get(contract_id, client)
    return ok(contract_ops.available_payment_methods(contract, json_body(request)))


@allow("POST")
@api_view("contracts.request_id")
def request_id(request: HttpRequest, client: ApiClient, contract_id: str) -> HttpResponse:
    return ok(contract_ops.request_id(client, contract_id, json_body(request)))
