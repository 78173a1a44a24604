"""The refund page's form and its confirmation: staff choose a supplier's part (nothing is
chosen for them), then lines and quantities and/or the shipping, or an amount, or everything
left, and a reason; the confirmation names the supplier, the amount, the buyer and what is left.
Nothing is sent to secuconnect before staff confirm (``admin.refunding``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import LineItem
from secu_marketplace.money import exponent, format_money, to_decimal, to_minor
from secu_marketplace.read.balances import OrderBalance, PartBalance
from secu_marketplace.read.words import dispute_chip, part_payment_chip
from secu_marketplace.rules.refund_lines import Chosen, choose, left_of
from secu_marketplace.services.refunds import REASON_RE

WHOLE_ORDER = "order"
LINE = "line_"


@dataclass
class Preview:
    """What the confirmation page says, and what the refund service is then asked."""

    balance: OrderBalance
    part: PartBalance | None  # None: the whole order
    amount: int  # minor units; 0 for the whole order (everything left, per part)
    chosen: Chosen | None = None
    parts: list[tuple[str, int]] = field(default_factory=list)  # the whole order, per supplier

    @property
    def currency(self) -> str:
        return self.balance.currency

    @property
    def supplier(self) -> str:
        return self.part.supplier_name if self.part is not None else ""

    @property
    def refund(self) -> bool:
        """Money goes back to the buyer (they paid); else what they owe is reduced."""
        return self.part.paid if self.part is not None else self.balance.paid

    @property
    def total(self) -> int:
        return self.amount if self.part is not None else sum(a for _s, a in self.parts)

    @property
    def part_left_after(self) -> int:
        return self.part.refundable - self.amount if self.part is not None else 0

    @property
    def order_left_after(self) -> int:
        return max(self.balance.left - self.total, 0)

    def money(self, amount: int) -> str:
        return format_money(amount, self.currency)


class RefundForm(forms.Form):
    """One part's refund (``part``), or the whole order's (``part`` None: everything left)."""

    sub_basket = forms.CharField(widget=forms.HiddenInput)
    shipping = forms.BooleanField(label=_("Refund the shipping"), required=False)
    amount = forms.DecimalField(
        label=_("Or an amount"), required=False, min_value=Decimal("0.01"), max_digits=12
    )
    everything = forms.BooleanField(label=_("Or everything left of this part"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=100,
        help_text=_(
            "Shown on the buyer's bank statement: letters, digits, space and . , + - : ? ( ) / '"
        ),
    )
    reduce_stakeholder_payment = forms.BooleanField(
        label=_("Reduce the marketplace fee in proportion"), required=False
    )

    def __init__(
        self, *args: Any, balance: OrderBalance, part: PartBalance | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.balance, self.part = balance, part
        self.fields["sub_basket"].initial = str(part.sub_basket.pk) if part else WHOLE_ORDER
        if part is None:
            for name in ("shipping", "amount", "everything"):
                del self.fields[name]
            return
        currency = balance.currency
        articles = [item for item, _refunded in part.lines if item.kind == LineItem.Kind.ARTICLE]
        for item in articles:
            left = left_of(item, part.refunds.lines)
            self.fields[f"{LINE}{item.pk}"] = forms.IntegerField(
                label=f"{item.description} ({format_money(item.unit_price, currency)})",
                min_value=0,
                max_value=left,
                required=False,
                disabled=left == 0,
                help_text=_("%(left)d of %(ordered)d not refunded yet")
                % {"left": left, "ordered": item.quantity},
            )
        self.order_fields([f"{LINE}{item.pk}" for item in articles])
        self.fields["amount"].help_text = _("%(currency)s; at most %(left)s") % {
            "currency": currency,
            "left": format_money(part.refundable, currency),
        }
        self.fields["everything"].help_text = format_money(part.refundable, currency)

    def line_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith(LINE)]

    def other_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if not name.startswith(LINE)]

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not REASON_RE.match(reason):
            raise forms.ValidationError(
                _("Only letters, digits, space and . , + - : ? ( ) / ' are allowed.")
            )
        return reason

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_error("amount"):
            return data  # an amount that is not one: that error alone, nothing to preview
        if self.part is None:
            if any(p.disputed for p in self.balance.parts):
                # The service refuses it too; staff learn it here, before any confirmation.
                self.add_error(
                    None,
                    _(
                        "A part of this order is disputed (its money came back): refund the "
                        "other parts one by one."
                    ),
                )
                return data
            parts = [(p.supplier_name, p.refundable) for p in self.balance.parts if p.refundable]
            data["preview"] = Preview(self.balance, None, 0, parts=parts)
            return data
        try:
            data["preview"] = self._preview(data, self.part)
        except forms.ValidationError as error:
            self.add_error(None, error)
        return data

    def _amount(self, data: dict[str, Any], part: PartBalance) -> int | None:
        if data.get("amount") is None:
            return part.refundable if data.get("everything") else None
        minor = to_minor(data["amount"], self.balance.currency)
        if to_decimal(minor, self.balance.currency) != data["amount"]:
            places = exponent(self.balance.currency)
            raise forms.ValidationError(
                {"amount": _("At most %(places)d decimal places.") % {"places": places}}
            )
        return minor

    def _preview(self, data: dict[str, Any], part: PartBalance) -> Preview:
        quantities = {
            int(name[len(LINE) :]): int(data.get(name) or 0)
            for name in self.fields
            if name.startswith(LINE)
        }
        amount = self._amount(data, part)
        wants_lines = any(quantities.values()) or data.get("shipping")
        if wants_lines and amount is not None:
            raise forms.ValidationError(
                _("Refund either lines and shipping, or an amount (or everything), not both.")
            )
        chosen = None
        if wants_lines:
            try:
                chosen = choose(
                    part.items,
                    quantities,
                    shipping=bool(data.get("shipping")),
                    refunded=part.refunds.lines,
                )
            except ProcessingError as error:
                raise forms.ValidationError(str(error)) from error
            amount = chosen.amount
        if not amount:
            raise forms.ValidationError(
                _("Choose what to refund: lines, the shipping, an amount or everything left.")
            )
        if amount > part.refundable:
            raise forms.ValidationError(
                _("%(amount)s is more than is left to refund on this part (%(left)s).")
                % {
                    "amount": format_money(amount, self.balance.currency),
                    "left": format_money(part.refundable, self.balance.currency),
                }
            )
        return Preview(self.balance, part, amount, chosen)


def chosen_part(balance: OrderBalance, value: str | None) -> tuple[bool, PartBalance | None]:
    """The part a request names (``sub_basket``): (whether it names one or the whole order,
    the part or None for the whole order)."""
    if value == WHOLE_ORDER:
        return True, None
    part = next((p for p in balance.parts if str(p.sub_basket.pk) == (value or "")), None)
    return part is not None, part


def part_choices(balance: OrderBalance) -> list[dict[str, Any]]:
    """The parts staff choose from, with what is left of each; none is chosen for them."""
    return [
        {
            "value": str(part.sub_basket.pk),
            "part": part,
            "open": bool(part.refundable) and not part.disputed,
            "payment": part_payment_chip(part, balance),
            "dispute": dispute_chip(part.dispute),
        }
        for part in balance.parts
    ]
