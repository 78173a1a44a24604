"""Held payouts in the admin: what secuconnect holds until delivery, until when, and why; staff
release a part now or keep it (``services.holds``), with a permission of its own
(``release_hold``): letting money go to a supplier is not part of "change order"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from secu_marketplace.admin.inlines import ReadOnlyAdmin
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Hold
from secu_marketplace.rules.books import HoldState, release_after
from secu_marketplace.services import holds


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = (
        "order",
        "part",
        "supplier",
        "state",
        "held_until",
        "why",
        "last_error",
    )
    list_filter = ("state", "sub_basket__supplier")
    list_select_related = ("order", "sub_basket__supplier")
    search_fields = ("order__reference", "payment__pci_id")
    actions = ["release_now", "keep"]
    readonly_fields = ("held_until", "why")
    exclude = ("reason",)  # shown translated as "why"

    @admin.display(description=_("sub-basket"))
    def part(self, obj: Hold) -> str:
        return str(obj.sub_basket.reference_id)

    @admin.display(description=_("supplier"))
    def supplier(self, obj: Hold) -> str:
        return str(obj.sub_basket.supplier.name)

    @admin.display(description=_("held until"))
    def held_until(self, obj: Hold) -> str:
        if obj.state != HoldState.HELD:
            return "–"
        if not obj.until_shipped:
            return gettext("released at the next run")
        due = release_after(obj.sub_basket.shipped_at, obj.days)
        if due is None:
            return gettext("shipped + %(days)d days") % {"days": obj.days}
        return date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("why"), ordering="reason")
    def why(self, obj: Hold) -> str:
        # The app's reasons are stored in English (rules.books.decide_hold) and read in the
        # staff member's language; a reason staff typed is shown as they typed it.
        return gettext(obj.reason) if obj.reason else ""

    def has_release_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(f"{self.opts.app_label}.release_hold"))

    @admin.action(description=_("Release the payout now"), permissions=["release"])
    def release_now(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        self._each(request, queryset, holds.release_by_hand, gettext("%(n)d payout(s) released."))

    @admin.action(description=_("Keep held (no automatic release)"), permissions=["release"])
    def keep(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        self._each(request, queryset, holds.keep_by_hand, gettext("%(n)d payout(s) kept."))

    def _each(self, request: HttpRequest, queryset: QuerySet[Hold], act: Any, done: str) -> None:
        count = 0
        for hold in queryset.select_related("sub_basket", "payment"):
            try:
                count += bool(act(hold))
            except ProcessingError as error:
                self.message_user(request, f"{hold.sub_basket}: {error}", messages.ERROR)
        self.message_user(request, done % {"n": count}, messages.SUCCESS)
