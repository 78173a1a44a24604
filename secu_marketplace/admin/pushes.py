"""The push inbox: what secuconnect sent, what became of it, and a way to process it again. It is
the audit trail of what secuconnect told the shop: nobody edits or deletes it (an erasure scrubs
the buyer's data out of it instead)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secu_marketplace.admin.display import pretty_json
from secu_marketplace.admin.inlines import ReadOnlyAdmin
from secu_marketplace.models import PushNotification
from secu_marketplace.services.pushes import process


@admin.register(PushNotification)
class PushNotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "push_id",
        "order",
        "outcome",
        "changed",
        "deliveries",
        "received_at",
        "processed_at",
    )
    list_filter = ("outcome", "changed", "received_at")
    list_select_related = ("attempt__order",)
    search_fields = ("push_id", "attempt__stx_id", "attempt__order__reference")
    date_hierarchy = "received_at"
    actions = ["process_again"]
    fields = (
        "push_id",
        "order",
        "attempt",
        "target",
        "type",
        "object_ids",
        "outcome",
        "error",
        "changed",
        "deliveries",
        "received_at",
        "last_received_at",
        "processed_at",
        "body_display",
    )
    readonly_fields = fields

    @admin.display(description=_("order"), ordering="attempt__order__reference")
    def order(self, obj: PushNotification) -> str:
        return obj.attempt.order.reference if obj.attempt else "–"

    @admin.display(description=_("body (redacted)"))
    def body_display(self, obj: PushNotification) -> str:
        return pretty_json(obj.body)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # Re-reading changes an order's state: as much as refreshing it from its own page.
        return bool(request.user.has_perm(f"{self.opts.app_label}.change_order"))

    @admin.action(description=_("Process again (re-read the payment)"), permissions=["reprocess"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[PushNotification]) -> None:
        outcomes: dict[str, int] = {}
        for push in queryset.select_related("attempt"):
            process(push)
            outcomes[push.get_outcome_display()] = outcomes.get(push.get_outcome_display(), 0) + 1
        summary = ", ".join(f"{n} {label}" for label, n in outcomes.items())
        self.message_user(
            request, _("Processed again: %(summary)s.") % {"summary": summary}, messages.INFO
        )
