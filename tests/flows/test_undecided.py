"""What no public source decides (docs/provider.md, "Undecided"): the sandbox plays each plausible
answer, and the app must be right under every one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from secu_marketplace.exceptions import OutcomeUnknown
from secu_marketplace.models import Order, Supplier
from secu_marketplace.rules.statuses import AttemptState, OrderStatus, PaymentRole, Source
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import Contract
from secu_marketplace.services import onboarding, refunds
from secu_marketplace.services.onboarding import OnboardingError
from secu_marketplace.services.sync import sync_attempt
from secu_marketplace.views.payment import order_status_url

from .conftest import Flow
from .test_onboarding import application


@pytest.fixture
def switch(flow: Flow) -> Iterator[Callable[[str, object], None]]:
    """Set a sandbox switch for this test; every switch is back to its default afterwards."""
    touched: list[str] = []

    def set_switch(name: str, value: object) -> None:
        touched.append(name)
        control.set_switch(name, value)

    yield set_switch
    control.reset_switches()


@pytest.mark.parametrize("answer", ["cancelled", "failed"])
def test_a_voided_payment_cancels_the_order_whatever_the_smart_transaction_shows(
    flow: Flow, switch: Callable[[str, object], None], answer: str
) -> None:
    switch("CANCEL_STATUS", answer)
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    flow.come_back(started.attempt)
    refunds.refund(order, reason="Storniert")  # staff cancel before the transfer
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    page = flow.browser.get(order_status_url(order))
    assert b'data-state="cancelled"' in page.content
    assert b'id="secu-retry"' not in page.content  # never invited to pay again
    assert b"DE81850400611005523759" not in page.content


@pytest.mark.parametrize("answer", ["cancelled", "failed"])
def test_an_abandoned_attempt_never_moves_the_order_by_ending(
    flow: Flow, switch: Callable[[str, object], None], answer: str
) -> None:
    switch("ABORT_STATUS", answer)
    order = flow.order()
    first = flow.checkout(order)
    order.email = "other@example.net"  # the basket as sent has changed: a new attempt
    order.save()
    second = flow.checkout(order)
    first.attempt.refresh_from_db()
    assert first.attempt.state == AttemptState.CLOSED
    assert flow.sandbox.stx(str(first.attempt.stx_id))["status"] == answer
    # The old attempt's end reaches us (reconciliation, an old tab's return URL): no effect.
    sync_attempt(first.attempt, source=Source.RECONCILE)
    flow.come_back(first.attempt, "error")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    first.attempt.refresh_from_db()
    assert first.attempt.state == AttemptState.CLOSED
    flow.pay(second.attempt, "creditcard")
    flow.come_back(second.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize("answer", ["404", "403"])
def test_a_smart_transaction_secuconnect_will_not_show_sends_the_order_to_review(
    flow: Flow, switch: Callable[[str, object], None], answer: str
) -> None:
    switch("UNKNOWN_ID", answer)
    order = flow.order()
    started = flow.checkout(order)
    # As if the id had been mistyped by staff, or belonged to other credentials.
    type(started.attempt).objects.filter(pk=started.attempt.pk).update(stx_id="STX_" + "Z" * 30)
    started.attempt.refresh_from_db()
    result = sync_attempt(started.attempt, source=Source.ADMIN)
    assert result.reachable
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "does not know" in order.review_reason


@pytest.mark.parametrize("sub_pushes", [True, False])
def test_pushes_bring_the_whole_payment_with_or_without_sub_transaction_pushes(
    flow: Flow, switch: Callable[[str, object], None], sub_pushes: bool
) -> None:
    switch("SUB_PUSHES", sub_pushes)
    order = flow.order()
    started = flow.checkout(order)
    flow.pay(started.attempt, "prepaid")
    leading = flow.sandbox.stx(str(started.attempt.stx_id))["transactions"][0]["id"]
    answer = flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    assert answer.status == 200, answer.text
    delivered = flow.deliver_pushes()  # the only news the app gets: no return, no sync
    assert delivered == (6 if sub_pushes else 2)  # 3 transactions (or 1), 2 changes each
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    parts = order.payments.filter(role=PaymentRole.SUB)
    assert parts.count() == 2
    assert set(parts.values_list("status_simple", flat=True)) == {1}


@pytest.mark.parametrize("spelling", ["merchantRef", "merchant_ref", "both"])
def test_a_lost_create_answer_is_settled_whichever_way_q_spells_the_reference(
    flow: Flow, switch: Callable[[str, object], None], spelling: str, calls: Callable[[str], int]
) -> None:
    switch("QUERY_SPELLING", spelling)
    order: Order = flow.order()
    control.inject("smart.create", "drop_response")
    with pytest.raises(OutcomeUnknown):
        flow.checkout(order)
    again = flow.checkout(order)
    assert calls("smart.create") == 1  # found, not created twice
    assert again.attempt.stx_id
    flow.pay(again.attempt)
    flow.come_back(again.attempt)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize("naming", ["smart", "general"])
def test_a_buyer_pays_whichever_names_the_deprecated_method_list_answers(
    flow: Flow, switch: Callable[[str, object], None], naming: str, calls: Callable[[str], int]
) -> None:
    switch("METHOD_NAMES", naming)
    # A host without the successor endpoint: only the deprecated one tells the methods.
    control.inject("contracts.available_methods", "http_404", times=None)
    try:
        order = flow.order()
        started = flow.checkout(order, method="debit")
        assert calls("contracts.payment_methods") == 2
        flow.pay(started.attempt, "debit")
        flow.come_back(started.attempt)
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
    finally:
        control.clear_faults()


@pytest.mark.parametrize("created", ["created", "read"])
def test_a_lost_contract_request_is_proposed_whatever_created_says(
    flow: Flow, switch: Callable[[str, object], None], created: str, admin_client: Client
) -> None:
    switch("CONTRACT_CREATED", created)
    garden = Supplier.objects.create(name="Musterhändler Garten")
    control.inject("contracts.request_id", "drop_response")
    with pytest.raises(OnboardingError):
        onboarding.onboard(garden, application())
    made = Contract.objects.get(project="Musterhändler Garten")
    # Later than the request could land: a "created" that is the moment of reading is outside.
    control.advance_clock(3600)
    flow.sandbox.authenticate()
    settle = f"/admin/secu_marketplace/supplier/{garden.pk}/settle/"
    page = admin_client.get(settle).content.decode()
    assert made.contract_id in page
    assert ("outside the request" in page) == (created == "read")
    assert admin_client.post(settle, {"proposal": made.contract_id}).status_code == 302
    garden.refresh_from_db()
    assert garden.contract_id == made.contract_id
