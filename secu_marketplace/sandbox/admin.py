"""The sandbox in the admin: its clients, merchants and contracts are editable; transactions,
pushes, faults and the call log are there to look at."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secu_marketplace.redaction import redact, redact_text
from secu_marketplace.sandbox import disputes, payment_ops, payouts, pushes
from secu_marketplace.sandbox.errors import ProductError
from secu_marketplace.sandbox.models import (
    AccessToken,
    ApiCall,
    ApiClient,
    Contract,
    Fault,
    Merchant,
    PaymentTransaction,
    PayoutLine,
    PushDelivery,
    SmartTransaction,
)
from secu_marketplace.sandbox.statuses import PAYMENT_METHODS, SIMPLE_TEXT, Simple


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("companyname", "merchant_id")
    search_fields = ("companyname", "merchant_id")
    inlines = [ContractInline]


class ContractForm(forms.ModelForm):
    """The payment methods as checkboxes: what ``paymentMethods`` answers for the contract."""

    payment_methods = forms.MultipleChoiceField(
        label=_("payment methods"),
        choices=[(m, m) for m in PAYMENT_METHODS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every method the sandbox knows."),
    )

    class Meta:
        model = Contract
        fields = (
            "contract_id",
            "merchant",
            "kind",
            "name",
            "payment_methods",
            "parent",
            "demo",
            "approved",
            "mixed_basket",
            "allow_cloning",
            "project",
            "payout_push_url",
            "created",
        )

    def clean_payment_methods(self) -> list[str]:
        chosen = set(self.cleaned_data.get("payment_methods") or ())
        return [m for m in PAYMENT_METHODS if m in chosen]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractForm
    list_display = (
        "contract_id",
        "name",
        "kind",
        "merchant",
        "parent",
        "approved",
        "mixed_basket",
        "allow_cloning",
    )
    list_filter = ("kind", "approved", "mixed_basket", "allow_cloning", "demo")
    list_select_related = ("merchant", "parent")
    search_fields = ("contract_id", "name", "project")
    raw_id_fields = ("parent",)
    readonly_fields = ("contact", "payout_account", "payin_account", "store_id")
    # secupay's approval of a contract made by requestId, by hand (as staff at secupay would).
    actions = ["approve", "pay_out"]

    @admin.action(description=_("Approve the selected contracts (as secupay)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        done = queryset.filter(approved=False).update(approved=True)
        self.message_user(request, _("%(n)d contract(s) approved.") % {"n": done})

    @admin.action(description=_("Pay out now what the selected contracts are owed"))
    def pay_out(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        made = payouts.pay_out(list(queryset.values_list("contract_id", flat=True)))
        self.message_user(request, _("%(n)d payout record(s) made.") % {"n": len(made)})


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyAdmin):
    list_display = ("payout_id", "number", "contract", "payment_transaction", "payout_amount")
    list_select_related = ("contract", "payment_transaction")
    search_fields = ("payout_id", "contract__contract_id", "payment_transaction__pci_id")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("client_id", "merchant", "token_lifetime")
    list_select_related = ("merchant",)


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "client", "created", "expires_at")
    list_select_related = ("client__merchant",)
    exclude = ("token",)


class PaymentTransactionInline(admin.TabularInline):
    model = PaymentTransaction
    extra = 0
    can_delete = False
    fields = (
        "pci_id",
        "kind",
        "reference_id",
        "payment_method",
        "amount_display",
        "status_display",
        "payer_paid",
        "unlinked",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("amount"))
    def amount_display(self, obj: PaymentTransaction) -> str:
        return money(obj)

    @admin.display(description=_("status"))
    def status_display(self, obj: PaymentTransaction) -> str:
        return status_words(obj)


def money(obj: PaymentTransaction) -> str:
    """Minor units as money ("-5.00 EUR"); the sandbox keeps to itself and to currencies with
    two decimals, as its contracts do."""
    units, cents = divmod(abs(int(obj.amount)), 100)
    return f"{'-' if obj.amount < 0 else ''}{units}.{cents:02d} {obj.currency}"


class SimpleStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status_simple"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(code), f"{word} ({code})") for code, word in SIMPLE_TEXT.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(status_simple=int(value)) if value and value.isdigit() else queryset


def status_words(obj: PaymentTransaction) -> str:
    """ "accepted (1)": the word staff read, the number the API sends."""
    return f"{SIMPLE_TEXT.get(obj.status_simple, '?')} ({obj.status_simple})"


@admin.register(SmartTransaction)
class SmartTransactionAdmin(ReadOnlyAdmin):
    list_display = ("stx_id", "status", "intent", "payment_method", "merchant_ref", "created")
    list_filter = ("status", "payment_method", "intent")
    list_select_related = ("merchant",)
    search_fields = ("stx_id", "merchant_ref", "transaction_ref", "payment_transactions__pci_id")
    inlines = [PaymentTransactionInline]
    # The return and push URLs carry the shop's signed tokens: shown masked, never as they are.
    exclude = ("application_context",)
    readonly_fields = ("application_context_redacted",)

    @admin.display(description=_("application context (tokens masked)"))
    def application_context_redacted(self, obj: SmartTransaction) -> str:
        return json.dumps(redact(obj.application_context), indent=2, ensure_ascii=False)


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "pci_id",
        "trans_id",
        "kind",
        "reference_id",
        "payment_method",
        "amount_display",
        "status_display",
        "merchant_ref",
    )
    list_filter = ("kind", "payment_method", SimpleStatusFilter)
    list_select_related = ("smart_transaction",)
    search_fields = (
        "pci_id",
        "trans_id",
        "transaction_hash",
        "smart_transaction__stx_id",
        "smart_transaction__merchant_ref",
    )
    # The testing helper (TestChangedPaymentStatus) by hand, for people playing the demo.
    actions = ["money_arrived", "payment_denied", "money_back", "issue_resolved"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PaymentTransaction) -> str:
        return money(obj)

    @admin.display(description=_("status"), ordering="status_simple")
    def status_display(self, obj: PaymentTransaction) -> str:
        return status_words(obj)

    @admin.display(description=_("merchantRef"), ordering="smart_transaction__merchant_ref")
    def merchant_ref(self, obj: PaymentTransaction) -> str:
        return str(obj.smart_transaction.merchant_ref or "")

    def _change_status(
        self,
        request: HttpRequest,
        queryset: QuerySet[PaymentTransaction],
        new_for: Callable[[PaymentTransaction], int],
    ) -> None:
        moved: dict[int, str] = {}
        new: int = Simple.ACCEPTED
        # Leading transactions first (created first): their sub-transactions move with them.
        for pt in queryset.select_related("smart_transaction__client").order_by("pk"):
            if pt.parent_id in moved and pt.kind == PaymentTransaction.Kind.SUB:
                continue  # moved with its leading transaction just now
            pt.refresh_from_db(fields=["status_simple"])
            new = new_for(pt)
            if pt.status_simple == new:
                self.message_user(
                    request,
                    _("%(pci)s is %(status)s already.")
                    % {"pci": pt.pci_id, "status": SIMPLE_TEXT[new]},
                    messages.WARNING,
                )
                continue
            try:
                payment_ops.change_status(pt, new)
            except ProductError as error:
                self.message_user(request, f"{pt.pci_id}: {error.details}", messages.ERROR)
                continue
            moved[pt.pk] = pt.pci_id
        if moved:
            self.message_user(
                request,
                _("%(pcis)s: now %(status)s. Push notifications tell the shop.")
                % {"pcis": ", ".join(moved.values()), "status": SIMPLE_TEXT[new]},
                messages.SUCCESS,
            )

    # A prepayment's transfer arrives (accepted); an invoice is paid by the buyer ("paid", 87).
    @admin.action(
        description=_("Money arrived (accepted; paid for an invoice)"), permissions=["view"]
    )
    def money_arrived(self, request: HttpRequest, queryset: QuerySet[PaymentTransaction]) -> None:
        self._change_status(request, queryset, payment_ops.money_arrived_status)

    @admin.action(description=_("Payment denied"), permissions=["view"])
    def payment_denied(self, request: HttpRequest, queryset: QuerySet[PaymentTransaction]) -> None:
        self._change_status(request, queryset, lambda pt: Simple.DENIED)

    # A chargeback or a returned direct debit, and its end (disputes.py).
    @admin.action(
        description=_("Money came back (chargeback or returned debit)"), permissions=["view"]
    )
    def money_back(self, request: HttpRequest, queryset: QuerySet[PaymentTransaction]) -> None:
        self._dispute(request, queryset, disputes.money_back)

    @admin.action(description=_("Issue resolved"), permissions=["view"])
    def issue_resolved(self, request: HttpRequest, queryset: QuerySet[PaymentTransaction]) -> None:
        self._dispute(request, queryset, disputes.issue_resolved)

    def _dispute(
        self,
        request: HttpRequest,
        queryset: QuerySet[PaymentTransaction],
        move: Callable[[str], PaymentTransaction],
    ) -> None:
        for pt in queryset.order_by("pk"):
            try:
                moved = move(pt.pci_id)
            except ProductError as error:
                self.message_user(request, f"{pt.pci_id}: {error.details}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(pci)s: now %(status)s. Push notifications tell the shop.")
                % {"pci": moved.pci_id, "status": SIMPLE_TEXT[moved.status_simple]},
                messages.SUCCESS,
            )


@admin.register(PushDelivery)
class PushDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "push_id",
        "url_redacted",
        "state",
        "attempts",
        "last_status_code",
        "created",
        "delivered_at",
    )
    list_filter = ("state",)
    search_fields = ("push_id", "payment_transaction__pci_id")
    actions = ["send_now"]
    exclude = ("url",)
    readonly_fields = ("url_redacted",)

    @admin.display(description=_("URL (token masked)"))
    def url_redacted(self, obj: PushDelivery) -> str:
        # A push URL is the shop's credential for its push endpoint.
        return redact_text(obj.url)

    @admin.action(description=_("Send selected pending pushes now"))
    def send_now(self, request: HttpRequest, queryset: Any) -> None:
        sent = pushes.deliver_due(force=True, among=queryset)
        self.message_user(request, _("%(n)d push(es) sent.") % {"n": len(sent)})


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ("operation", "kind", "remaining", "latency_ms", "created")


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = ("created", "method", "path", "status", "duration_ms", "fault")
    list_filter = ("operation", "status", "fault")
