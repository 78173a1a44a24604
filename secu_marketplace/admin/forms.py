"""The forms behind the admin's confirmation pages: refund, ship."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models import Order, SubBasket
from secu_marketplace.money import exponent, format_money, to_decimal, to_minor
from secu_marketplace.services.refunds import REASON_RE

WHOLE_ORDER = ""


class RefundForm(forms.Form):
    sub_basket = forms.ChoiceField(label=_("What to refund"), required=False)
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to refund everything that is left of the chosen part."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=100,
        required=False,
        help_text=_(
            "Shown on the buyer's bank statement: letters, digits, space and . , + - : ? ( ) / '"
        ),
    )
    reduce_stakeholder_payment = forms.BooleanField(
        label=_("Reduce the marketplace fee in proportion"), required=False
    )

    def __init__(
        self, *args: Any, order: Order, left: dict[int | None, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.left = left
        choices = [
            (
                WHOLE_ORDER,
                _("The whole order (%(left)s left)")
                % {"left": format_money(left.get(None, 0), order.currency)},
            )
        ]
        for sub in order.sub_baskets.select_related("supplier"):
            choices.append(
                (
                    str(sub.pk),
                    f"{sub.reference_id} · {sub.supplier.name} · "
                    + str(
                        _("%(left)s left")
                        % {"left": format_money(left.get(sub.pk, 0), order.currency)}
                    ),
                )
            )
        cast(forms.ChoiceField, self.fields["sub_basket"]).choices = choices
        self.fields["amount"].help_text = f"{self.fields['amount'].help_text} ({order.currency})"

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not REASON_RE.match(reason):
            raise forms.ValidationError(
                _("Only letters, digits, space and . , + - : ? ( ) / ' are allowed.")
            )
        return reason

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sub_id = data.get("sub_basket") or WHOLE_ORDER
        data["sub_basket_obj"] = self.order.sub_baskets.get(pk=int(sub_id)) if sub_id else None
        if data.get("amount") is not None:
            data["amount_minor"] = to_minor(data["amount"], self.order.currency)
            if to_decimal(data["amount_minor"], self.order.currency) != data["amount"]:
                places = exponent(self.order.currency)
                self.add_error(
                    "amount", _("At most %(places)d decimal places.") % {"places": places}
                )
            if sub_id == WHOLE_ORDER:
                raise forms.ValidationError(
                    _("Refund part of an order supplier by supplier: choose the sub-basket.")
                )
        else:
            data["amount_minor"] = None
        return data


class ShipForm(forms.Form):
    sub_basket = forms.ChoiceField(label=_("What was shipped"), required=False)
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    tracking_id = forms.CharField(label=_("Tracking id"), max_length=100, required=False)
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=100, required=False)
    shipped_at = forms.DateTimeField(label=_("Shipped at"), initial=timezone.now)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        choices: list[tuple[str, str]] = [(WHOLE_ORDER, str(_("Everything not shipped yet")))]
        for sub in order.sub_baskets.select_related("supplier").filter(shipped_at__isnull=True):
            choices.append((str(sub.pk), f"{sub.reference_id} · {sub.supplier.name}"))
        cast(forms.ChoiceField, self.fields["sub_basket"]).choices = choices

    def sub_basket_obj(self) -> SubBasket | None:
        value = self.cleaned_data.get("sub_basket") or WHOLE_ORDER
        return self.order.sub_baskets.get(pk=int(value)) if value else None
