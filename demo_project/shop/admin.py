from __future__ import annotations

from django.contrib import admin

from .models import Product, ShippingRate


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "article_number", "supplier", "price", "tax_rate", "is_active"]
    list_filter = ["supplier", "is_active"]
    list_select_related = ["supplier"]
    search_fields = ["name", "article_number"]


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ["supplier", "description", "price", "tax_rate"]
    list_select_related = ["supplier"]
