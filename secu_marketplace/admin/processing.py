"""The admin's after-checkout actions: capture, cancel or refund, mark shipped. Each view shows a
confirmation form and calls one flow (``services.capture``, ``services.refunds`` through the
refund page's steps in ``admin.refunding``, ``services.shipping``).

Moving money, reporting shipments and extending a payment deadline need permissions of their own
(``Order.Meta.permissions``: ``capture_order``, ``refund_order``, ``ship_order``,
``extend_order_deadline``), not "change order": support staff may edit
a buyer's e-mail address without being able to refund. Every action, view and button checks its
permission here; an action is not even offered without it. The services stay permission-free:
a shop's own code decides who may call them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from secu_marketplace.admin.display import explain
from secu_marketplace.admin.forms import DeadlineForm, ShipForm
from secu_marketplace.admin.panel import order_panel
from secu_marketplace.admin.refunding import refund_view
from secu_marketplace.exceptions import ProcessingError, SecuconnectError
from secu_marketplace.models import Order
from secu_marketplace.money import format_money
from secu_marketplace.rules.statuses import Source, awaits_buyer
from secu_marketplace.services import capture, expiry, shipping


class ProcessingAdminMixin(admin.ModelAdmin):
    def _may(self, request: HttpRequest, codename: str) -> bool:
        return bool(request.user.has_perm(f"{self.opts.app_label}.{codename}"))

    def has_capture_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "capture_order")

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "refund_order")

    def has_ship_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "ship_order")

    def has_extend_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "extend_order_deadline")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        order = Order.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        waiting = order is not None and awaits_buyer(order.status, order.payment_method)
        # The page's buttons, each shown only to staff who may use it.
        may = {
            "refresh": self.has_change_permission(request),
            "refund": self.has_refund_permission(request),
            "ship": self.has_ship_permission(request),
            "extend": waiting and self.has_extend_permission(request),
        }
        extra = {**(extra_context or {}), "secu_may": may, "secu_deadline": waiting}
        if order is not None:
            extra.update(order_panel(order))
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/refund/",
                view(self.refund_view),
                name="secu_marketplace_order_refund",
            ),
            path(
                "<path:object_id>/ship/", view(self.ship_view), name="secu_marketplace_order_ship"
            ),
            path(
                "<path:object_id>/deadline/",
                view(self.deadline_view),
                name="secu_marketplace_order_deadline",
            ),
            *super().get_urls(),
        ]

    def _order_for(self, request: HttpRequest, object_id: str, allowed: bool) -> Order:
        order = get_object_or_404(Order, pk=object_id)
        if not (allowed and self.has_view_or_change_permission(request, order)):
            raise PermissionDenied
        return order

    def _back(self, order: Order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:secu_marketplace_order_change", args=[order.pk]))

    def _page(
        self,
        request: HttpRequest,
        order: Order,
        form: Any,
        title: str,
        template: str,
        extra: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": order,
            "order": order,
            "form": form,
            "title": title,
            "total": format_money(order.total, order.currency),
            **(extra or {}),
        }
        return TemplateResponse(request, f"admin/secu_marketplace/order/{template}", context)

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_for(request, object_id, self.has_refund_permission(request))
        return refund_view(self, request, order)

    def ship_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_for(request, object_id, self.has_ship_permission(request))
        form = ShipForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            details = {
                "carrier": data["carrier"],
                "tracking_id": data["tracking_id"],
                "invoice_number": data["invoice_number"],
                "shipped_at": data["shipped_at"],
                "source": Source.ADMIN,
            }
            try:
                sub = form.sub_basket_obj()
                if sub is None:
                    shipping.ship_order(order, **details)
                else:
                    shipping.ship_sub_basket(order, sub, **details)
            except (ProcessingError, SecuconnectError) as error:
                form.add_error(None, explain(error))
            else:
                self.message_user(request, _("Reported shipped to secuconnect."), messages.SUCCESS)
                return self._back(order)
        return self._page(
            request, order, form, _("Mark order %s shipped") % order.reference, "ship.html"
        )

    def deadline_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_for(request, object_id, self.has_extend_permission(request))
        form = DeadlineForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                expiry.extend(
                    order,
                    form.cleaned_data["pay_by"],
                    source=Source.ADMIN,
                    by=str(request.user.get_username()),
                )
            except ProcessingError as error:
                form.add_error(None, explain(error))
            else:
                self.message_user(
                    request,
                    _("Order %(order)s may now be paid until %(date)s.")
                    % {
                        "order": order.reference,
                        "date": date_format(form.cleaned_data["pay_by"], "DATETIME_FORMAT"),
                    },
                    messages.SUCCESS,
                )
                return self._back(order)
        title = _("Extend the payment deadline of order %s") % order.reference
        return self._page(request, order, form, title, "deadline.html")

    @admin.action(description=_("Capture the authorised payment"), permissions=["capture"])
    def capture_payment(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, refused = 0, []
        for order in queryset:
            try:
                capture.capture(order, source=Source.ADMIN)
                done += 1
            except (ProcessingError, SecuconnectError) as error:
                refused.append(f"{order.reference}: {explain(error)}")
        if done:
            self.message_user(
                request, _("%(n)d payment(s) captured.") % {"n": done}, messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def _one(
        self, request: HttpRequest, queryset: QuerySet[Order], name: str
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request, _("Choose exactly one order for this action."), messages.WARNING
            )
            return None
        order = queryset.get()
        return HttpResponseRedirect(
            reverse(f"admin:secu_marketplace_order_{name}", args=[order.pk])
        )

    @admin.action(description=_("Cancel or refund…"), permissions=["refund"])
    def refund_payment(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> HttpResponse | None:
        return self._one(request, queryset, "refund")

    @admin.action(description=_("Mark shipped…"), permissions=["ship"])
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        return self._one(request, queryset, "ship")
