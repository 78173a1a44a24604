"""Checkout attempts (one Smart Transaction each) and the Payment Transactions they produce.

An order may need several attempts (the buyer's card is declined, they try again); at most one
of them is open at a time, which the partial unique constraint guarantees even when two requests
race. Every provider id we are given is kept: the STX id, the leading PCI, one PCI per
sub-basket, refund PCIs, trans_id and the legacy transaction hash.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.orders import Order, SubBasket
from secu_marketplace.rules.payments import SIMPLE_STATUS_TEXT
from secu_marketplace.rules.statuses import OPEN_ATTEMPT_STATES, AttemptState, PaymentRole


def new_attempt_key() -> str:
    return secrets.token_urlsafe(24)


class CheckoutAttempt(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    # The secret behind the signed tokens in this attempt's return and push URLs.
    key = models.CharField(max_length=64, unique=True, default=new_attempt_key, editable=False)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=AttemptState.choices,
        default=AttemptState.CREATING,
        db_index=True,
    )
    stx_id = models.CharField(
        _("Smart Transaction"), max_length=40, unique=True, null=True, blank=True
    )
    provider_status = models.CharField(_("provider status"), max_length=20, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=20, blank=True)
    preselected_method = models.CharField(_("preselected method"), max_length=20, blank=True)
    trans_id = models.BigIntegerField(_("trans_id"), null=True, blank=True)
    checkout_url = models.URLField(_("checkout URL"), max_length=2000, blank=True)
    # What the Smart Transaction was created with; every answer is checked against these.
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    contract_id = models.CharField(_("contract"), max_length=34)
    is_demo = models.BooleanField(_("demo"), default=False)
    basket_fingerprint = models.CharField(max_length=64, blank=True)
    # How the buyer last came back (success, error, abort): a hint for the page, never a status.
    returned_via = models.CharField(_("returned via"), max_length=10, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    # When the create call was sent: until the landing window has passed since then, a search
    # that does not find the Smart Transaction does not prove it was never made.
    create_sent_at = models.DateTimeField(_("create sent at"), null=True, blank=True)
    snapshot = models.JSONField(_("provider snapshot (redacted)"), null=True, blank=True)
    last_error = models.JSONField(_("last error"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True, db_index=True)
    # Set while a secu_sync run holds it: a run started meanwhile skips it, even with min-age 0
    # (its own clock would call a just-stamped attempt due again). Expires if the run dies.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The provider's own "updated" of the snapshot we hold: an older answer never replaces it.
    provider_updated = models.DateTimeField(null=True, blank=True)
    # When the answer last applied was asked for: an answer asked for before it is older,
    # even within one of secuconnect's whole seconds (rules.decide.is_stale).
    answer_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("checkout attempt")
        verbose_name_plural = _("checkout attempts")
        ordering = ["order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="secu_attempt_number_unique"),
            # Double clicks and two tabs can never open a second Smart Transaction for one order.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(state__in=sorted(OPEN_ATTEMPT_STATES)),
                name="secu_attempt_one_open_per_order",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=[AttemptState.CREATING, AttemptState.UNKNOWN, AttemptState.FAILED]
                )
                | models.Q(stx_id__isnull=False),
                name="secu_attempt_stx_id_once_created",
            ),
        ]

    def __str__(self) -> str:
        return self.stx_id or f"{self.order_id}#{self.number}"


class PaymentTransaction(models.Model):
    attempt = models.ForeignKey(CheckoutAttempt, on_delete=models.CASCADE, related_name="payments")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    sub_basket = models.ForeignKey(
        SubBasket, on_delete=models.CASCADE, related_name="payments", null=True, blank=True
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, related_name="refunds", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=10, choices=PaymentRole.choices)
    pci_id = models.CharField(_("Payment Transaction"), max_length=40, unique=True)
    trans_id = models.BigIntegerField(_("trans_id"), null=True, blank=True, db_index=True)
    transaction_hash = models.CharField(_("transaction hash"), max_length=80, blank=True)
    reference_id = models.CharField(_("reference id"), max_length=50, blank=True)
    status_simple = models.SmallIntegerField(_("simple status"), null=True, blank=True)
    status_simple_text = models.CharField(_("simple status text"), max_length=40, blank=True)
    status = models.IntegerField(_("status"), null=True, blank=True)
    status_text = models.CharField(_("status text"), max_length=80, blank=True)
    amount = models.BigIntegerField(
        _("amount (minor units)"), null=True, blank=True
    )  # negative: refund
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    snapshot = models.JSONField(_("provider snapshot (redacted)"), null=True, blank=True)
    provider_updated = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Payment Transaction")
        verbose_name_plural = _("Payment Transactions")
        ordering = ["attempt", "role", "trans_id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role=PaymentRole.SUB) | models.Q(sub_basket__isnull=False),
                name="secu_payment_sub_has_basket",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=PaymentRole.LEADING) | models.Q(sub_basket__isnull=True),
                name="secu_payment_leading_has_no_basket",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pci_id)

    @property
    def status_label(self) -> str:
        if self.status_simple is None:
            return ""
        return self.status_simple_text or SIMPLE_STATUS_TEXT.get(
            self.status_simple, str(self.status_simple)
        )
