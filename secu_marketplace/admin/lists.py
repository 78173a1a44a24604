"""The order list's machinery: a paginator that does not count a long table row by row, and
the filters by supplier, payment method, chargeback and payment deadline."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from secu_marketplace.admin.display import payment_method_label
from secu_marketplace.models import Order, SubBasket, Supplier
from secu_marketplace.rules.payments import PAYMENT_METHODS
from secu_marketplace.rules.statuses import EXPIRING, DisputeState


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, a long list is counted by the planner's estimate, not by COUNT(*), which
    reads every matching row: the table's ``reltuples`` for the unfiltered list (kept by
    ANALYZE and autovacuum), the plan's row estimate for a filtered one. Below ``EXACT_BELOW``
    rows the count is exact, so a search or a narrow filter shows the true number of results.
    Elsewhere (SQLite) every count is exact."""

    EXACT_BELOW = 10_000

    @cached_property
    def count(self) -> int:
        estimate = _estimated_rows(self.object_list)
        if estimate is None or estimate < self.EXACT_BELOW:
            return int(super().count)
        return estimate


def _estimated_rows(queryset: Any) -> int | None:
    if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
        return None
    with connections[queryset.db].cursor() as cursor:
        if not queryset.query.where:
            table = queryset.model._meta.db_table
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            )
            row = cursor.fetchone()
            # -1: never analysed; the exact count then.
            return int(row[0]) if row and row[0] >= 0 else None
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class SupplierFilter(admin.SimpleListFilter):
    title = _("supplier")
    parameter_name = "supplier"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Supplier.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        value = self.value()
        if value:
            # EXISTS, not a join: no duplicate rows to remove, and the page stops at its rows.
            parts = SubBasket.objects.filter(order=OuterRef("pk"), supplier_id=int(value))
            return queryset.filter(Exists(parts))
        return queryset


class PaymentMethodFilter(admin.SimpleListFilter):
    # Fixed lookups: the default would ask the database for the distinct values on every page.
    title = _("payment method")
    parameter_name = "payment_method"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(method, payment_method_label(method)) for method in PAYMENT_METHODS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        value = self.value()
        return queryset.filter(payment_method=value) if value else queryset


class DisputeFilter(admin.SimpleListFilter):
    """Orders a chargeback or returned debit touched: open (a part's money is back with the
    buyer: shipping waits), resolved, or lost; also refunded or cancelled orders, whose status
    stays what it was."""

    title = _("chargeback")
    parameter_name = "dispute"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (DisputeState.OPEN, _("open: money came back")),
            (DisputeState.RESOLVED, _("resolved")),
            (DisputeState.LOST, _("lost")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        value = self.value()
        if value and value in DisputeState.values:  # "" (no dispute) is not a choice here
            parts = SubBasket.objects.filter(order=OuterRef("pk"), dispute=value)
            return queryset.filter(Exists(parts))
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    """Unpaid orders under a payment deadline, those past it, and those it expired."""

    title = _("payment deadline")
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("waiting", _("waiting for the buyer's money")),
            ("past", _("past the deadline")),
            ("expired", _("expired unpaid")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        value = self.value()
        waiting = queryset.filter(status__in=EXPIRING, pay_by__isnull=False)
        if value == "waiting":
            return waiting
        if value == "past":
            return waiting.filter(pay_by__lte=timezone.now())
        if value == "expired":
            return queryset.filter(expired_at__isnull=False)
        return queryset
