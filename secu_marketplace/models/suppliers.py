"""The marketplace's suppliers: each sells under its own secuconnect contract."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.money import percent_of
from secu_marketplace.rules.books import HoldPolicy, held_until_shipped

CONTRACT_ID_VALIDATOR = RegexValidator(
    r"^GCR_[A-Z0-9]{30}$", _("A secuconnect contract id: GCR_ and 30 capital letters or digits.")
)


class Supplier(models.Model):
    class ContractState(models.TextChoices):
        # Entered by hand, or never checked.
        NONE = "", _("not checked")
        # Onboarding: the request is recorded and being sent (services/onboarding.py).
        REQUESTING = "requesting", _("contract being requested")
        # The request's answer was lost: it may have created a contract. Settle it in the admin.
        UNKNOWN = "unknown", _("request outcome unknown")
        # secuconnect answered with a contract but has not confirmed it on reading yet.
        REQUESTED = "requested", _("contract requested")
        ACTIVE = "active", _("known to secuconnect")
        NOT_FOUND = "not_found", _("unknown to secuconnect")

    name = models.CharField(_("name"), max_length=200)
    # Empty until the supplier is onboarded (or its contract id entered by hand).
    contract_id = models.CharField(
        _("secuconnect contract"),
        max_length=34,
        blank=True,
        validators=[CONTRACT_ID_VALIDATOR],
    )
    contract_state = models.CharField(
        _("contract state"), max_length=20, choices=ContractState.choices, blank=True, default=""
    )
    # The contract's ``approved`` as secuconnect last answered it (services/supplier_contracts.py):
    # a contract made by requestId waits for secupay's approval. None: not read yet, or the
    # answer did not say.
    contract_approved = models.BooleanField(
        _("approved by secupay"), null=True, blank=True, editable=False
    )
    merchant_id = models.CharField(_("secuconnect merchant"), max_length=40, blank=True)
    store_id = models.CharField(_("secuconnect store"), max_length=40, blank=True)
    # PaymentInformation (iban, bic, owner, bankname) when a pay-in account was asked for.
    payin_account = models.JSONField(_("pay-in account"), default=dict, blank=True)
    # The unique project name of the contract request; recorded before the request is sent.
    onboarding_project = models.CharField(_("onboarding project"), max_length=255, blank=True)
    onboarding_requested = models.DateTimeField(_("contract requested at"), null=True, blank=True)
    # The new merchant's API key: a credential, kept only when SECU_MARKETPLACE
    # ["STORE_SUPPLIER_APIKEY"] asks for it, and never shown again.
    apikey = models.CharField(_("API key"), max_length=255, blank=True, editable=False)
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
    # Money held until delivery (services/holds.py): this supplier's own rule, else the
    # HOLD_UNTIL_SHIPPED setting's; and its own hold period, else HOLD_DAYS.
    hold = models.CharField(
        _("hold payouts"),
        max_length=10,
        blank=True,
        default=HoldPolicy.SETTING.value,
        choices=[
            (HoldPolicy.SETTING.value, _("as the setting HOLD_UNTIL_SHIPPED says")),
            (HoldPolicy.HOLD.value, _("until shipped and the hold period passed")),
            (HoldPolicy.RELEASE.value, _("never: paid out as soon as paid")),
        ],
    )
    hold_days = models.PositiveSmallIntegerField(
        _("hold period (days)"),
        null=True,
        blank=True,
        help_text=_("Days after shipping before the payout is released; empty: HOLD_DAYS."),
    )

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]
        # Requesting a contract opens an account at secupay: not part of "change supplier".
        permissions = [("onboard_supplier", _("Can request secuconnect contracts for suppliers"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fee_rate__lte=10000), name="secu_supplier_fee_rate_max_100pct"
            ),
            models.UniqueConstraint(
                fields=["contract_id"],
                condition=~models.Q(contract_id=""),
                name="secu_supplier_contract_unique",
            ),
            models.UniqueConstraint(
                fields=["onboarding_project"],
                condition=~models.Q(onboarding_project=""),
                name="secu_supplier_project_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def fee_for(self, basket_sum: int) -> int:
        """The marketplace fee on a sub-basket of ``basket_sum``; never more than the sum."""
        return min(percent_of(basket_sum, self.fee_rate) + self.fee_fixed, basket_sum)

    def holds_payouts(self, setting: bool) -> bool:
        """Whether this supplier's parts are held until shipped (``setting``: the
        ``HOLD_UNTIL_SHIPPED`` setting, which decides unless the supplier has its own rule)."""
        return held_until_shipped(setting, self.hold)
