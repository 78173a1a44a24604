"""``/api/v2/Payment/Transactions`` and the ``TestChangedPaymentStatus`` testing helper."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from secu_marketplace.sandbox import payment_ops, representation, transitions
from secu_marketplace.sandbox.api import allow, api_view, json_body, ok
from secu_marketplace.sandbox.models import ApiClient


def _one(client: ApiClient, pci_id: str) -> dict:
    return representation.payment_transaction(payment_ops.get(client, pci_id))


@allow("GET")
@api_view("payment.list")
def listing(request: HttpRequest, client: ApiClient) -> HttpResponse:
    found = payment_ops.search(client, request.GET.get("q", ""))
    return ok({"count": len(found), "data": [representation.payment_transaction(p) for p in found]})


@allow("GET")
@api_view("payment.get")
def read(request: HttpRequest, client: ApiClient, pci_id: str) -> HttpResponse:
    return ok(_one(client, pci_id))


@allow("GET")
@api_view("payment.check_status")
def check_status(request: HttpRequest, client: ApiClient, pci_id: str) -> HttpResponse:
    pt = payment_ops.get(client, pci_id)
    return ok(representation.check_status(pt, transitions.remaining(pt)))


@allow("POST")
@api_view("payment.cancel")
def cancel(request: HttpRequest, client: ApiClient, pci_id: str) -> HttpResponse:
    # Answers an array: the transaction itself and any refund transaction it created (PHP-SDK
    # PaymentTransactionsApi.php; docs/provider.md, "Cancel and refund").
    changed = payment_ops.cancel(client, pci_id, json_body(request))
    return ok([_one(client, pt.pci_id) for pt in changed])


@allow("POST")
@api_view("payment.capture")
def capture(request: HttpRequest, client: ApiClient, pci_id: str) -> HttpResponse:
    pt = payment_ops.capture(client, pci_id, json_body(request))
    return ok(_one(client, pt.pci_id))


@allow("PUT")
@api_view("payment.shipping_information")
def shipping_information(request: HttpRequest, client: ApiClient, pci_id: str) -> HttpResponse:
    payment_ops.update_shipping(client, pci_id, json_body(request))
    return ok({"result": True})


@allow("POST")
@api_view("payment.test_status")
def test_changed_status(
    request: HttpRequest, client: ApiClient, resource: str, pci_id: str
) -> HttpResponse:
    pt = payment_ops.test_change_status(client, resource, pci_id, json_body(request))
    return ok(_one(client, pt.pci_id))
