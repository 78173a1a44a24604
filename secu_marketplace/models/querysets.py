"""The public read API's querysets: which orders (and which suppliers' parts) are paid,
pending, to ship or shipped, each decided one way, by the same rules the services act on
(``statuses``). A host shop filters with these rather than with status codes of its own:
``Order.objects.paid()``, ``SubBasket.objects.for_supplier(s).to_ship()``.

Per order figures (what is owed, refundable, refunded per supplier) are in
``secu_marketplace.read.balances``; ``order.balance`` gives them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from secu_marketplace.rules.statuses import (
    PAYABLE,
    SHIPPABLE,
    UNDER_WAY,
    AttemptState,
    OrderStatus,
    PaymentRole,
    payer_has_paid_q,
)

if TYPE_CHECKING:
    from secu_marketplace.models.orders import Order, SubBasket  # noqa: F401  (named in the QuerySet bases below)
    from secu_marketplace.models.suppliers import Supplier


def _paid_leading() -> models.Exists:
    """The order's leading Payment Transaction (of a settled attempt) says the buyer paid."""
    from secu_marketplace.models.attempts import PaymentTransaction  # the models import this module

    return models.Exists(
        PaymentTransaction.objects.filter(
            payer_has_paid_q(),
            order=models.OuterRef("pk"),
            role=PaymentRole.LEADING,
            attempt__state=AttemptState.SETTLED,
        )
    )


def _unshipped_part() -> models.Exists:
    from secu_marketplace.models.orders import SubBasket

    return models.Exists(
        SubBasket.objects.filter(order=models.OuterRef("pk"), shipped_at__isnull=True)
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
        return self.filter(_paid_leading())

    def pending(self) -> OrderQuerySet:
        """Orders a payment is under way for whose money has not arrived: a prepayment
        waiting for the transfer, an invoice not paid yet (shipped or not)."""
        return self.filter(status__in=UNDER_WAY).exclude(_paid_leading())

    def to_ship(self) -> OrderQuerySet:
        """Orders with at least one supplier's part that may ship and has not: paid (for an
        invoice: accepted) and not every part reported shipped."""
        return self.filter(_unshipped_part(), status__in=SHIPPABLE)

    def shipped(self) -> OrderQuerySet:
        """Orders every part of which has been reported shipped."""
        return self.filter(status=OrderStatus.SHIPPED)

    def needing_review(self) -> OrderQuerySet:
        """Orders staff must look at (``Order.review_reason`` says why)."""
        return self.filter(status=OrderStatus.NEEDS_REVIEW)


class SubBasketQuerySet(models.QuerySet["SubBasket"]):
    def for_supplier(self, supplier: Supplier | int) -> SubBasketQuerySet:
        return self.filter(supplier=supplier)

    def to_ship(self) -> SubBasketQuerySet:
        """Parts whose order may ship that have not been reported shipped. A part cancelled
        or refunded in full is still listed: ``order.balance`` says which (``part.cancelled``,
        ``part.left``), and ``ship_sub_basket`` refuses it."""
        return self.filter(shipped_at__isnull=True, order__status__in=SHIPPABLE)

    def shipped(self) -> SubBasketQuerySet:
        return self.filter(shipped_at__isnull=False)
