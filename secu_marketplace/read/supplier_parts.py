"""A supplier's parts across orders, with the same figures as an order's balance
(``read.balances.PartBalance``): what the admin's supplier page shows, and what a shop's own
supplier pages may show. A fixed number of queries however many orders: the orders, their
parts and lines, their payments and their refund records, each read once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, prefetch_related_objects

from secu_marketplace.models import (
    LineItem,
    Order,
    PaymentTransaction,
    Refund,
    SubBasket,
    Supplier,
)
from secu_marketplace.read.balances import OrderBalance, PartBalance, order_balance
from secu_marketplace.rules.statuses import UNDER_WAY, AttemptState, DisputeState, PaymentRole


@dataclass(frozen=True)
class SupplierPart:
    """One of the supplier's parts, and the balance of its order."""

    order: Order
    balance: OrderBalance
    part: PartBalance


def _open(supplier: Supplier) -> Q:
    """Parts that still need someone: unshipped on an order under way, or disputed."""
    waiting = Q(order__status__in=UNDER_WAY, shipped_at__isnull=True)
    return Q(supplier=supplier) & (waiting | Q(dispute=DisputeState.OPEN))


def supplier_parts(
    supplier: Supplier, *, recent: int = 20, open_limit: int = 100
) -> tuple[list[SupplierPart], list[SupplierPart]]:
    """The supplier's open parts (oldest first: they wait longest) and its ``recent`` newest
    parts, each with its figures."""
    newest = SubBasket.objects.filter(supplier=supplier).order_by("-order__created", "-pk")
    open_ids = list(
        SubBasket.objects.filter(_open(supplier))
        .order_by("order__created", "pk")
        .values_list("order_id", flat=True)[:open_limit]
    )
    recent_ids = list(newest.values_list("order_id", flat=True)[:recent])
    balances = _balances({*open_ids, *recent_ids})

    def rows(ids: list[int]) -> list[SupplierPart]:
        found = []
        for order_id in ids:
            balance = balances[order_id]
            part = balance.part_for(supplier)
            if part is not None:
                found.append(SupplierPart(balance.order, balance, part))
        return found

    return rows(open_ids), rows(recent_ids)


def _balances(ids: set[int]) -> dict[int, OrderBalance]:
    orders = list(Order.objects.filter(pk__in=ids))
    parts = SubBasket.objects.select_related("supplier").order_by("position")
    lines = LineItem.objects.order_by("position")
    prefetch_related_objects(
        orders, Prefetch("sub_baskets", queryset=parts), Prefetch("sub_baskets__items", lines)
    )
    payments: dict[int, list[PaymentTransaction]] = defaultdict(list)
    settled: dict[int, dict[int, int]] = defaultdict(dict)
    for row in PaymentTransaction.objects.filter(
        order_id__in=ids,
        attempt__state=AttemptState.SETTLED,
        role__in=[PaymentRole.LEADING, PaymentRole.SUB],
    ).annotate(attempt_number=F("attempt__number")):
        payments[row.order_id].append(row)
        settled[row.order_id][row.attempt_id] = row.attempt_number
    refunds: dict[int, list[Refund]] = defaultdict(list)
    for record in Refund.objects.filter(order_id__in=ids):
        refunds[record.order_id].append(record)
    return {
        order.pk: order_balance(
            order,
            payments=payments[order.pk],
            refunds=refunds[order.pk],
            settled=settled[order.pk],
        )
        for order in orders
    }
