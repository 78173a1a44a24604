"""Suppliers in the admin: their contracts, secupay's approval of them, onboarding (a contract
requested through ``requestId``; ``services/onboarding.py``), the payment methods each
contract accepts, with what secuconnect answered (``services/supplier_contracts.py``), and the
supplier's open and recent parts with their money (``admin.panel``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from secu_marketplace.admin.books import read_balances, supplier_section
from secu_marketplace.admin.onboarding_forms import OnboardingForm, SettleForm
from secu_marketplace.admin.panel import supplier_panel
from secu_marketplace.admin.supplier_notes import (
    approval_text,
    methods_text,
    proposal_choices,
    supplier_notes,
)
from secu_marketplace.exceptions import SecuconnectError
from secu_marketplace.models import Supplier
from secu_marketplace.services import onboarding, supplier_contracts

# Adopting a contract for a supplier is onboarding it (the lead's permission on Supplier).
ONBOARD_PERMISSION = "secu_marketplace.onboard_supplier"


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["secu_marketplace/admin.css"]}

    list_display = (
        "name",
        "contract_id",
        "contract_state",
        "approval",
        "fee_rate",
        "fee_fixed",
        "is_active",
        "order_count",
    )
    list_filter = ("is_active", "contract_state", "contract_approved")
    search_fields = ("name", "contract_id", "email", "onboarding_project")
    readonly_fields = (
        "contract_state",
        "approval",
        "merchant_id",
        "store_id",
        "payin_account",
        "onboarding_project",
        "onboarding_requested",
        "apikey_kept",
        "accepted_methods",
    )
    actions = ["refresh_contracts", read_balances]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The fields that decide where money goes are changed only with their own permission,
        never with "change supplier" alone: the contract and the marketplace's fee with
        ``onboard_supplier`` (a new contract id sends every new order's share there), holding
        the supplier's payouts with ``release_hold`` (setting it to "never" releases them)."""
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_onboard_permission(request):
            fields += ["contract_id", "fee_rate", "fee_fixed"]
        if not request.user.has_perm(f"{self.opts.app_label}.release_hold"):
            fields += ["hold", "hold_days"]
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Supplier]:
        return super().get_queryset(request).annotate(_orders=Count("sub_baskets", distinct=True))

    @admin.display(description=_("orders"), ordering="_orders")
    def order_count(self, obj: Supplier) -> int:
        return int(getattr(obj, "_orders", 0))

    @admin.display(description=_("API key kept"), boolean=True)
    def apikey_kept(self, obj: Supplier) -> bool:
        # Write-only: whether it is stored, never what it is.
        return bool(obj.apikey)

    @admin.display(description=_("secupay's approval"), ordering="contract_approved")
    def approval(self, obj: Supplier) -> str:
        return approval_text(obj)

    @admin.display(description=_("payment methods of the contract"))
    def accepted_methods(self, obj: Supplier) -> str:
        if not obj.contract_id:
            return "-"
        report = supplier_contracts.cached_method_report(obj.contract_id)
        if report is None:
            return gettext("not read yet (use the action “Refresh contracts from secuconnect”)")
        return methods_text(report)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        supplier = Supplier.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        # The supplier's books (this month, the balance still to come, payouts), for staff who
        # may see the ledger ("view payout"), as on the ledger's own page.
        books = supplier is not None and request.user.has_perm(f"{self.opts.app_label}.view_payout")
        extra = {
            **(extra_context or {}),
            "secu_notes": supplier_notes(supplier) if supplier is not None else [],
            "secu_books": supplier_section(supplier) if books and supplier else None,
            # The onboarding buttons, shown only to staff who may use them.
            "secu_may": {"onboard": self.has_onboard_permission(request)},
        }
        if supplier is not None and request.user.has_perm(f"{self.opts.app_label}.view_order"):
            # The supplier's parts are orders (references, amounts, states): for staff who may
            # read orders.
            parts = supplier_panel(supplier)
            extra["secu_part_tables"] = [
                (
                    gettext("Open parts: to ship, unpaid or disputed"),
                    parts["open_parts"],
                    "secu-open-parts",
                ),
                (gettext("Recent parts"), parts["recent_parts"], "secu-recent-parts"),
            ]
        return super().change_view(request, object_id, form_url, extra)

    def has_books_permission(self, request: HttpRequest) -> bool:
        """Seeing a supplier's money (its books, its balance at secuconnect): "view payout"."""
        return bool(request.user.has_perm(f"{self.opts.app_label}.view_payout"))

    def has_onboard_permission(self, request: HttpRequest) -> bool:
        """Requesting a contract opens an account at secupay: a permission of its own."""
        return bool(request.user.has_perm(f"{self.opts.app_label}.onboard_supplier"))

    @admin.action(description=_("Refresh contracts from secuconnect"), permissions=["change"])
    def refresh_contracts(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        for supplier in queryset:
            try:
                supplier_contracts.refresh(supplier)
            except SecuconnectError:
                self.message_user(
                    request,
                    gettext("secuconnect could not be reached for %(name)s.")
                    % {"name": supplier.name},
                    messages.ERROR,
                )
                return
            if supplier.contract_state == Supplier.ContractState.NOT_FOUND:
                self.message_user(
                    request,
                    gettext("secuconnect does not know the contract %(contract)s of %(name)s.")
                    % {"contract": supplier.contract_id, "name": supplier.name},
                    messages.WARNING,
                )
        self.message_user(request, gettext("Contracts refreshed."), messages.SUCCESS)

    # --- onboarding pages ---------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/onboard/",
                view(self.onboard_view),
                name="secu_marketplace_supplier_onboard",
            ),
            path(
                "<path:object_id>/settle/",
                view(self.settle_view),
                name="secu_marketplace_supplier_settle",
            ),
            *super().get_urls(),
        ]

    def _supplier_for(self, request: HttpRequest, object_id: str) -> Supplier:
        supplier = get_object_or_404(Supplier, pk=object_id)
        if not (
            self.has_onboard_permission(request)
            and self.has_view_or_change_permission(request, supplier)
        ):
            raise PermissionDenied
        return supplier

    def _back(self, supplier: Supplier) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:secu_marketplace_supplier_change", args=[supplier.pk])
        )

    def _page(self, request: HttpRequest, supplier: Supplier, **context: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            "admin/secu_marketplace/supplier/onboarding_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": supplier,
                "supplier": supplier,
                **context,
            },
        )

    def onboard_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        supplier = self._supplier_for(request, object_id)
        form = OnboardingForm(request.POST or None, supplier=supplier)
        if request.method == "POST" and form.is_valid():
            try:
                onboarding.onboard(supplier, form.application())
            except onboarding.OnboardingError as error:
                self.message_user(request, str(error), messages.ERROR)
                if onboarding.is_unsettled(supplier):
                    return self._back(supplier)
            else:
                self.message_user(
                    request,
                    gettext("%(name)s has its secuconnect contract %(contract)s.")
                    % {"name": supplier.name, "contract": supplier.contract_id},
                    messages.SUCCESS,
                )
                return self._back(supplier)
        return self._page(
            request,
            supplier,
            form=form,
            form_id="secu-onboard-form",
            title=gettext("Request a secuconnect contract"),
            submit_label=gettext("Request the contract"),
            explanation=gettext(
                "secuconnect creates a contract for %(name)s, cloned from the marketplace's "
                "contract, and pays the supplier's share to the payout account."
            )
            % {"name": supplier.name},
        )

    def settle_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        supplier = self._supplier_for(request, object_id)
        if request.method == "POST" and not request.user.has_perm(ONBOARD_PERMISSION):
            raise PermissionDenied
        found = onboarding.proposals(supplier)
        form = SettleForm(request.POST or None, proposals=proposal_choices(found or []))
        if request.method == "POST" and form.is_valid():
            try:
                if form.chosen_contract():
                    onboarding.settle_with_contract(supplier, form.chosen_contract())
                    done = gettext("%(name)s has its secuconnect contract %(contract)s.") % {
                        "name": supplier.name,
                        "contract": supplier.contract_id,
                    }
                else:
                    onboarding.abandon_request(supplier)
                    done = gettext("The request is closed; %(name)s can be onboarded again.") % {
                        "name": supplier.name
                    }
            except onboarding.OnboardingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return self._back(supplier)
        return self._page(
            request,
            supplier,
            form=form,
            form_id="secu-settle-form",
            title=gettext("Settle the contract request"),
            submit_label=gettext("Settle"),
            explanation=onboarding.unknown_message(supplier),
            proposals=found,
            list_unreadable=found is None,
        )
