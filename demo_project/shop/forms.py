"""The buyer's details at checkout, and the cart's and the order page's small forms."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from secu_marketplace.builder import Buyer

from .cart import MAX_QUANTITY

# The provider guide's buyer, prefilled at checkout so the demo is a few clicks.
GUIDE_BUYER: dict[str, Any] = {
    "email": "max@example.net",
    "forename": "Max",
    "surname": "Mustermann",
    "phone": "+49 555 5555555",
    "street": "Musterstr.",
    "street_number": "55 a",
    "additional_address": "Whg. 203",
    "postal_code": "09123",
    "city": "Musterstadt",
    "country": "DE",
}

COUNTRIES = [
    ("DE", _("Germany")),
    ("AT", _("Austria")),
    ("CH", _("Switzerland")),
    ("LU", _("Luxembourg")),
    ("NL", _("Netherlands")),
    ("BE", _("Belgium")),
    ("FR", _("France")),
    ("DK", _("Denmark")),
    ("PL", _("Poland")),
    ("CZ", _("Czechia")),
]

PAYMENT_METHODS = [
    ("", _("Choose on the payment page")),
    ("prepaid", _("Prepayment (bank transfer)")),
    ("invoice", _("Invoice")),
    ("creditcard", _("Credit card")),
    ("debit", _("Direct debit")),
    ("paypal", _("PayPal")),
]


class CheckoutForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)  # the column's length
    forename = forms.CharField(label=_("First name"), max_length=100)
    surname = forms.CharField(label=_("Last name"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    street = forms.CharField(label=_("Street"), max_length=200)
    street_number = forms.CharField(label=_("House number"), max_length=20)
    additional_address = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="DE")

    def buyer(self) -> Buyer:
        """The builder's ``Buyer``; call only after ``is_valid()``."""
        return Buyer(**self.cleaned_data)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_QUANTITY)


class AddToCartForm(QuantityForm):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )


class PayForm(forms.Form):
    """Rendered on the order page; it POSTs to the app's "Pay now" endpoint, not to the shop."""

    method = forms.ChoiceField(label=_("Payment method"), choices=PAYMENT_METHODS, required=False)

    def __init__(self, *args: Any, accepted: list[str] | None = None, **kwargs: Any) -> None:
        """``accepted``: the methods every supplier's contract takes (None: not known now)."""
        super().__init__(*args, **kwargs)
        if accepted is not None:
            field = cast(forms.ChoiceField, self.fields["method"])
            field.choices = [
                (code, label) for code, label in PAYMENT_METHODS if code in ("", *accepted)
            ]
