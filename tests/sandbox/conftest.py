"""Fixtures and request bodies for the sandbox's own tests."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from django.core.management import call_command

from secu_marketplace.sandbox import world
from secu_marketplace.sandbox.models import ApiClient
from tests.helpers import SandboxApi, guide_body

OTHER_CLIENT_ID = "11111111111111111111111111111111"
OTHER_CLIENT_SECRET = "other-secret-0123456789"
OTHER_CONTRACT = "GCR_OTHERMARKETPLACE00000000000000"

CUSTOMER: dict[str, Any] = {
    "contact": {
        "salutation": "Frau",
        "forename": "Erika",
        "surname": "Musterfrau",
        "email": "erika@example.net",
        "phone": "+49 30 1234 567",
        "dob": "1965-12-31",
        "address": {
            "street": "Hauptstraße",
            "street_number": "1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
        },
    }
}


def plain_body(
    *,
    intent: str = "sale",
    auto_capture: bool = True,
    methods: list[str] | None = None,
    delivery_type: str | None = None,
    url_push: str | None = None,
    customer: bool = True,
    language: str = "de",
) -> dict[str, Any]:
    """A regular (single-merchant) basket: 2 x 1000 + 495 shipping - 200 coupon = 2295."""
    body: dict[str, Any] = {
        "contract": {"id": world.GUIDE_CONTRACT},
        "intent": intent,
        "basket": {
            "products": [
                {"id": 1, "desc": "Teetasse", "quantity": 2, "priceOne": 1000, "tax": 19},
                {"id": 2, "item_type": "shipping", "desc": "Versand", "priceOne": 495},
                {"id": 3, "item_type": "coupon", "desc": "Gutschein", "priceOne": 200},
            ]
        },
        "basket_info": {"sum": 2295, "currency": "EUR"},
        "merchantRef": "ORDER-1",
        "transactionRef": "Shop ORDER-1",
        "application_context": {
            "language": language,
            "return_urls": {
                "url_success": "https://shop.example.com/ok",
                "url_error": "https://shop.example.com/error",
                "url_abort": "https://shop.example.com/abort",
            },
        },
        "payment_context": {"auto_capture": auto_capture},
    }
    if customer:
        body["customer"] = copy.deepcopy(CUSTOMER)
    if methods is not None:
        body["payment_context"]["payment_methods"] = methods
    if delivery_type is not None:
        body["delivery_options"] = {"type": delivery_type}
    if url_push is not None:
        body["application_context"]["return_urls"]["url_push"] = url_push
    return body


def mixed_body(
    *, intent: str = "order", auto_capture: bool = True, url_push: str | None = None
) -> dict[str, Any]:
    """The guide's corrected marketplace basket: sb0 4440 (fee 80) + sb1 3345 (fee 70) = 7785."""
    body = guide_body()
    body["intent"] = intent
    body["payment_context"]["auto_capture"] = auto_capture
    if url_push is not None:
        body["application_context"]["return_urls"]["url_push"] = url_push
    return body


def authorised(
    api: SandboxApi,
    method: str,
    body: dict[str, Any] | None = None,
    *,
    outcome: str = "success",
) -> dict[str, Any]:
    """Create a Smart Transaction and authorise it with ``method``; returns the answer."""
    stx = api.create(body or plain_body())
    answer = api.prepare(stx["id"], method, outcome=outcome)
    assert answer.status == 200, answer.text
    return answer.json()


def leading_id(stx: dict[str, Any]) -> str:
    [leading] = [t for t in stx["transactions"] if "reference_id" not in t]
    return str(leading["id"])


def sub_ids(stx: dict[str, Any]) -> dict[str, str]:
    return {t["reference_id"]: t["id"] for t in stx["transactions"] if "reference_id" in t}


@pytest.fixture
def other_client(sandbox_world: world.World) -> ApiClient:
    """A second marketplace with its own merchant, added the documented way."""
    call_command(
        "sandbox_client",
        client_id=OTHER_CLIENT_ID,
        client_secret=OTHER_CLIENT_SECRET,
        merchant="Anderer Marktplatz GmbH",
        contract=OTHER_CONTRACT,
        stdout=io.StringIO(),
    )
    return ApiClient.objects.get(client_id=OTHER_CLIENT_ID)


@pytest.fixture
def other_api(other_client: ApiClient) -> SandboxApi:
    client = SandboxApi()
    client.authenticate(client_id=OTHER_CLIENT_ID, client_secret=OTHER_CLIENT_SECRET)
    return client
