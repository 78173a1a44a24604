"""The order page's read-only tables: sub-baskets, checkout attempts, Payment Transactions, the
timeline, refunds; and ``ReadOnlyAdmin``, for the records that are secuconnect's or the app's
own (payouts, held payouts, the push inbox). Nothing here is editable: every change goes
through an action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from secu_marketplace.admin.display import (
    instrument_label,
    items_list,
    payment_method_label,
    pretty_json,
)
from secu_marketplace.models import (
    CheckoutAttempt,
    PaymentTransaction,
    Refund,
    StatusEvent,
    SubBasket,
)
from secu_marketplace.money import format_money


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody adds, edits or deletes these rows in the admin (a superuser neither)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SubBasketInline(ReadOnlyInline):
    model = SubBasket
    fields = (
        "reference_id",
        "supplier",
        "contract_id",
        "sum_display",
        "fee_display",
        "items_display",
    )
    readonly_fields = fields
    verbose_name_plural = _("sub-baskets per supplier")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SubBasket]:
        return (
            super()
            .get_queryset(request)
            .select_related("supplier", "order")
            .prefetch_related("items")
        )

    @admin.display(description=_("sum"))
    def sum_display(self, obj: SubBasket) -> str:
        return format_money(obj.sum, obj.order.currency)

    @admin.display(description=_("marketplace fee"))
    def fee_display(self, obj: SubBasket) -> str:
        return format_money(obj.fee, obj.order.currency)

    @admin.display(description=_("items"))
    def items_display(self, obj: SubBasket) -> str:
        return items_list(list(obj.items.all()), obj.order.currency)


class AttemptInline(ReadOnlyInline):
    model = CheckoutAttempt
    fields = (
        "number",
        "stx_id",
        "state",
        "provider_status",
        "method_display",
        "trans_id",
        "returned_via",
        "created",
        "last_synced_at",
        "error_display",
        "snapshot_display",
    )
    readonly_fields = fields
    verbose_name_plural = _("checkout attempts (Smart Transactions)")

    @admin.display(description=_("payment method"))
    def method_display(self, obj: CheckoutAttempt) -> str:
        instrument = instrument_label(obj.snapshot)
        method = payment_method_label(obj.payment_method)
        return format_html("{}<br>{}", method, instrument) if instrument else method

    @admin.display(description=_("last error"))
    def error_display(self, obj: CheckoutAttempt) -> str:
        return pretty_json(obj.last_error)

    @admin.display(description=_("provider snapshot (redacted)"))
    def snapshot_display(self, obj: CheckoutAttempt) -> str:
        return pretty_json(obj.snapshot)


class PaymentInline(ReadOnlyInline):
    model = PaymentTransaction
    fk_name = "order"
    fields = (
        "pci_id",
        "role",
        "reference_id",
        "trans_id",
        "transaction_hash",
        "amount_display",
        "status_display",
        "attempt",
        "updated",
    )
    readonly_fields = fields
    verbose_name_plural = _("Payment Transactions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentTransaction]:
        return super().get_queryset(request).select_related("attempt", "order")

    @admin.display(description=_("amount"))
    def amount_display(self, obj: PaymentTransaction) -> str:
        return (
            "–"
            if obj.amount is None
            else format_money(obj.amount, obj.currency or obj.order.currency)
        )

    @admin.display(description=_("status"))
    def status_display(self, obj: PaymentTransaction) -> str:
        return obj.status_label or "–"


class EventInline(ReadOnlyInline):
    model = StatusEvent
    fields = ("created", "subject", "from_label", "to_label", "source", "detail")
    readonly_fields = fields
    verbose_name_plural = _("timeline")

    @admin.display(description=_("from"))
    def from_label(self, obj: StatusEvent) -> str:
        return obj.status_word(obj.from_status)

    @admin.display(description=_("to"))
    def to_label(self, obj: StatusEvent) -> str:
        return obj.status_word(obj.to_status)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusEvent]:
        return super().get_queryset(request).order_by("created", "pk")


class RefundInline(ReadOnlyInline):
    model = Refund
    fk_name = "order"
    fields = (
        "created",
        "part_display",
        "kind",
        "amount_display",
        "state",
        "reason",
        "lines_display",
        "source",
        "refund_pci_id",
    )
    readonly_fields = fields
    verbose_name_plural = _("refunds and cancellations")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("sub_basket__supplier")

    @admin.display(description=_("supplier's part"))
    def part_display(self, obj: Refund) -> str:
        if obj.sub_basket is None:
            return str(_("the whole order"))
        return f"{obj.sub_basket.supplier.name} ({obj.sub_basket.reference_id})"

    @admin.display(description=_("amount"))
    def amount_display(self, obj: Refund) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description=_("lines"))
    def lines_display(self, obj: Refund) -> str:
        """ "1 × Kaffeepads, 1 × Standardversand" when staff chose lines; "–" for an amount."""
        lines = [line for line in obj.lines or () if isinstance(line, dict)]  # own data
        return (
            ", ".join(f"{line.get('quantity')} × {line.get('description')}" for line in lines)
            or "–"
        )
