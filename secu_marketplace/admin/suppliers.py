from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models import Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "contract_id", "fee_rate", "fee_fixed", "is_active", "order_count")
    list_filter = ("is_active",)
    search_fields = ("name", "contract_id", "email")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Supplier]:
        return super().get_queryset(request).annotate(_orders=Count("sub_baskets", distinct=True))

    @admin.display(description=_("orders"), ordering="_orders")
    def order_count(self, obj: Supplier) -> int:
        return int(getattr(obj, "_orders", 0))
