"""Calls that move money or report to the buyer, while they are in flight.

A row is the claim "this order's capture (or this sub-basket's shipping report) is being sent
now"; the unique key makes a second, concurrent caller fail to claim and stop before asking
secuconnect. A claim older than the landing window belongs to a process that died: it is taken
over.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.orders import Order


class InFlight(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="in_flight")
    key = models.CharField(_("action"), max_length=80, unique=True)
    created = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("call in flight")
        verbose_name_plural = _("calls in flight")

    def __str__(self) -> str:
        return self.key
