"""Staff review orders and refresh them from secuconnect."""

from __future__ import annotations

from django.test import Client

from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus, PaymentRole
from secu_marketplace.sandbox import control

from .conftest import Flow


def test_order_page_shows_sub_baskets_every_pci_and_the_timeline(
    flow: Flow, admin_client: Client
) -> None:
    order = flow.paid_order()
    page = admin_client.get(f"/admin/secu_marketplace/order/{order.pk}/change/").content.decode()
    for sub in order.sub_baskets.all():
        assert sub.reference_id in page
        assert sub.contract_id in page
    for payment in order.payments.all():
        assert payment.pci_id in page
    assert order.attempts.get().stx_id in page
    assert "Kaffeepads Aromata 20 Stück" in page
    assert "0.80 EUR" in page  # the marketplace fee of sb0, for staff
    assert "at checkout" in page  # the timeline in words, not codes
    assert "awaiting_payment" not in page
    assert "secu-refresh" in page
    # The provider snapshots are shown redacted: the contact secuconnect echoes (with its
    # normalised phone number) is replaced, only the customer's id is kept.
    assert "&quot;redacted&quot;: true" in page
    assert "+495555555555" not in page


def test_changelist_search_finds_orders_by_every_id(flow: Flow, admin_client: Client) -> None:
    order = flow.paid_order()
    other = flow.paid_order()
    sub = order.payments.filter(role=PaymentRole.SUB).first()
    assert sub is not None
    terms = [
        order.reference,
        order.attempts.get().stx_id,
        sub.pci_id,
        str(sub.trans_id),
        str(order.trans_id),
        order.email,
    ]
    for term in terms:
        page = admin_client.get("/admin/secu_marketplace/order/", {"q": term}).content.decode()
        assert f">{order.reference}<" in page, term
        if term != order.email:
            assert f">{other.reference}<" not in page, term


def test_changelist_filters(flow: Flow, admin_client: Client) -> None:
    paid = flow.paid_order("prepaid")
    page = admin_client.get(
        "/admin/secu_marketplace/order/", {"status__exact": "pending"}
    ).content.decode()
    assert paid.reference in page
    page = admin_client.get(
        "/admin/secu_marketplace/order/", {"payment_method__exact": "debit"}
    ).content.decode()
    assert paid.reference not in page
    supplier = paid.sub_baskets.first().supplier  # type: ignore[union-attr]
    page = admin_client.get(
        "/admin/secu_marketplace/order/", {"supplier": supplier.pk}
    ).content.decode()
    assert paid.reference in page


def test_refresh_action_reports_changed_unchanged_and_failed(
    flow: Flow, admin_client: Client
) -> None:
    prepaid = flow.paid_order("prepaid")
    unchanged = flow.paid_order("creditcard")
    leading = prepaid.payments.get(role=PaymentRole.LEADING)
    flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    response = admin_client.post(
        "/admin/secu_marketplace/order/",
        {"action": "refresh_from_secuconnect", "_selected_action": [prepaid.pk, unchanged.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "2 Smart Transactions" in text
    assert "1 changed, 1 unchanged, 0 failed" in text
    prepaid.refresh_from_db()
    assert prepaid.status == OrderStatus.PAID
    assert prepaid.events.filter(to_status="paid", source="admin").exists()

    control.inject("smart.get", "http_503", times=10)
    response = admin_client.post(
        "/admin/secu_marketplace/order/",
        {"action": "refresh_from_secuconnect", "_selected_action": [unchanged.pk]},
        follow=True,
    )
    assert "0 changed, 0 unchanged, 1 failed" in response.content.decode()
    control.clear_faults()


def test_refresh_button_on_the_order_page(flow: Flow, admin_client: Client) -> None:
    order = flow.paid_order("prepaid")
    leading = order.payments.get(role=PaymentRole.LEADING)
    flow.sandbox.post(
        f"/api/v2/Payment/Secupayprepays/{leading.pci_id}/TestChangedPaymentStatus",
        {"new_status_id": 1},
    )
    response = admin_client.post(f"/admin/secu_marketplace/order/{order.pk}/refresh/", follow=True)
    assert response.status_code == 200
    assert "1 changed" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert admin_client.get(f"/admin/secu_marketplace/order/{order.pk}/refresh/").status_code == 302


def test_staff_cannot_edit_amounts_or_status(flow: Flow, admin_client: Client) -> None:
    order = flow.paid_order()
    page = admin_client.get(f"/admin/secu_marketplace/order/{order.pk}/change/").content.decode()
    assert 'name="status"' not in page
    assert 'name="total"' not in page
    assert 'name="email"' in page  # contact details may be corrected
    assert admin_client.get("/admin/secu_marketplace/order/add/").status_code == 403


def test_the_order_search_finds_by_reference_email_and_every_secuconnect_id(
    flow: Flow, admin_client: Client
) -> None:
    paid = flow.paid_order()
    other = flow.order()
    Order.objects.filter(pk=other.pk).update(email="someone@else.example")
    leading = paid.payments.get(role=PaymentRole.LEADING)
    sub = paid.payments.filter(role=PaymentRole.SUB).first()
    assert sub is not None
    stx_id = str(paid.attempts.get().stx_id)

    def found(term: str) -> set[str]:
        page = admin_client.get("/admin/secu_marketplace/order/", {"q": term})
        assert page.status_code == 200
        return {r for r in (paid.reference, other.reference) if f">{r}<" in page.content.decode()}

    assert found(paid.reference[2:]) == {paid.reference}  # part of the reference
    assert found("else.example") == {other.reference}  # part of the e-mail
    assert found(stx_id) == found(stx_id.lower()) == {paid.reference}
    assert found(leading.pci_id) == found(sub.pci_id) == {paid.reference}
    assert found(str(sub.trans_id)) == {paid.reference}  # a sub-transaction's trans_id
    assert found(f"{paid.reference} {stx_id}") == {paid.reference}  # every word must match
    assert found(f"{other.reference} {stx_id}") == set()
    assert found("STX_NOSUCHTRANSACTION") == set()
