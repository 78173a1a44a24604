"""The demo shop's part of erasing a buyer: the session's link to the erased order goes (a dry
run only says so)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.test import Client

from demo_project.shop.cart import ORDER_KEY
from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.services import erasure

from .conftest import Catalogue
from .test_cart_kept import place


def _linked() -> int:
    return sum(1 for s in Session.objects.all() if ORDER_KEY in s.get_decoded())


def test_erasing_the_buyer_drops_the_sessions_link_to_the_order(
    client: Client, catalogue: Catalogue
) -> None:
    order = place(client, catalogue)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    assert _linked() == 1
    dry = erasure.erase(erasure.orders_of(reference=order.reference), dry_run=True)
    assert len(dry.shop) == 1
    assert "the order placed from its cart" in dry.shop[0]
    assert _linked() == 1
    erasure.erase(erasure.orders_of(reference=order.reference))
    assert _linked() == 0
