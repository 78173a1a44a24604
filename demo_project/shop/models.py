"""The demo shop's catalogue: products per supplier and each supplier's shipping rate.

Prices are integer minor units (cents) of ``CURRENCY``; the supplier itself (its secuconnect
contract and fee rule) is the app's ``secu_marketplace.Supplier``.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models import Supplier

CURRENCY = "EUR"


class Product(models.Model):
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="products", verbose_name=_("supplier")
    )
    name = models.CharField(_("name"), max_length=200)
    article_number = models.CharField(_("article number"), max_length=64, unique=True)
    description = models.TextField(_("description"), blank=True)
    price = models.PositiveIntegerField(
        _("price (cents)"), validators=[MinValueValidator(1)], help_text=_("Gross, in euro cents.")
    )
    tax_rate = models.PositiveSmallIntegerField(
        _("VAT (%)"), default=19, validators=[MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["supplier__name", "name"]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """One flat shipping price per supplier, charged once per order and supplier."""

    supplier = models.OneToOneField(
        Supplier, on_delete=models.CASCADE, related_name="shipping_rate", verbose_name=_("supplier")
    )
    description = models.CharField(_("description"), max_length=100, default="Standardversand")
    price = models.PositiveIntegerField(_("price (cents)"), help_text=_("Gross, in euro cents."))
    tax_rate = models.PositiveSmallIntegerField(
        _("VAT (%)"), default=19, validators=[MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")

    def __str__(self) -> str:
        return f"{self.supplier}: {self.description}"
