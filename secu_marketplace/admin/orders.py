"""Orders in the admin: a list that costs the same few queries however many rows, an order page
with everything secuconnect told us, and actions that each call one service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from secu_marketplace.admin.display import (
    payment_method_label,
    pretty_json,
)
from secu_marketplace.admin.erasure import ErasureAdminMixin
from secu_marketplace.admin.inlines import (
    AttemptInline,
    EventInline,
    PaymentInline,
    RefundInline,
    SubBasketInline,
)
from secu_marketplace.admin.lists import (
    DeadlineFilter,
    DisputeFilter,
    EstimatedCountPaginator,
    PaymentMethodFilter,
    SupplierFilter,
)
from secu_marketplace.admin.processing import ProcessingAdminMixin
from secu_marketplace.models import (
    CheckoutAttempt,
    Order,
    PaymentTransaction,
    Refund,
    SubBasket,
)
from secu_marketplace.money import format_money
from secu_marketplace.read.words import fulfilment_chip, payment_chip
from secu_marketplace.rules.payments import payer_has_paid_q
from secu_marketplace.rules.statuses import (
    PAYABLE,
    AttemptState,
    OrderStatus,
    PaymentRole,
    RefundState,
    Source,
)
from secu_marketplace.services.bulk_sync import RefreshSummary, refresh_orders
from secu_marketplace.templatetags.secu_money import secu_chip

# Who bought, as sent to secuconnect: editable only while the order may still be paid (nothing
# owed or settled yet); after that it is the record of what was sold to whom. The e-mail address
# and phone number stay correctable: they only say how to reach the buyer.
RECORD_FIELDS = (
    "forename",
    "surname",
    "company",
    "street",
    "street_number",
    "additional_address",
    "postal_code",
    "city",
    "country",
    "date_of_birth",
    "language",
)


def summary_message(summary: RefreshSummary) -> str:
    return ngettext(
        "Refreshed %(checked)d Smart Transaction from secuconnect: %(changed)d changed, "
        "%(unchanged)d unchanged, %(failed)d failed.",
        "Refreshed %(checked)d Smart Transactions from secuconnect: %(changed)d changed, "
        "%(unchanged)d unchanged, %(failed)d failed.",
        summary.checked,
    ) % {
        "checked": summary.checked,
        "changed": summary.changed,
        "unchanged": summary.unchanged,
        "failed": summary.failed,
    }


@admin.register(Order)
class OrderAdmin(ErasureAdminMixin, ProcessingAdminMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["secu_marketplace/admin.css"]}

    # At a glance, on a laptop with the navigation sidebar open: the payment and the shipping
    # in words and colour (read.words); the Smart Transaction is on the order page and found
    # by the search.
    list_display = (
        "reference",
        "buyer",
        "total_display",
        "payment_display",
        "fulfilment_display",
        "created_display",
    )
    list_filter = (
        "status",
        DisputeFilter,
        DeadlineFilter,
        PaymentMethodFilter,
        SupplierFilter,
        "created",
    )
    search_fields = ("reference", "email", "=attempts__stx_id", "=payments__pci_id")
    # A second COUNT(*) over every order on each page is not worth its cost on a big table, nor
    # is an exact count of a long list (the paginator estimates those).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ("-created", "-pk")
    actions = [
        "refresh_from_secuconnect",
        "capture_payment",
        "refund_payment",
        "mark_shipped",
        "erase_buyer",
    ]
    inlines = [SubBasketInline, PaymentInline, RefundInline, AttemptInline, EventInline]
    readonly_fields = (
        "reference",
        "public_token",
        "status",
        "currency",
        "total_display",
        "method_display",
        "trans_id",
        "instructions_display",
        "review_reason",
        "created",
        "updated",
        "pay_by",
        "reminded_at",
        "expired_at",
    )
    fieldsets = (
        (None, {"fields": ("reference", "status", "total_display", "currency", "review_reason")}),
        (
            _("Payment"),
            {
                "fields": (
                    "method_display",
                    "trans_id",
                    "instructions_display",
                    ("pay_by", "reminded_at", "expired_at"),
                )
            },
        ),
        (
            _("Buyer"),
            {
                "fields": (
                    ("forename", "surname"),
                    "company",
                    ("email", "phone"),
                    ("street", "street_number"),
                    "additional_address",
                    ("postal_code", "city", "country"),
                    "date_of_birth",
                    "language",
                )
            },
        ),
        (_("Record"), {"classes": ("collapse",), "fields": ("public_token", "created", "updated")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        # Subqueries, not a join with GROUP BY: the COUNT(*) and the filters then never touch
        # the annotations, and each page computes them for its own rows only.
        latest_stx = CheckoutAttempt.objects.filter(
            order=OuterRef("pk"), stx_id__isnull=False
        ).order_by("-number")
        suppliers = (
            SubBasket.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(n=Count("pk"))
            .values("n")
        )
        shipped = suppliers.filter(shipped_at__isnull=False)
        paid = PaymentTransaction.objects.filter(
            payer_has_paid_q(),
            order=OuterRef("pk"),
            role=PaymentRole.LEADING,
            attempt__state=AttemptState.SETTLED,
        )
        refunded = Refund.objects.filter(order=OuterRef("pk")).exclude(state=RefundState.FAILED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                _suppliers=Subquery(suppliers[:1]),
                _shipped=Subquery(shipped[:1]),
                _stx=Subquery(latest_stx.values("stx_id")[:1]),
                _buyer_paid=Exists(paid),
                _refunded=Exists(refunded),
            )
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> Any:
        """Every word must match: a secuconnect id (``STX_``/``PCI_``) exactly, as the order's
        Smart or Payment Transaction; any other word as part of the reference or the e-mail
        (on PostgreSQL a trigram index each, migration 0003, so no row-by-row scan), and a
        number also as a trans_id of the order or of any of its Payment Transactions. Related
        rows are probed (``EXISTS``), never joined: no DISTINCT over every column, which at
        100,000 orders cost more than the rest of the page (benchmarks/admin_changelist.py)."""
        words = search_term.split()
        if not words:
            return queryset, False
        for word in words:
            provider_id = word.upper()  # STX_/PCI_ ids are upper case; the "=" search was iexact
            if provider_id.startswith(("STX_", "PCI_")) and len(provider_id) > 4:
                match = Exists(
                    CheckoutAttempt.objects.filter(order=OuterRef("pk"), stx_id=provider_id)
                ) | Exists(
                    PaymentTransaction.objects.filter(order=OuterRef("pk"), pci_id=provider_id)
                )
            else:
                match = Q(reference__icontains=word) | Q(email__icontains=word)
            if word.isdigit():
                # trans_id is a number: search it exactly, on the order and on every PCI.
                paid = PaymentTransaction.objects.filter(trans_id=int(word)).values("order_id")
                match |= Q(trans_id=int(word)) | Q(pk__in=paid)
            queryset = queryset.filter(match)
        return queryset, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from the shop's checkout, through the builder

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        # Orders are kept: only one never sent to secuconnect may go (no bulk delete, which
        # could not tell them apart).
        if obj is None or obj.status != OrderStatus.NEW or obj.attempts.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status not in PAYABLE:
            fields += RECORD_FIELDS
        return fields

    @admin.display(description=_("buyer"), ordering="surname")
    def buyer(self, obj: Order) -> str:
        return format_html("{}<br><span class='secu-hint'>{}</span>", obj.buyer_name, obj.email)

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, obj: Order) -> str:
        return format_money(obj.total, obj.currency)

    @admin.display(description=_("payment method"), ordering="payment_method")
    def method_display(self, obj: Order) -> str:
        return payment_method_label(obj.payment_method)

    @admin.display(description=_("payment"), ordering="status")
    def payment_display(self, obj: Order) -> str:
        chip = payment_chip(
            obj.status,
            obj.payment_method,
            buyer_paid=bool(getattr(obj, "_buyer_paid", False)),
            refunded=bool(getattr(obj, "_refunded", False)),
            expired=obj.expired_at is not None,
        )
        method = payment_method_label(obj.payment_method) if obj.payment_method else ""
        if not method:
            return secu_chip(chip)
        return format_html("{}<br><span class='secu-hint'>{}</span>", secu_chip(chip), method)

    @admin.display(description=_("created"), ordering="created")
    def created_display(self, obj: Order) -> str:
        when = timezone.localtime(obj.created)
        return format_html(
            "{}<br>{}", date_format(when, "SHORT_DATE_FORMAT"), date_format(when, "TIME_FORMAT")
        )

    @admin.display(description=_("shipping"))
    def fulfilment_display(self, obj: Order) -> str:
        parts, shipped = (
            int(getattr(obj, "_suppliers", 0) or 0),
            int(getattr(obj, "_shipped", 0) or 0),
        )
        return secu_chip(fulfilment_chip(obj.status, parts, shipped))

    @admin.display(description=_("suppliers"), ordering="_suppliers")
    def supplier_count(self, obj: Order) -> int:
        return int(getattr(obj, "_suppliers", 0))

    @admin.display(description=_("Smart Transaction"), ordering="_stx")
    def stx_display(self, obj: Order) -> str:
        return getattr(obj, "_stx", None) or "–"

    @admin.display(description=_("payment instructions"))
    def instructions_display(self, obj: Order) -> str:
        return pretty_json(obj.payment_instructions)

    @admin.action(description=_("Refresh status from secuconnect"), permissions=["change"])
    def refresh_from_secuconnect(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        summary = refresh_orders(list(queryset), source=Source.ADMIN)
        level = messages.WARNING if summary.failed else messages.SUCCESS
        self.message_user(request, summary_message(summary), level)

    # --- the refresh button on the order page -------------------------------------------------

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "<path:object_id>/refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name="secu_marketplace_order_refresh",
            )
        ]
        return custom + super().get_urls()

    def refresh_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = get_object_or_404(Order, pk=object_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        if request.method == "POST":
            self.refresh_from_secuconnect(request, Order.objects.filter(pk=order.pk))
        return HttpResponseRedirect(reverse("admin:secu_marketplace_order_change", args=[order.pk]))
