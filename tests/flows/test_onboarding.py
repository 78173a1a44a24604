"""Onboarding a supplier against the sandbox over HTTP (services/onboarding.py, the admin's
pages), and what its contract allows at checkout (services/supplier_contracts.py):
docs/provider.md, "Payment contracts"."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from secu_marketplace.builder import Item, Shipping, SupplierBasket, build_order
from secu_marketplace.checks import check_supplier_contracts
from secu_marketplace.exceptions import BasketError, CheckoutError
from secu_marketplace.models import Supplier
from secu_marketplace.rules.payments import PAYMENT_METHODS
from secu_marketplace.sandbox import control, world
from secu_marketplace.sandbox.models import Contract
from secu_marketplace.services import onboarding, supplier_contracts
from secu_marketplace.services.onboarding import Application, OnboardingError
from tests.factories import MAX, guide_suppliers

from .conftest import Flow

COFFEE, FURNITURE = world.GUIDE_SUPPLIER_CONTRACTS
VALID_IBAN = "DE89370400440532013000"


def application(**changes: Any) -> Application:
    data: dict[str, Any] = {
        "project": "Musterhändler Garten",
        "companyname": "Garten GmbH",
        "forename": "Gerda",
        "surname": "Grün",
        "email": "gerda@garten.example",
        "street": "Gartenweg",
        "street_number": "3",
        "postal_code": "04109",
        "city": "Leipzig",
        "payout_iban": "DE89 3704 0044 0532 0130 00",
        "payout_owner": "Garten GmbH",
    }
    data.update(changes)
    return Application(**data)


@pytest.fixture
def garden(flow: Flow) -> Supplier:
    return Supplier.objects.create(name="Musterhändler Garten", fee_rate=200)


def _as_it_was(supplier: Supplier) -> None:
    fresh = Supplier.objects.get(pk=supplier.pk)
    assert fresh.contract_id == ""
    assert fresh.contract_state == ""
    assert fresh.onboarding_project == ""
    assert fresh.merchant_id == fresh.store_id == ""


def _order(*suppliers: Supplier, reference: str = "ON-1") -> Any:
    return build_order(
        reference=reference,
        buyer=MAX,
        baskets=[
            SupplierBasket(
                s, items=[Item(f"{s.name} Artikel", 1, 1000)], shipping=Shipping("V", 450)
            )
            for s in suppliers
        ],
    )


# --- onboarding -----------------------------------------------------------------------------


def test_a_supplier_is_onboarded(
    garden: Supplier, calls: Callable[[str], int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    onboarding.onboard(garden, application())
    garden.refresh_from_db()
    remote = Contract.objects.get(contract_id=garden.contract_id)
    assert remote.parent is not None
    assert remote.parent.contract_id == world.GUIDE_CONTRACT
    assert remote.project == "Musterhändler Garten"
    assert remote.payout_account["iban"] == VALID_IBAN
    assert garden.merchant_id == remote.merchant.merchant_id
    assert garden.store_id == ""  # the recorded answer names no store (the SDK model does)
    assert garden.contract_state == Supplier.ContractState.ACTIVE
    assert garden.contract_approved is False  # a new contract waits for secupay
    assert garden.onboarding_project == "Musterhändler Garten"
    assert garden.payin_account == {}
    assert garden.apikey == ""  # not kept unless a setting asks for it
    assert calls("contracts.request_id") == 1
    assert "apikey" not in caplog.text.replace("'apikey': '[redacted]'", "")


def test_the_new_supplier_is_paid_for_once_secupay_approves(
    flow: Flow, garden: Supplier, calls: Callable[[str], int]
) -> None:
    onboarding.onboard(garden, application())
    garden.refresh_from_db()
    coffee, _furniture = guide_suppliers()
    order = _order(coffee, garden)
    with pytest.raises(CheckoutError, match="Musterhändler Garten"):
        flow.checkout(order, method="creditcard")
    assert calls("smart.create") == 0
    control.approve_contract(garden.contract_id)
    # An unapproved contract is not cached: the approval is seen at the next checkout.
    started = flow.checkout(order, method="creditcard")
    flow.pay(started.attempt, "creditcard")
    flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == "paid"
    garden.refresh_from_db()
    assert garden.contract_approved is True


def test_a_pay_in_account_and_the_kept_api_key(
    garden: Supplier, settings: Any, caplog: pytest.LogCaptureFixture, admin_client: Client
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "STORE_SUPPLIER_APIKEY": True}
    onboarding.onboard(garden, application(payin_account=True))
    garden.refresh_from_db()
    assert set(garden.payin_account) == {"iban", "bic", "owner"}  # DEMO-M create_project.php
    assert len(garden.apikey) >= 16
    # A credential: never in a log line, never shown again.
    assert garden.apikey not in caplog.text
    page = admin_client.get(f"/admin/secu_marketplace/supplier/{garden.pk}/change/")
    assert page.status_code == 200
    assert garden.apikey not in page.content.decode()


def test_an_invalid_iban_is_refused_before_asking(
    garden: Supplier, calls: Callable[[str], int]
) -> None:
    with pytest.raises(OnboardingError, match="IBAN"):
        onboarding.onboard(garden, application(payout_iban="DE89370400440532013001"))
    assert calls("contracts.request_id") == 0
    _as_it_was(garden)


def test_a_project_name_taken_at_secuconnect(
    flow: Flow, garden: Supplier, calls: Callable[[str], int]
) -> None:
    taken = application().body()
    flow.sandbox.post(f"/api/v2/Payment/Contracts/{world.GUIDE_CONTRACT}/requestId", taken)
    with pytest.raises(OnboardingError, match="Musterhändler Garten"):
        onboarding.onboard(garden, application())
    assert calls("contracts.request_id") == 2
    _as_it_was(garden)


def test_a_project_name_taken_by_another_supplier(
    garden: Supplier, calls: Callable[[str], int]
) -> None:
    onboarding.onboard(garden, application())
    other = Supplier.objects.create(name="Garten zwei")
    with pytest.raises(OnboardingError, match="taken"):
        onboarding.onboard(other, application())
    assert calls("contracts.request_id") == 1
    _as_it_was(other)


def test_a_refused_request(garden: Supplier) -> None:
    control.set_contract_cloning(world.GUIDE_CONTRACT, False)
    with pytest.raises(OnboardingError, match="activated"):
        onboarding.onboard(garden, application())
    _as_it_was(garden)
    assert not Contract.objects.filter(project="Musterhändler Garten").exists()


def test_an_unreachable_provider(garden: Supplier) -> None:
    control.inject("contracts.request_id", "http_503")
    with pytest.raises(OnboardingError, match="could not be reached"):
        onboarding.onboard(garden, application())
    _as_it_was(garden)
    # Nothing happened, so asking again is fine.
    onboarding.onboard(garden, application())
    assert Supplier.objects.get(pk=garden.pk).contract_state == Supplier.ContractState.ACTIVE


def test_a_lost_answer_is_not_sent_again_and_is_settled_with_the_contract_id(
    garden: Supplier, calls: Callable[[str], int], admin_client: Client
) -> None:
    control.inject("contracts.request_id", "drop_response")
    with pytest.raises(OnboardingError, match="lost"):
        onboarding.onboard(garden, application())
    garden.refresh_from_db()
    assert garden.contract_state == Supplier.ContractState.UNKNOWN
    assert garden.contract_id == ""
    # secuconnect made the contract; the shop does not know its id.
    made = Contract.objects.get(project="Musterhändler Garten")

    with pytest.raises(OnboardingError, match="unsettled"):
        onboarding.onboard(garden, application(project="Anderer Name"))
    assert calls("contracts.request_id") == 1

    page = admin_client.get(f"/admin/secu_marketplace/supplier/{garden.pk}/change/")
    assert 'id="secu-settle"' in page.content.decode()
    assert 'id="secu-onboard"' not in page.content.decode()
    settle = f"/admin/secu_marketplace/supplier/{garden.pk}/settle/"
    answer = admin_client.post(settle, {"contract_id": "GCR_" + "0" * 30})
    assert "does not know" in answer.content.decode()
    answer = admin_client.post(settle, {"contract_id": made.contract_id})
    assert answer.status_code == 302
    garden.refresh_from_db()
    assert garden.contract_id == made.contract_id
    assert garden.contract_state == Supplier.ContractState.ACTIVE
    assert Contract.objects.filter(project="Musterhändler Garten").count() == 1


def test_a_lost_answer_abandoned_then_asked_again_makes_no_second_contract(
    garden: Supplier,
) -> None:
    control.inject("contracts.request_id", "drop_response")
    with pytest.raises(OnboardingError):
        onboarding.onboard(garden, application())
    garden.refresh_from_db()
    onboarding.abandon_request(garden)  # wrongly: the contract does exist
    with pytest.raises(OnboardingError, match="taken"):
        onboarding.onboard(garden, application())
    assert Contract.objects.filter(project="Musterhändler Garten").count() == 1
    _as_it_was(garden)


# --- the admin page -------------------------------------------------------------------------


def _form(**changes: str) -> dict[str, str]:
    data = {
        "project": "Musterhändler Garten",
        "companyname": "Garten GmbH",
        "forename": "Gerda",
        "surname": "Grün",
        "email": "gerda@garten.example",
        "phone": "",
        "street": "Gartenweg",
        "street_number": "3",
        "postal_code": "04109",
        "city": "Leipzig",
        "country": "DE",
        "payout_iban": "DE89 3704 0044 0532 0130 00",
        "payout_owner": "Garten GmbH",
    }
    data.update(changes)
    return data


def test_the_admin_onboarding_page(garden: Supplier, admin_client: Client) -> None:
    change = f"/admin/secu_marketplace/supplier/{garden.pk}/change/"
    assert 'id="secu-onboard"' in admin_client.get(change).content.decode()
    url = f"/admin/secu_marketplace/supplier/{garden.pk}/onboard/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Musterhändler Garten" in page.content.decode()

    bad = admin_client.post(url, _form(payout_iban="DE00370400440532013000"))
    assert bad.status_code == 200
    assert "Not a valid IBAN" in bad.content.decode()
    _as_it_was(garden)

    control.set_contract_cloning(world.GUIDE_CONTRACT, False)
    refused = admin_client.post(url, _form(), follow=True)
    assert "activated" in refused.content.decode()
    _as_it_was(garden)

    control.set_contract_cloning(world.GUIDE_CONTRACT, True)
    done = admin_client.post(url, _form(payin_account="on"))
    assert done.status_code == 302
    garden.refresh_from_db()
    assert garden.contract_id
    assert garden.payin_account
    assert 'id="secu-onboard"' not in admin_client.get(change).content.decode()


# --- contracts and methods at checkout -----------------------------------------------------


def test_a_supplier_without_a_contract_cannot_be_put_in_a_basket(garden: Supplier) -> None:
    with pytest.raises(BasketError, match="Musterhändler Garten"):
        _order(garden)


def test_a_contract_secuconnect_does_not_know_stops_checkout(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    coffee, _furniture = guide_suppliers()
    ghost = Supplier.objects.create(name="Geisterhandel", contract_id="GCR_" + "7" * 30)
    order = _order(coffee, ghost)
    with pytest.raises(CheckoutError, match="Geisterhandel"):
        flow.checkout(order)
    assert calls("smart.create") == 0


def test_only_methods_every_supplier_accepts(flow: Flow, calls: Callable[[str], int]) -> None:
    control.set_contract_methods(COFFEE, ["creditcard", "prepaid", "invoice"])
    control.set_contract_methods(FURNITURE, ["prepaid", "invoice", "debit"])
    order = flow.order()
    with pytest.raises(CheckoutError, match="creditcard"):
        flow.checkout(order, method="creditcard")
    started = flow.checkout(order)
    sent = flow.sandbox.stx(str(started.attempt.stx_id))["payment_context"]
    assert sent["payment_methods"] == ["invoice", "prepaid"]
    # A preselected method every supplier takes still narrows it to that one.
    other = flow.order()
    chosen = flow.checkout(other, method="prepaid")
    assert flow.sandbox.stx(str(chosen.attempt.stx_id))["payment_context"]["payment_methods"] == [
        "prepaid"
    ]
    # Read once per contract, then cached; the successor endpoint answered.
    assert calls("contracts.available_methods") == 2
    assert calls("contracts.payment_methods") == 0
    assert calls("contracts.get") == 2


def test_no_common_method(flow: Flow) -> None:
    control.set_contract_methods(COFFEE, ["creditcard"])
    control.set_contract_methods(FURNITURE, ["debit"])
    with pytest.raises(CheckoutError, match="No payment method"):
        flow.checkout(flow.order())


def test_every_method_everywhere_sends_no_list(flow: Flow) -> None:
    started = flow.checkout(flow.order())
    assert "payment_methods" not in flow.sandbox.stx(str(started.attempt.stx_id))["payment_context"]


def test_the_admin_refreshes_the_cached_methods(flow: Flow, admin_client: Client) -> None:
    coffee, _furniture = guide_suppliers()
    assert supplier_contracts.payment_methods(COFFEE) == PAYMENT_METHODS
    control.set_contract_methods(COFFEE, ["prepaid"])
    assert supplier_contracts.payment_methods(COFFEE) == PAYMENT_METHODS  # cached
    answer = admin_client.post(
        "/admin/secu_marketplace/supplier/",
        {"action": "refresh_contracts", "_selected_action": [coffee.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    assert supplier_contracts.cached_payment_methods(COFFEE) == ("prepaid",)
    page = admin_client.get(f"/admin/secu_marketplace/supplier/{coffee.pk}/change/")
    assert "creditcard" in page.content.decode()  # named among what it lacks


def test_checks_and_secu_check_name_a_contract_lacking_an_offered_method(flow: Flow) -> None:
    coffee, _furniture = guide_suppliers()
    control.set_contract_methods(COFFEE, ["prepaid", "invoice"])
    out = io.StringIO()
    call_command("secu_check", stdout=out)
    assert f"{coffee.name}" in out.getvalue()
    assert "creditcard" in out.getvalue()
    warnings = check_supplier_contracts(databases=["default"])
    assert any(coffee.name in str(w.msg) and "creditcard" in str(w.msg) for w in warnings)
