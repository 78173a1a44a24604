"""The marketplace's suppliers: each sells under its own secuconnect contract."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.money import percent_of

CONTRACT_ID_VALIDATOR = RegexValidator(
    r"^GCR_[A-Z0-9]{30}$", _("A secuconnect contract id: GCR_ and 30 capital letters or digits.")
)


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=200)
    contract_id = models.CharField(
        _("secuconnect contract"), max_length=34, unique=True, validators=[CONTRACT_ID_VALIDATOR]
    )
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Receives order notifications."))
    # The marketplace fee on a sub-basket: a share of its sum plus a fixed part.
    fee_rate = models.PositiveIntegerField(
        _("fee rate (basis points)"),
        default=0,
        help_text=_("Hundredths of a percent of the sub-basket's sum: 250 is 2.5 %."),
    )
    fee_fixed = models.PositiveBigIntegerField(
        _("fixed fee (minor units)"), default=0, help_text=_("In cents of the order's currency.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fee_rate__lte=10000), name="secu_supplier_fee_rate_max_100pct"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def fee_for(self, basket_sum: int) -> int:
        """The marketplace fee on a sub-basket of ``basket_sum``; never more than the sum."""
        return min(percent_of(basket_sum, self.fee_rate) + self.fee_fixed, basket_sum)
