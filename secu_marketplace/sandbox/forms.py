"""The hosted checkout page's form: customer details (when none were given), method, outcome."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

# Every method the API knows (docs/provider.md, "Payment methods").
METHOD_LABELS = {
    "creditcard": _("Credit card"),
    "debit": _("SEPA direct debit"),
    "easycredit": _("easyCredit instalment purchase"),
    "eps": _("eps bank transfer"),
    "giropay": _("giropay"),
    "invoice": _("Invoice"),
    "paypal": _("PayPal"),
    "prepaid": _("Prepayment (bank transfer)"),
    "sofort": _("Sofort"),
}
OUTCOMES = [
    ("success", _("Payment succeeds")),
    ("declined", _("Payment is declined")),
]


class CheckoutForm(forms.Form):
    method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label=_("Outcome (sandbox only)"),
        choices=OUTCOMES,
        initial="success",
        widget=forms.RadioSelect,
    )
    forename = forms.CharField(label=_("First name"), max_length=100)
    surname = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    street = forms.CharField(label=_("Street"), max_length=200)
    street_number = forms.CharField(label=_("House number"), max_length=20)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, initial="DE")

    CUSTOMER_FIELDS = (
        "forename",
        "surname",
        "email",
        "street",
        "street_number",
        "postal_code",
        "city",
        "country",
    )

    def __init__(self, *args: Any, methods: list[str], ask_customer: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["method"]).choices = [
            (m, METHOD_LABELS.get(m, m)) for m in methods
        ]
        if len(methods) == 1:
            self.fields["method"].initial = methods[0]
        if not ask_customer:
            for name in self.CUSTOMER_FIELDS:
                del self.fields[name]

    def contact(self) -> dict[str, Any] | None:
        if "forename" not in self.fields:
            return None
        data = self.cleaned_data
        return {
            "forename": data["forename"],
            "surname": data["surname"],
            "email": data["email"],
            "address": {
                "street": data["street"],
                "street_number": data["street_number"],
                "postal_code": data["postal_code"],
                "city": data["city"],
                "country": data["country"].upper(),
            },
        }
