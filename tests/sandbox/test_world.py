"""The sandbox's default world (the guide's client, merchant and contracts) and adding more."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from secu_marketplace.sandbox import world
from secu_marketplace.sandbox.models import ApiClient, Contract, Merchant
from tests.helpers import CREDENTIALS, SandboxApi, guide_body

from .conftest import plain_body


def test_the_guides_world(sandbox_world: world.World) -> None:
    client = ApiClient.objects.get()
    assert client.client_id == "00563697073442633035025909838580"
    assert client.client_secret == (
        "3382456441636938321687549172178382320163695870914358804052148567"
    )
    assert client.merchant.companyname == "Mustermarktplatz GmbH"
    assert sandbox_world.contract.contract_id == "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2"
    assert sandbox_world.contract.merchant == client.merchant
    kinds = dict(Contract.objects.values_list("contract_id", "kind"))
    assert kinds["GCR_QP49BFHYYKVAQBFWGE5VBBUUJEQ2P8"] == Contract.Kind.PROVIDER
    assert kinds["GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7"] == Contract.Kind.SUPPLIER
    assert kinds["GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30"] == Contract.Kind.SUPPLIER
    assert "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2" in world.CHECKOUT_TEMPLATES


def test_ensure_defaults_is_idempotent(sandbox_world: world.World) -> None:
    counts = (ApiClient.objects.count(), Merchant.objects.count(), Contract.objects.count())
    again = world.ensure_defaults()
    assert again == sandbox_world
    assert counts == (
        ApiClient.objects.count(),
        Merchant.objects.count(),
        Contract.objects.count(),
    )


def test_the_guides_request_works_with_the_defaults(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    assert stx["provider_contract"]["id"] == "GCR_QP49BFHYYKVAQBFWGE5VBBUUJEQ2P8"
    assert stx["application_context"]["checkout_template"] == "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2"


def test_sandbox_client_without_arguments_creates_the_defaults(db: None) -> None:
    out = io.StringIO()
    call_command("sandbox_client", stdout=out)
    assert "guide's client" in out.getvalue()
    assert ApiClient.objects.filter(client_id=world.GUIDE_CLIENT_ID).exists()


def test_sandbox_client_adds_a_marketplace_with_suppliers(sandbox_world: world.World) -> None:
    out = io.StringIO()
    call_command(
        "sandbox_client",
        client_id="33333333333333333333333333333333",
        client_secret="s3cret",
        merchant="Dritter Markt GmbH",
        contract="GCR_THIRDMARKETPLACE00000000000000",
        supplier=["GCR_THIRDSUPPLIER0000000000000000A=Lieferant A"],
        token_lifetime=60,
        stdout=out,
    )
    assert "Dritter Markt GmbH" in out.getvalue()
    client = ApiClient.objects.get(client_id="33333333333333333333333333333333")
    assert client.token_lifetime == 60
    supplier = Contract.objects.get(contract_id="GCR_THIRDSUPPLIER0000000000000000A")
    assert (supplier.kind, supplier.name) == (Contract.Kind.SUPPLIER, "Lieferant A")

    api = SandboxApi()
    token = api.post(
        "/oauth/token",
        {**CREDENTIALS, "client_id": client.client_id, "client_secret": "s3cret"},
        auth=False,
    ).json()
    assert token["expires_in"] == 60
    api.token = token["access_token"]
    body = plain_body()
    body["contract"] = {"id": "GCR_THIRDMARKETPLACE00000000000000"}
    stx = api.create(body)
    assert stx["merchant"]["companyname"] == "Dritter Markt GmbH"
    # Running it again updates instead of duplicating.
    call_command(
        "sandbox_client",
        client_id="33333333333333333333333333333333",
        client_secret="n3w",
        merchant="Dritter Markt GmbH",
        contract="GCR_THIRDMARKETPLACE00000000000000",
        stdout=io.StringIO(),
    )
    assert ApiClient.objects.get(client_id=client.client_id).client_secret == "n3w"
    assert Merchant.objects.filter(companyname="Dritter Markt GmbH").count() == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"client_id": "x", "merchant": "M"}, "--client-secret"),
        ({"client_id": "x", "client_secret": "y"}, "--merchant"),
        ({"client_id": "x", "client_secret": "y", "merchant": "M", "contract": "GCR_1"}, "GCR_1"),
        (
            {"client_id": "x", "client_secret": "y", "merchant": "M", "supplier": ["nope=A"]},
            "nope",
        ),
    ],
)
def test_sandbox_client_refuses_bad_input(
    sandbox_world: world.World, options: dict[str, object], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("sandbox_client", stdout=io.StringIO(), **options)
    assert not ApiClient.objects.filter(client_id="x").exists()
