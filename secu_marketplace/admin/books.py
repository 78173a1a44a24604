"""The books in the admin: the payouts secuconnect reported (each with its lines and what they
were matched to), the lines that could not be matched, the supplier ledger for a month (every
supplier with its balance, as a page and as CSV), and the accounting exports (CSV, DATEV).

Everything shown comes from ``read.books`` (and the exports from ``services.exports``, which
add up the same movements). Payouts are secuconnect's record: nothing here edits one. Seeing
the ledger and exporting need "view payout".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from secu_marketplace.admin.inlines import ReadOnlyAdmin, ReadOnlyInline
from secu_marketplace.exceptions import ProcessingError, SecuconnectError
from secu_marketplace.models import Payout, PayoutLine
from secu_marketplace.money import format_money
from secu_marketplace.provider.payouts import AMOUNT_FIELDS
from secu_marketplace.read.books import supplier_ledger
from secu_marketplace.services import payouts
from secu_marketplace.services.exports import ExportFormat, day_range, export, ledger_csv


class LineInline(ReadOnlyInline):
    model = PayoutLine
    fields = ("provider_id", "trans_id", "sub_basket", "payout_amount", "unmatched")
    readonly_fields = fields
    verbose_name_plural = _("what the payout settles")


class MatchedFilter(admin.SimpleListFilter):
    title = _("matched")
    parameter_name = "matched"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("not matched")), ("yes", _("matched"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        field = "unmatched" if queryset.model is PayoutLine else "unmatched__gt"
        value = "" if queryset.model is PayoutLine else 0
        if self.value() == "no":
            return queryset.exclude(**{field: value})
        if self.value() == "yes":
            return queryset.filter(**{field: value})
        return queryset


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )

    def first_day(self) -> date:
        text = self.cleaned_data.get("month") if self.is_valid() else ""
        try:
            first = date.fromisoformat(f"{text}-01") if text else month_start(timezone.localdate())
        except ValueError:
            return month_start(timezone.localdate())
        # The last month the app can count to its end (the month after must exist).
        return first if first.year < date.max.year else month_start(timezone.localdate())


class ExportForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            (ExportFormat.CSV.value, _("CSV: every payment, refund, chargeback, fee and payout")),
            (ExportFormat.DATEV.value, _("DATEV Buchungsstapel (EXTF)")),
            (ExportFormat.LEDGER.value, _("CSV: the supplier ledger")),
        ],
    )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "owner",
        "purpose",
        "amount_display",
        "fees_display",
        "unmatched",
    )
    list_filter = ("for_marketplace", MatchedFilter, "supplier", "date")
    list_select_related = ("supplier",)
    search_fields = ("purpose", "contract_id", "supplier__name", "=lines__trans_id")
    inlines = [LineInline]
    actions = ["export_books"]
    # Who was paid and when, then secuconnect's breakdown (the abstract base's fields would come
    # first otherwise); the merchant id is secuconnect's internal one.
    fields = (
        "contract_id",
        "supplier",
        "for_marketplace",
        "receiver",
        "purpose",
        "date_text",
        "date",
        "currency",
        *AMOUNT_FIELDS,
        "unmatched",
        "created",
        "updated",
    )

    @admin.display(description=_("paid to"))
    def owner(self, obj: Payout) -> str:
        if obj.for_marketplace:
            return gettext("the marketplace")
        return str(obj.supplier.name) if obj.supplier else gettext("not known")

    @admin.display(description=_("paid out"), ordering="payout_amount")
    def amount_display(self, obj: Payout) -> str:
        return format_money(obj.payout_amount, obj.currency)

    @admin.display(description=_("marketplace fees"))
    def fees_display(self, obj: Payout) -> str:
        return format_money(obj.stakeholder_amount, obj.currency)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("ledger/", view(self.ledger_view), name="secu_marketplace_payout_ledger"),
            path("export/", view(self.export_view), name="secu_marketplace_payout_export"),
            *super().get_urls(),
        ]

    def _allowed(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def ledger_view(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        form = MonthForm(request.GET or None)
        first = form.first_day()
        since, until = day_range(first, next_month(first) - timedelta(days=1))
        rows = supplier_ledger(since=since, until=until)
        if request.GET.get("csv"):
            response = HttpResponse(ledger_csv(rows), content_type="text/csv; charset=utf-8")
            name = f"secu-marketplace-ledger-{first:%Y-%m}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Supplier ledger"),
            "form": form,
            "month": first,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/secu_marketplace/payout/ledger.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        today = timezone.localdate()
        initial = {"first": month_start(today), "last": today, "format": ExportFormat.CSV}
        form = ExportForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                made = export(data["format"], data["first"], data["last"])
            except ProcessingError as error:
                form.add_error(None, str(error))
            else:
                response = HttpResponse(made.content, content_type=made.content_type)
                response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
                return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Export the books"),
            "form": form,
        }
        return TemplateResponse(request, "admin/secu_marketplace/payout/export.html", context)

    @admin.action(description=_("Export the books…"), permissions=["view"])
    def export_books(self, request: HttpRequest, queryset: QuerySet[Payout]) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:secu_marketplace_payout_export"))


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyAdmin):
    """Every record of every payout; staff filter for those that could not be matched."""

    list_display = ("provider_id", "payout", "trans_id", "sub_basket", "payout_amount", "unmatched")
    list_filter = (MatchedFilter,)
    list_select_related = ("payout", "sub_basket")
    search_fields = ("provider_id", "=trans_id", "payout__purpose")
    # The record and its match, then secuconnect's breakdown; the stored answer stays out.
    fields = (
        "payout",
        "provider_id",
        "trans_id",
        "amount",
        "payment",
        "sub_basket",
        "unmatched",
        *AMOUNT_FIELDS,
    )


def supplier_section(supplier: Any) -> dict[str, Any]:
    """The supplier page's books: this month's movements added up, the balance still to come,
    the newest payouts."""
    first = month_start(timezone.localdate())
    since, until = day_range(first, next_month(first) - timedelta(days=1))
    return {
        "month": first,
        "rows": supplier_ledger(since=since, until=until, supplier=supplier),
        "payouts": list(Payout.objects.filter(supplier=supplier).order_by("-date", "-pk")[:5]),
    }


@admin.action(
    description=_("Ask secuconnect for the balance (transferBalance)"), permissions=["books"]
)
def read_balances(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    """What secuconnect says each contract may be paid out now, as a message."""
    for supplier in queryset.exclude(contract_id=""):
        try:
            balances = payouts.transfer_balance(supplier.contract_id)
        except SecuconnectError as error:
            modeladmin.message_user(request, f"{supplier.name}: {error}", messages.ERROR)
            continue
        shown = ", ".join(format_money(amount, currency) for currency, amount in balances.items())
        modeladmin.message_user(
            request,
            gettext("%(name)s: secuconnect holds %(balance)s for payout.")
            % {"name": supplier.name, "balance": shown or format_money(0, "EUR")},
            messages.INFO,
        )
