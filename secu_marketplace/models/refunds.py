"""Refunds and cancellations, per sub-basket (or for the whole order).

A refund is recorded *before* secuconnect is asked (state ``requested``), so a lost answer leaves
a trace; it becomes ``done`` only when secuconnect says the refund transaction was executed (or,
before execution, that the amount was reduced), never on our own word. Refunds made elsewhere
(secuOffice) are found on sync and recorded with ``source`` "external".
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.attempts import PaymentTransaction
from secu_marketplace.models.orders import Order, SubBasket
from secu_marketplace.money import format_money
from secu_marketplace.rules.statuses import RefundKind, RefundState


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    sub_basket = models.ForeignKey(
        SubBasket, on_delete=models.CASCADE, related_name="refunds", null=True, blank=True
    )
    # The transaction that was cancelled: a sub-transaction, or the leading one (whole order).
    target = models.ForeignKey(
        PaymentTransaction, on_delete=models.PROTECT, related_name="cancellations"
    )
    # The refund transaction's id as secuconnect answered it, then the row once synced.
    refund_pci_id = models.CharField(
        _("refund transaction"), max_length=40, blank=True, db_index=True
    )
    refund_transaction = models.OneToOneField(
        PaymentTransaction,
        on_delete=models.SET_NULL,
        related_name="refund_record",
        null=True,
        blank=True,
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=RefundKind.choices, default=RefundKind.REFUND
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RefundState.choices, default=RefundState.REQUESTED
    )
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    # What staff refunded, when they chose lines: [{"line": LineItem id, "description",
    # "quantity", "amount"}] (shipping is a line of its own); [] for a refund by amount.
    lines = models.JSONField(_("refunded lines"), default=list, blank=True)
    # The target's amount when the cancel was sent: a reduction whose answer was lost is
    # settled by reading whether the amount went down since.
    target_amount_before = models.BigIntegerField(null=True, blank=True)
    reduce_stakeholder_payment = models.BooleanField(
        _("reduce the marketplace fee too"), default=False
    )
    source = models.CharField(_("source"), max_length=10)
    error = models.JSONField(_("error"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["order", "created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="secu_refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{format_money(self.amount, self.currency)} ({self.get_state_display()})"

    @property
    def counts(self) -> bool:
        """Whether it takes money off what is left to refund (it is not known to have failed)."""
        return self.state != RefundState.FAILED
