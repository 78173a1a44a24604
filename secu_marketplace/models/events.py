"""The timeline: one row per real change, whatever learned of it."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.attempts import CheckoutAttempt
from secu_marketplace.models.orders import Order
from secu_marketplace.rules.statuses import (
    DeadlineStep,
    DisputeState,
    OrderStatus,
    RefundState,
    Source,
)


class StatusEvent(models.Model):
    class Subject(models.TextChoices):
        ORDER = "order", _("order")
        ATTEMPT = "attempt", _("Smart Transaction")
        PAYMENT = "payment", _("Payment Transaction")
        REFUND = "refund", _("refund")
        SHIPPING = "shipping", _("shipping")
        DISPUTE = "dispute", _("dispute")
        DEADLINE = "deadline", _("payment deadline")
        HOLD = "hold", _("held payout")
        ERASURE = "erasure", _("buyer's data erased")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    attempt = models.ForeignKey(
        CheckoutAttempt, on_delete=models.SET_NULL, related_name="events", null=True, blank=True
    )
    subject = models.CharField(_("subject"), max_length=10, choices=Subject.choices)
    from_status = models.CharField(_("from"), max_length=40, blank=True)
    to_status = models.CharField(_("to"), max_length=40)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return (
            f"{self.get_subject_display()}: {self.status_word(self.from_status)} → "
            f"{self.status_word(self.to_status)} ({self.get_source_display()})"
        )

    def status_word(self, value: str) -> str:
        """A status as staff read it: the order's and a refund's in our labels; a Smart or
        Payment Transaction's in secuconnect's own words, as secuOffice shows them."""

        by_subject: dict[str, dict[str, Any]] = {
            self.Subject.ORDER: dict(OrderStatus.choices),
            self.Subject.REFUND: dict(RefundState.choices),
            self.Subject.DISPUTE: dict(DisputeState.choices),
            self.Subject.DEADLINE: dict(DeadlineStep.choices),
        }
        labels = by_subject.get(self.subject, {})
        return str(labels.get(value, value)) if value else "–"
