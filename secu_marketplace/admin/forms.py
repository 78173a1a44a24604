"""The forms behind the admin's ship and payment-deadline pages (the refund page's are in
``admin.refund_forms``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models import Order, SubBasket
from secu_marketplace.rules.statuses import DisputeState

WHOLE_ORDER = ""


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
        waiting = order.sub_baskets.select_related("supplier").filter(shipped_at__isnull=True)
        # A part whose money came back (a chargeback) ships once the issue is resolved.
        for sub in waiting.exclude(dispute=DisputeState.OPEN):
            choices.append((str(sub.pk), f"{sub.reference_id} · {sub.supplier.name}"))
        cast(forms.ChoiceField, self.fields["sub_basket"]).choices = choices

    def sub_basket_obj(self) -> SubBasket | None:
        value = self.cleaned_data.get("sub_basket") or WHOLE_ORDER
        return self.order.sub_baskets.get(pk=int(value)) if value else None


class DeadlineForm(forms.Form):
    pay_by = forms.DateTimeField(
        label=_("New deadline"),
        help_text=_("Later than the current one; the buyer is reminded again before it."),
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        if order.pay_by is not None:
            self.fields["pay_by"].initial = order.pay_by + timedelta(days=7)

    def clean_pay_by(self) -> datetime:
        value = self.cleaned_data["pay_by"]
        current = self.order.pay_by
        if value <= timezone.now() or (current is not None and value <= current):
            raise forms.ValidationError(_("Choose a moment after the current deadline."))
        return value
