"""The app against what the recordings show of contracts (docs/provider.md, "Payment
contracts"): payment methods under either naming, suppliers waiting for secupay's approval, a
lost ``requestId`` answer settled from the contract list, code 4028, the payment instrument."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from secu_marketplace.exceptions import CheckoutError
from secu_marketplace.models import Supplier
from secu_marketplace.rules.statuses import AttemptState, OrderStatus
from secu_marketplace.sandbox import control, world
from secu_marketplace.sandbox.models import Contract
from secu_marketplace.services import onboarding, supplier_contracts
from secu_marketplace.services.onboarding import OnboardingError
from tests.factories import guide_suppliers

from .conftest import Flow
from .test_onboarding import _order, application

COFFEE, FURNITURE = world.GUIDE_SUPPLIER_CONTRACTS
NAMINGS = ["smart", "general"]


@pytest.fixture
def reset() -> Iterator[None]:
    yield
    control.reset_switches()
    control.clear_faults()


def _without_successor() -> None:
    """A host that lacks getAvailablePaymentMethods: the app falls back to paymentMethods."""
    control.inject("contracts.available_methods", "http_404", times=None)


def _change_page(admin_client: Client, supplier: Supplier) -> str:
    page = admin_client.get(f"/admin/secu_marketplace/supplier/{supplier.pk}/change/")
    assert page.status_code == 200
    return page.content.decode()


# --- payment methods under either naming -----------------------------------------------------


@pytest.mark.parametrize("successor", [True, False], ids=["successor", "deprecated"])
@pytest.mark.parametrize("naming", NAMINGS)
def test_a_buyer_pays_under_either_method_naming(
    flow: Flow, reset: None, calls: Callable[[str], int], naming: str, successor: bool
) -> None:
    control.set_switch("METHOD_NAMES", naming)
    if not successor:
        _without_successor()
    control.set_contract_methods(COFFEE, ["creditcard", "prepaid", "invoice"])
    control.set_contract_methods(FURNITURE, ["prepaid", "invoice", "debit"])
    order = flow.order()
    started = flow.checkout(order)
    sent = flow.sandbox.stx(str(started.attempt.stx_id))["payment_context"]
    assert sent["payment_methods"] == ["invoice", "prepaid"]
    assert calls("contracts.payment_methods") == (0 if successor else 2)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    leading = flow.sandbox.stx(str(started.attempt.stx_id))["transactions"][0]["id"]
    answer = flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading}/TestChangedPaymentStatus", {"new_status_id": 1}
    )
    assert answer.status == 200, answer.text
    flow.deliver_pushes()  # secuconnect's push: the transfer arrived
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize("naming", NAMINGS)
def test_every_method_everywhere_still_sends_no_list(flow: Flow, reset: None, naming: str) -> None:
    # Apple Pay and Google Pay in the answer change nothing: they are no Smart Checkout method.
    control.set_switch("METHOD_NAMES", naming)
    _without_successor()
    started = flow.checkout(flow.order())
    assert "payment_methods" not in flow.sandbox.stx(str(started.attempt.stx_id))["payment_context"]
    report = supplier_contracts.cached_method_report(COFFEE)
    assert report is not None
    assert report.source == supplier_contracts.MethodSource.DEPRECATED
    assert report.ignored == (("Applepay", "Googlepay") if naming == "general" else ())


def test_no_common_method_is_refused_and_staff_are_told_why(
    flow: Flow,
    reset: None,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    admin_client: Client,
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "PAYMENT_METHODS": ["prepaid"]}
    control.set_contract_methods(COFFEE, ["creditcard"])  # answered: Creditcard and the wallets
    order = flow.order()
    caplog.set_level(logging.ERROR, logger="secu_marketplace")
    with pytest.raises(CheckoutError, match="No payment method"):
        flow.checkout(order)
    [line] = [r for r in caplog.records if "no payment method" in r.getMessage()]
    assert line.levelno == logging.ERROR
    text = line.getMessage()
    assert COFFEE in text
    assert "Musterhändler Kaffee & Tee" in text
    assert "'Applepay'" in text  # the names secuconnect answered
    coffee = Supplier.objects.get(contract_id=COFFEE)
    page = _change_page(admin_client, coffee)
    assert "secu-supplier-note" in page
    assert "buyers cannot pay for this supplier" in page
    assert "ignored (no Smart Checkout method): Applepay, Googlepay" in page


# --- suppliers waiting for secupay's approval ------------------------------------------------


@pytest.fixture
def newcomer(flow: Flow) -> Supplier:
    """A supplier onboarded just now: its contract is not approved yet."""
    supplier = Supplier.objects.create(name="Musterhändler Garten", fee_rate=200)
    onboarding.onboard(supplier, application())
    supplier.refresh_from_db()
    assert supplier.contract_approved is False
    return supplier


def test_an_unapproved_supplier_is_refused_by_default(
    flow: Flow,
    newcomer: Supplier,
    calls: Callable[[str], int],
    caplog: pytest.LogCaptureFixture,
    admin_client: Client,
) -> None:
    coffee, _furniture = guide_suppliers()
    order = _order(coffee, newcomer)
    with pytest.raises(CheckoutError, match="Musterhändler Garten") as refused:
        flow.checkout(order)
    assert "waiting for secupay's approval" in str(refused.value)
    assert calls("smart.create") == 0
    assert newcomer.contract_id in caplog.text
    listing = admin_client.get("/admin/secu_marketplace/supplier/").content.decode()
    assert "waiting for secupay&#x27;s approval" in listing
    page = _change_page(admin_client, newcomer)
    assert "are refused until secupay approves it" in page


def test_an_unapproved_supplier_is_allowed_with_the_policy_allow(
    flow: Flow,
    newcomer: Supplier,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    admin_client: Client,
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "UNAPPROVED_SUPPLIERS": "allow"}
    coffee, _furniture = guide_suppliers()
    order = _order(coffee, newcomer)
    caplog.set_level(logging.WARNING, logger="secu_marketplace")
    started = flow.checkout(order)
    [warning] = [r for r in caplog.records if "UNAPPROVED_SUPPLIERS = allow" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert newcomer.contract_id in warning.getMessage()
    flow.pay(started.attempt)
    flow.come_back(started.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    page = _change_page(admin_client, newcomer)
    assert "go ahead all the same" in page


def test_approval_flips_when_the_admin_refreshes_after_secupay_approves(
    flow: Flow, newcomer: Supplier, admin_client: Client, calls: Callable[[str], int]
) -> None:
    assert "waiting for secupay" in _change_page(admin_client, newcomer)
    control.approve_contract(newcomer.contract_id)
    answer = admin_client.post(
        "/admin/secu_marketplace/supplier/",
        {"action": "refresh_contracts", "_selected_action": [newcomer.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.contract_approved is True
    page = _change_page(admin_client, newcomer)
    assert "secu-supplier-note" not in page
    coffee, _furniture = guide_suppliers()
    order = _order(coffee, newcomer)
    started = flow.checkout(order)
    assert started.attempt.state == AttemptState.OPEN


# --- a lost requestId answer, settled from the contract list --------------------------------


def _lose_the_answer(supplier: Supplier) -> Contract:
    control.inject("contracts.request_id", "drop_response")
    with pytest.raises(OnboardingError, match="lost"):
        onboarding.onboard(supplier, application())
    supplier.refresh_from_db()
    assert supplier.contract_state == Supplier.ContractState.UNKNOWN
    return Contract.objects.get(project="Musterhändler Garten")


def test_a_lost_request_is_settled_by_confirming_the_contract_proposed_from_the_list(
    flow: Flow, admin_client: Client, calls: Callable[[str], int]
) -> None:
    garden = Supplier.objects.create(name="Musterhändler Garten")
    made = _lose_the_answer(garden)
    # A child of the marketplace's contract that a supplier already holds is never proposed.
    coffee_child = flow.sandbox.post(
        f"/api/v2/Payment/Contracts/{world.GUIDE_CONTRACT}/requestId",
        application(project="Schon vergeben").body(),
    ).json()["id"]
    Supplier.objects.create(name="Vergeben", contract_id=coffee_child)
    settle = f"/admin/secu_marketplace/supplier/{garden.pk}/settle/"
    page = admin_client.get(settle).content.decode()
    assert 'id="secu-proposals"' in page
    assert made.contract_id in page
    assert coffee_child not in page
    assert "outside the request" not in page  # created in the window
    assert calls("contracts.list") >= 1
    garden.refresh_from_db()
    assert garden.contract_id == ""  # proposed, not adopted
    answer = admin_client.post(settle, {"proposal": made.contract_id})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    garden.refresh_from_db()
    assert garden.contract_id == made.contract_id
    assert garden.contract_state == Supplier.ContractState.ACTIVE
    assert garden.contract_approved is False
    assert calls("contracts.request_id") == 2  # the lost one and the other supplier's: no twin


def test_a_proposal_must_be_chosen_on_purpose(flow: Flow, admin_client: Client) -> None:
    garden = Supplier.objects.create(name="Musterhändler Garten")
    made = _lose_the_answer(garden)
    settle = f"/admin/secu_marketplace/supplier/{garden.pk}/settle/"
    both = admin_client.post(settle, {"proposal": made.contract_id, "none_created": "on"})
    assert both.status_code == 200
    assert "Either confirm a proposed contract" in both.content.decode()
    stranger = admin_client.post(settle, {"proposal": "GCR_" + "1" * 30})
    assert stranger.status_code == 200
    garden.refresh_from_db()
    assert garden.contract_id == ""


def test_an_unreadable_list_falls_back_to_asking_staff(
    flow: Flow, admin_client: Client, reset: None
) -> None:
    garden = Supplier.objects.create(name="Musterhändler Garten")
    made = _lose_the_answer(garden)
    control.inject("contracts.list", "http_503", times=None)
    settle = f"/admin/secu_marketplace/supplier/{garden.pk}/settle/"
    page = admin_client.get(settle).content.decode()
    assert "could not be read just now" in page
    answer = admin_client.post(settle, {"contract_id": made.contract_id})
    assert answer.status_code == 302
    garden.refresh_from_db()
    assert garden.contract_id == made.contract_id


# --- code 4028 ------------------------------------------------------------------------------


def test_a_contract_without_mixed_baskets_is_a_clear_checkout_error(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    control.set_contract_mixed_basket(world.GUIDE_CONTRACT, False)
    order = flow.order()
    caplog.set_level(logging.ERROR, logger="secu_marketplace")
    with pytest.raises(CheckoutError, match="4028") as refused:
        flow.checkout(order)
    assert "mixed baskets" in str(refused.value)
    assert world.GUIDE_CONTRACT in str(refused.value)
    assert any("code 4028" in r.getMessage() for r in caplog.records)
    assert order.attempts.get().state == AttemptState.FAILED
    # The buyer's "Pay now" does not crash either: they are sent to the order's page.
    answer = flow.browser.post(f"/payments/pay/{order.public_token}/")
    assert answer.status_code == 303
    control.set_contract_mixed_basket(world.GUIDE_CONTRACT, True)
    started = flow.checkout(order)
    assert started.attempt.state == AttemptState.OPEN


# --- the payment instrument ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "words"), [("debit", "bank account"), ("creditcard", "credit card")]
)
def test_staff_see_the_payment_instrument(
    flow: Flow, admin_client: Client, method: str, words: str
) -> None:
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, method)
    flow.come_back(started.attempt)
    started.attempt.refresh_from_db()
    container = flow.sandbox.stx(str(started.attempt.stx_id))["container"]
    assert started.attempt.snapshot["container"]["type"] == container["type"]
    page = admin_client.get(f"/admin/secu_marketplace/order/{order.pk}/change/").content.decode()
    assert f"{words} {container['id']}" in page


def test_secu_check_names_a_supplier_waiting_for_approval(flow: Flow, newcomer: Supplier) -> None:
    out = io.StringIO()
    call_command("secu_check", stdout=out)
    assert f"{newcomer.contract_id} is waiting for secupay's approval" in out.getvalue()
    control.approve_contract(newcomer.contract_id)
    out = io.StringIO()
    call_command("secu_check", stdout=out)
    assert "waiting for secupay's approval" not in out.getvalue()
