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
    """Settle a lost request: confirm a proposed contract from secuconnect's list, enter the id
    found in secuOffice, or confirm that none was made. Exactly one of the three."""

    proposal = forms.ChoiceField(
        label=_("Proposed from secuconnect's contract list"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "A contract of the marketplace that no supplier holds. Choose it only after checking "
            "in secuOffice that it is this supplier's."
        ),
    )
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

    def __init__(self, *args: object, proposals: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["proposal"]
        if isinstance(field, forms.ChoiceField):
            field.choices = proposals
        if not proposals:
            del self.fields["proposal"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        chosen = [bool(data.get(k)) for k in ("proposal", "contract_id", "none_created")]
        if sum(chosen) != 1:
            raise forms.ValidationError(
                _(
                    "Either confirm a proposed contract, enter the contract id, or confirm that "
                    "no contract was created."
                )
            )
        return data

    def chosen_contract(self) -> str:
        """The contract staff confirmed or entered; "" when they declared none was made."""
        return str(self.cleaned_data.get("proposal") or self.cleaned_data.get("contract_id") or "")
