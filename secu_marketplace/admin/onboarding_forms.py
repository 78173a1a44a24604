"""The forms of the supplier onboarding pages: the contract request, and settling a request
whose answer was lost."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from secu_marketplace import iban
from secu_marketplace.models import Supplier
from secu_marketplace.services.onboarding import Application


class OnboardingForm(forms.Form):
    project = forms.CharField(
        label=_("Project name"),
        max_length=255,
        help_text=_("Unique at secuconnect: each contract request needs a name of its own."),
    )
    companyname = forms.CharField(label=_("Company"), max_length=200)
    forename = forms.CharField(label=_("Contact's first name"), max_length=100)
    surname = forms.CharField(label=_("Contact's last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    street = forms.CharField(label=_("Street"), max_length=200)
    street_number = forms.CharField(label=_("House number"), max_length=20)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.RegexField(
        label=_("Country"), regex=r"^[A-Za-z]{2}$", initial="DE", help_text=_("Two letters: DE")
    )
    payout_iban = forms.CharField(
        label=_("Payout account IBAN"), max_length=42, help_text=_("Where the supplier is paid.")
    )
    payout_owner = forms.CharField(label=_("Payout account owner"), max_length=200)
    payin_account = forms.BooleanField(
        label=_("Ask for a pay-in account"),
        required=False,
        help_text=_("An account at secuconnect's bank that buyers can transfer to."),
    )

    def __init__(self, *args: object, supplier: Supplier, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"project": supplier.name, "companyname": supplier.name})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean_payout_iban(self) -> str:
        value = iban.normalise(self.cleaned_data["payout_iban"])
        problem = iban.problem(value)
        if problem:
            raise forms.ValidationError(
                _("Not a valid IBAN: %(problem)s"), params={"problem": problem}
            )
        return value

    def application(self) -> Application:
        """The service's ``Application``; call only after ``is_valid()``."""
        return Application(**self.cleaned_data)


class SettleForm(forms.Form):
    contract_id = forms.CharField(
        label=_("Contract id from secuOffice"),
        max_length=34,
        required=False,
        help_text=_("If the lost request created a contract: its GCR_ id."),
    )
    none_created = forms.BooleanField(
        label=_("No contract was created"),
        required=False,
        help_text=_("Tick after checking secuOffice; the supplier can then be onboarded again."),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("contract_id")) == bool(data.get("none_created")):
            raise forms.ValidationError(
                _("Either enter the contract id or confirm that no contract was created.")
            )
        return data
