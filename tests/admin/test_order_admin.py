"""The order admin as staff meet it: method names, not codes; a paid order is a record (who bought
is read-only, only how to reach them may be corrected; no Delete); only an order never sent to
secuconnect can be deleted."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory

from secu_marketplace.admin.orders import RECORD_FIELDS
from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus
from tests.factories import guide_order

pytestmark = pytest.mark.django_db


def change_page(client: Client, order: Order) -> str:
    response = client.get(f"/admin/secu_marketplace/order/{order.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def editable(order: Order, admin_user: object) -> set[str]:
    """The fields the change form would save for ``order``."""
    request = RequestFactory().get("/")
    request.user = admin_user  # type: ignore[attr-defined]
    form = site.get_model_admin(Order).get_form(request, order)
    return set(form.base_fields)


def with_status(status: str, **fields: str) -> Order:
    order = guide_order()
    Order.objects.filter(pk=order.pk).update(status=status, **fields)
    order.refresh_from_db()
    return order


def test_payment_methods_are_named_in_the_list_the_filter_and_the_page(
    admin_client: Client,
) -> None:
    order = with_status(OrderStatus.PAID, payment_method="prepaid")
    listing = admin_client.get("/admin/secu_marketplace/order/").content.decode()
    assert "<span class='secu-hint'>Prepayment</span></td>" in listing  # under the payment
    assert ">Credit card</a>" in listing  # the filter
    assert ">creditcard</a>" not in listing
    assert "Prepayment" in change_page(admin_client, order)


@pytest.mark.parametrize(
    "status", [OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.REFUNDED, OrderStatus.SHIPPED]
)
def test_an_order_with_money_is_read_only_and_cannot_be_deleted(
    admin_client: Client, admin_user: object, status: str
) -> None:
    order = with_status(status)
    page = change_page(admin_client, order)
    assert 'name="forename"' not in page
    assert 'name="street"' not in page
    assert order.street in page  # shown, not editable
    assert "/delete/" not in page
    assert "secu-refund" in page  # the actions staff need stay
    assert editable(order, admin_user) == {"email", "phone"}
    assert admin_client.get(f"/admin/secu_marketplace/order/{order.pk}/delete/").status_code == 403


def test_an_order_that_may_still_be_paid_keeps_its_buyer_editable(
    admin_client: Client, admin_user: object
) -> None:
    order = with_status(OrderStatus.FAILED)
    page = change_page(admin_client, order)
    assert 'name="forename"' in page
    assert 'name="_save"' in page
    assert "/delete/" not in page  # it went to secuconnect: kept
    assert editable(order, admin_user) == {*RECORD_FIELDS, "email", "phone"}


def test_only_an_order_never_sent_to_secuconnect_can_be_deleted(admin_client: Client) -> None:
    order = guide_order()
    assert order.status == OrderStatus.NEW
    assert f"/admin/secu_marketplace/order/{order.pk}/delete/" in change_page(admin_client, order)
    listing = admin_client.get("/admin/secu_marketplace/order/").content.decode()
    assert "delete_selected" not in listing  # no bulk delete: it cannot tell orders apart
    response = admin_client.post(
        f"/admin/secu_marketplace/order/{order.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Order.objects.filter(pk=order.pk).exists()
