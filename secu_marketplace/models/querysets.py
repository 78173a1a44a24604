"""The public read API's querysets: which orders (and which suppliers' parts) are paid,
pending, to ship or shipped, each decided one way, by the same rules the services act on
(``statuses``). A host shop filters with these rather than with status codes of its own:
``Order.objects.paid()``, ``SubBasket.objects.for_supplier(s).to_ship()``.

Per order figures (what is owed, refundable, refunded per supplier) are in
``secu_marketplace.read.balances``; ``order_balance(order)`` gives them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from secu_marketplace.rules.payments import payer_has_paid_q
from secu_marketplace.rules.statuses import (
    EXPIRING_FOR,
    PAYABLE,
    SHIPPABLE,
    UNDER_WAY,
    AttemptState,
    DisputeState,
    OrderStatus,
    PaymentRole,
)

if TYPE_CHECKING:
    from secu_marketplace.models.orders import Order, SubBasket  # noqa: F401  (named in the QuerySet bases below)
    from secu_marketplace.models.suppliers import Supplier


def _related(queryset: models.QuerySet, name: str) -> type[models.Model]:
    """The model behind one of the queryset model's reverse relations. (The models import
    this module for their managers: naming them here would close an import cycle.)"""
    return queryset.model._meta.get_field(name).related_model


def _paid_leading(orders: models.QuerySet) -> models.Exists:
    """The order's leading Payment Transaction (of a settled attempt) says the buyer paid."""
    payments = _related(orders, "payments")
    return models.Exists(
        payments._default_manager.filter(
            payer_has_paid_q(),
            order=models.OuterRef("pk"),
            role=PaymentRole.LEADING,
            attempt__state=AttemptState.SETTLED,
        )
    )


def _unshipped_part(orders: models.QuerySet) -> models.Exists:
    sub_baskets = _related(orders, "sub_baskets")
    return models.Exists(
        sub_baskets._default_manager.filter(order=models.OuterRef("pk"), shipped_at__isnull=True)
    )


class OrderQuerySet(models.QuerySet["Order"]):
    def payable(self) -> OrderQuerySet:
        """Orders the buyer may (still, or again) pay: not started, at checkout, failed or
        aborted."""
        return self.filter(status__in=PAYABLE)

    def paid(self) -> OrderQuerySet:
        """Orders whose buyer's money has arrived at secuconnect: a card payment authorised
        and accepted, a prepayment transferred, an invoice paid (not merely shipped).
        Refunded orders were paid too; ``.exclude(status="refunded")`` leaves them out."""
        return self.filter(_paid_leading(self))

    def pending(self) -> OrderQuerySet:
        """Orders a payment is under way for whose money has not arrived: a prepayment
        waiting for the transfer, an invoice not paid yet (shipped or not)."""
        return self.filter(status__in=UNDER_WAY).exclude(_paid_leading(self))

    def to_ship(self) -> OrderQuerySet:
        """Orders with at least one supplier's part that may ship and has not: paid (for an
        invoice: accepted) and not every part reported shipped."""
        return self.filter(_unshipped_part(self), status__in=SHIPPABLE)

    def shipped(self) -> OrderQuerySet:
        """Orders every part of which has been reported shipped."""
        return self.filter(status=OrderStatus.SHIPPED)

    def disputed(self) -> OrderQuerySet:
        """Orders a supplier's part of which had its money come back (a chargeback, a returned
        debit) and is not resolved: also refunded or cancelled ones, whose status stays."""
        sub_baskets = _related(self, "sub_baskets")
        parts = sub_baskets._default_manager.filter(
            order=models.OuterRef("pk"), dispute=DisputeState.OPEN
        )
        return self.filter(models.Exists(parts))

    def under_deadline(self) -> OrderQuerySet:
        """Orders under a payment deadline: a prepayment waiting for the transfer, an invoice
        secupay accepted (``Order.pay_by`` says until when; ``services.expiry``)."""
        waiting = models.Q(pk__in=[])
        for method, status in EXPIRING_FOR.items():
            waiting |= models.Q(payment_method=method, status=status)
        return self.filter(waiting)

    def needing_review(self) -> OrderQuerySet:
        """Orders staff must look at (``Order.review_reason`` says why)."""
        return self.filter(status=OrderStatus.NEEDS_REVIEW)


class SubBasketQuerySet(models.QuerySet["SubBasket"]):
    def for_supplier(self, supplier: Supplier | int) -> SubBasketQuerySet:
        return self.filter(supplier=supplier)

    def disputed(self) -> SubBasketQuerySet:
        """Parts whose money came back and is not resolved (they may not ship)."""
        return self.filter(dispute=DisputeState.OPEN)

    def to_ship(self) -> SubBasketQuerySet:
        """Parts whose order may ship that have not been reported shipped. A part cancelled
        or refunded in full is still listed: ``order_balance(order)`` says which
        (``part.cancelled``, ``part.left``), and ``ship_sub_basket`` refuses it."""
        return self.filter(shipped_at__isnull=True, order__status__in=SHIPPABLE)

    def shipped(self) -> SubBasketQuerySet:
        return self.filter(shipped_at__isnull=False)
