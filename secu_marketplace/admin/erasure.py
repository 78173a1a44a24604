"""Erasing buyers from the admin: the order list's action "Erase the buyer's personal data…"
shows what would change (a dry run), for the chosen orders or every order of their buyers'
e-mail addresses, and erases on confirmation (``services.erasure``). It needs the permission
``erase_buyer``: erasure cannot be undone."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models import Order
from secu_marketplace.services import erasure


class ErasureAdminMixin(admin.ModelAdmin):
    def has_erase_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(f"{self.opts.app_label}.erase_buyer"))

    @admin.action(description=_("Erase the buyer's personal data…"), permissions=["erase"])
    def erase_buyer(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse:
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        url = reverse("admin:secu_marketplace_order_erase") + "?" + urlencode({"ids": ids})
        return HttpResponseRedirect(url)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("erase/", view(self.erase_view), name="secu_marketplace_order_erase"),
            *super().get_urls(),
        ]

    def _chosen(self, request: HttpRequest) -> list[Order]:
        data = request.POST if request.method == "POST" else request.GET
        ids = [int(pk) for pk in str(data.get("ids", "")).split(",") if pk.isdigit()]
        chosen = list(Order.objects.filter(pk__in=ids).order_by("created"))
        if data.get("by_email"):
            emails = {o.email for o in chosen if o.email}
            for email in sorted(emails):
                chosen += [o for o in erasure.orders_of(email=email) if o not in chosen]
        return chosen

    def erase_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_erase_permission(request) and self.has_view_permission(request)):
            raise PermissionDenied
        chosen = self._chosen(request)
        confirm = request.method == "POST" and request.POST.get("confirm")
        report = erasure.erase(chosen, dry_run=not confirm)
        if confirm:
            count = len(report.erased)
            self.message_user(
                request,
                ngettext(
                    "The buyer's data was erased from %(n)d order.",
                    "The buyer's data was erased from %(n)d orders.",
                    count,
                )
                % {"n": count},
                messages.SUCCESS,
            )
            for entry in report.refused:
                self.message_user(request, f"{entry.reference}: {entry.refused}", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:secu_marketplace_order_changelist"))
        data = request.POST if request.method == "POST" else request.GET
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Erase the buyer's personal data"),
            "report": report,
            "ids": data.get("ids", ""),
            "by_email": bool(data.get("by_email")),
        }
        return TemplateResponse(request, "admin/secu_marketplace/order/erase.html", context)
