"""The marketplace's books: the payouts secuconnect reports, and the money held until delivery.

A ``Payout`` is one transfer secuconnect made to one contract's payout account (a supplier's or
the marketplace's own), as ``GET /Payment/Payouts`` reports it; its ``PayoutLine`` rows are the
records it is made of, one per Payment Transaction it settles (docs/provider.md, "Payouts": what
the evidence leaves open, and the reading the app takes). A line the app can tie to one of its
own sub-transactions names that part (``sub_basket``); one it cannot is kept with the reason,
for staff.

A ``Hold`` is one supplier's part of an order paid with ``payment_context.accrual``: secuconnect
keeps the money until the app revokes the accrual (``revokeAccrual``) once the part has shipped
and the hold period has passed without a refund or a dispute (``services/holds.py``).

Amounts are integer minor units of ``currency``; every row is written by the ledger
(``ledger/payouts.py``, ``ledger/holds.py``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.attempts import PaymentTransaction
from secu_marketplace.models.orders import Order, SubBasket
from secu_marketplace.models.suppliers import Supplier
from secu_marketplace.rules.books import HoldState


class PayoutAmounts(models.Model):
    """secuconnect's breakdown of a payout, in minor units, named as its payout record's fields
    (``provider.payouts.AMOUNT_FIELDS``): a line's own, or a transfer's sums of its lines."""

    payout_amount = models.BigIntegerField(_("paid out (minor units)"), default=0)
    transaction_volume = models.BigIntegerField(_("transaction volume"), default=0)
    refund_amount = models.BigIntegerField(_("refunds"), default=0)
    stakeholder_amount = models.BigIntegerField(_("marketplace fees"), default=0)
    claim_amount = models.BigIntegerField(_("chargebacks"), default=0)
    invoice_amount = models.BigIntegerField(_("secupay's invoices"), default=0)
    misc_amount = models.BigIntegerField(_("other"), default=0)

    class Meta:
        abstract = True


class Payout(PayoutAmounts):
    """One transfer to one contract's payout account: the lines that share its merchant,
    purpose and date. Its amounts are the sums of its lines."""

    # The contract paid: the supplier's, or the marketplace's own (``for_marketplace``); empty
    # while the app cannot tell (then ``supplier`` is empty too, and staff see it listed).
    contract_id = models.CharField(_("contract"), max_length=34, blank=True)
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="payouts",
        null=True,
        blank=True,
        verbose_name=_("supplier"),
    )
    for_marketplace = models.BooleanField(_("the marketplace's own"), default=False)
    merchant_id = models.CharField(_("secuconnect merchant"), max_length=40, blank=True)
    receiver = models.CharField(_("recipient"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    date_text = models.CharField(_("date as answered"), max_length=40, blank=True)
    date = models.DateTimeField(_("paid out"), null=True, blank=True, db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    unmatched = models.PositiveIntegerField(_("lines not matched"), default=0)
    created = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant_id", "purpose", "date_text", "currency"],
                name="secu_payout_one_transfer",
            ),
        ]

    def __str__(self) -> str:
        return self.purpose or f"payout {self.pk}"


class PayoutLine(PayoutAmounts):
    """One record of ``GET /Payment/Payouts``: what one Payment Transaction (``trans_id``)
    contributed to the transfer, with secuconnect's breakdown."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    provider_id = models.CharField(_("payout record"), max_length=80, unique=True)
    trans_id = models.BigIntegerField(_("trans_id"), null=True, blank=True, db_index=True)
    amount = models.BigIntegerField(_("amount"), default=0)
    # What it was matched to: one of the app's sub-transactions and its part.
    payment = models.ForeignKey(
        PaymentTransaction,
        on_delete=models.SET_NULL,
        related_name="payout_lines",
        null=True,
        blank=True,
    )
    sub_basket = models.ForeignKey(
        SubBasket,
        on_delete=models.SET_NULL,
        related_name="payout_lines",
        null=True,
        blank=True,
        verbose_name=_("sub-basket"),
    )
    # Why it could not be matched; empty once it is.
    unmatched = models.CharField(_("not matched because"), max_length=200, blank=True)
    snapshot = models.JSONField(_("provider record (redacted)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ["payout", "trans_id", "pk"]

    def __str__(self) -> str:
        return str(self.provider_id)


class Hold(models.Model):
    """One supplier's part whose payout secuconnect holds (``accrual``) until the app releases
    it."""

    sub_basket = models.OneToOneField(
        SubBasket, on_delete=models.CASCADE, related_name="hold", verbose_name=_("sub-basket")
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    payment = models.ForeignKey(PaymentTransaction, on_delete=models.CASCADE, related_name="holds")
    state = models.CharField(
        _("state"), max_length=10, choices=HoldState.choices, default=HoldState.HELD
    )
    # False: released as soon as the payment is in (the supplier is not held, the order is).
    until_shipped = models.BooleanField(_("until shipped"), default=True)
    days = models.PositiveSmallIntegerField(_("days after shipping"), default=0)
    reason = models.CharField(_("why"), max_length=200, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    created = models.DateTimeField(_("held since"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("held payout")
        verbose_name_plural = _("held payouts")
        ordering = ["state", "created", "pk"]
        # Releasing money by hand, or keeping it, is not part of "change order".
        permissions = [("release_hold", _("Can release or keep held payouts"))]

    def __str__(self) -> str:
        return f"{self.sub_basket} ({self.get_state_display()})"
