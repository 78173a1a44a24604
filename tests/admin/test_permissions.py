"""Money, shipping and onboarding are behind permissions of their own: a view-only user and a
"change order" user can neither see nor run them; a user with them can."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from secu_marketplace.models import Order, PushNotification, Supplier
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.services import capture
from tests.factories import guide_order

pytestmark = pytest.mark.django_db

ORDERS = "/admin/secu_marketplace/order/"
MONEY_ACTIONS = {"capture_payment", "refund_payment", "mark_shipped"}
ROLES = {
    "viewer": ["view_order", "view_supplier", "view_pushnotification"],
    "changer": [
        "view_order",
        "change_order",
        "view_supplier",
        "change_supplier",
        "view_pushnotification",
    ],
    "finance": [
        "view_order",
        "change_order",
        "capture_order",
        "refund_order",
        "ship_order",
        "extend_order_deadline",
        "view_supplier",
        "change_supplier",
        "onboard_supplier",
    ],
}


def staff(role: str) -> Client:
    user = User.objects.create_user(role, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="secu_marketplace", codename__in=ROLES[role]
        )
    )
    client = Client()
    client.force_login(user)
    return client


def offered(client: Client, url: str = ORDERS) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered at all
    return set() if form is None else {name for name, _ in form.fields["action"].choices}


@pytest.fixture
def order() -> Order:
    found = guide_order()
    Order.objects.filter(pk=found.pk).update(status=OrderStatus.AUTHORIZED)
    found.refresh_from_db()
    return found


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Order]:
    """The capture service, recording who reached it (it must not be reached without the
    permission; its own behaviour is tested against the sandbox elsewhere)."""
    reached: list[Order] = []
    monkeypatch.setattr(capture, "capture", lambda order, **_: reached.append(order))
    return reached


@pytest.mark.parametrize("role", ["viewer", "changer"])
def test_without_the_money_permissions_no_money_action_is_offered_or_runs(
    role: str, order: Order, captured: list[Order]
) -> None:
    client = staff(role)
    assert not offered(client) & MONEY_ACTIONS
    answer = client.post(ORDERS, {"action": "capture_payment", "_selected_action": [order.pk]})
    assert answer.status_code in (200, 302)
    assert captured == []
    for view in ("refund", "ship", "deadline"):
        assert client.get(f"{ORDERS}{order.pk}/{view}/").status_code == 403
        assert client.post(f"{ORDERS}{order.pk}/{view}/", {}).status_code == 403
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert 'id="secu-refund"' not in page
    assert 'id="secu-ship"' not in page
    assert 'id="secu-deadline"' not in page


def test_a_view_only_user_cannot_refresh_either(order: Order) -> None:
    client = staff("viewer")
    assert "refresh_from_secuconnect" not in offered(client)
    assert 'id="secu-refresh"' not in client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert client.post(f"{ORDERS}{order.pk}/refresh/").status_code == 403


def test_with_the_money_permissions_they_are_offered_and_run(
    order: Order, captured: list[Order]
) -> None:
    client = staff("finance")
    assert offered(client) >= {*MONEY_ACTIONS, "refresh_from_secuconnect"}
    client.post(ORDERS, {"action": "capture_payment", "_selected_action": [order.pk]})
    assert [o.pk for o in captured] == [order.pk]
    assert client.get(f"{ORDERS}{order.pk}/refund/").status_code == 200
    assert client.get(f"{ORDERS}{order.pk}/ship/").status_code == 200
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert 'id="secu-refund"' in page
    assert 'id="secu-ship"' in page


@pytest.mark.parametrize(("role", "allowed"), [("changer", False), ("finance", True)])
def test_onboarding_needs_its_own_permission(role: str, allowed: bool) -> None:
    supplier = Supplier.objects.create(name="Neuer Händler")
    client = staff(role)
    url = f"/admin/secu_marketplace/supplier/{supplier.pk}/"
    status = 200 if allowed else 403
    assert client.get(f"{url}onboard/").status_code == status
    assert client.get(f"{url}settle/").status_code == status
    page = client.get(f"{url}change/").content.decode()
    assert ('id="secu-onboard"' in page) is allowed


def test_reprocessing_pushes_needs_more_than_viewing(db: Any) -> None:
    PushNotification.objects.create(push_id="evt_x", target="payment.transactions", type="changed")
    assert "process_again" not in offered(
        staff("viewer"), "/admin/secu_marketplace/pushnotification/"
    )
    assert "process_again" in offered(staff("changer"), "/admin/secu_marketplace/pushnotification/")


@pytest.mark.parametrize(("role", "allowed"), [("changer", False), ("finance", True)])
def test_extending_a_payment_deadline_needs_its_own_permission(role: str, allowed: bool) -> None:
    order = guide_order()
    deadline = timezone.now() + timedelta(days=3)
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.PENDING, payment_method="prepaid", pay_by=deadline
    )
    client = staff(role)
    url = f"{ORDERS}{order.pk}/deadline/"
    later = (deadline + timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S")
    answer = client.post(url, {"pay_by": later})
    assert answer.status_code == (302 if allowed else 403)
    order.refresh_from_db()
    assert (order.pay_by > deadline) is allowed  # type: ignore[operator]
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert ('id="secu-deadline"' in page) is allowed
