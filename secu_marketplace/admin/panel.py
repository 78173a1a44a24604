"""The money per supplier, for the order page (the panel above the tables) and the supplier
page (its open and recent parts): every figure from the read API (``read.balances``), every
state in the words of ``read.words``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secu_marketplace.models import Order, Supplier
from secu_marketplace.read.balances import OrderBalance, PartBalance, order_balance
from secu_marketplace.read.supplier_parts import supplier_parts
from secu_marketplace.read.words import (
    Chip,
    dispute_chip,
    fulfilment_chip,
    part_payment_chip,
    payment_chip,
)


@dataclass(frozen=True)
class PartRow:
    order: Order
    part: PartBalance
    payment: Chip
    dispute: Chip | None

    @property
    def currency(self) -> str:
        return str(self.order.currency)


def _row(balance: OrderBalance, part: PartBalance) -> PartRow:
    return PartRow(
        balance.order, part, part_payment_chip(part, balance), dispute_chip(part.dispute)
    )


def order_chips(order: Order, balance: OrderBalance) -> tuple[Chip, Chip | None]:
    """The order's payment and shipping, as staff read them."""
    refunded = bool(balance.refunded or balance.refunding or balance.reduced)
    payment = payment_chip(
        order.status,
        order.payment_method,
        buyer_paid=balance.paid,
        refunded=refunded,
        expired=order.expired_at is not None,
    )
    shipped = len(balance.shipped_parts)
    return payment, fulfilment_chip(order.status, len(balance.parts), shipped)


def order_panel(order: Order) -> dict[str, Any]:
    """The order page's money panel: one row per supplier and the order's chips."""
    balance = order_balance(order)
    payment, fulfilment = order_chips(order, balance)
    return {
        "money": balance,
        "money_rows": [_row(balance, part) for part in balance.parts],
        "payment_chip": payment,
        "fulfilment_chip": fulfilment,
    }


def supplier_panel(supplier: Supplier) -> dict[str, Any]:
    """The supplier page's parts: open ones (to ship, unpaid, disputed) and the recent ones."""
    waiting, recent = supplier_parts(supplier)
    return {
        "open_parts": [_row(found.balance, found.part) for found in waiting],
        "recent_parts": [_row(found.balance, found.part) for found in recent],
    }
