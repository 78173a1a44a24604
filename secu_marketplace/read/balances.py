"""What an order and each supplier's part of it come to: paid, pending, owed, refunded,
refundable, shipped. Part of the public read API, with the querysets in ``models.querysets``.

Nothing here is computed a second way: whether the buyer has paid is
``statuses.payer_has_paid``, what is left to refund is ``refund_records.left_to_refund`` (the
rule the refund service checks under its locks), refunds and shipments are the buyer's order
summary (``presentation.order_summary``). Everything is read from the database as the app last
synced it, never from secuconnect: ``services.sync.refresh_order`` first when it must be fresh.

``order.balance`` is the way in; it costs four queries whatever the order's size::

    balance = order.balance
    balance.paid, balance.owed, balance.refundable
    for part in balance.parts:
        part.supplier, part.paid, part.owed, part.refundable, part.may_ship
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from secu_marketplace.models import Order, PaymentTransaction, Refund, SubBasket, Supplier
from secu_marketplace.read.presentation import OrderSummary, PartSummary, order_summary
from secu_marketplace.rules.statuses import (
    PAYABLE,
    SHIPPABLE,
    UNDER_WAY,
    AttemptState,
    PaymentRole,
    payer_has_paid,
)
from secu_marketplace.services.processing import REFUNDABLE
from secu_marketplace.services.refund_records import FAILED_SIMPLE, left_to_refund


@dataclass(frozen=True)
class PartBalance:
    """One supplier's part of an order. Amounts are minor units of the order's currency."""

    summary: PartSummary
    payment: PaymentTransaction | None  # the part's sub-transaction, once secuconnect named it
    paid: bool  # the buyer's money for this part has arrived
    cancelled: bool  # the part's payment is void or denied
    refundable: int  # what staff may still refund on this part
    owed: int  # what the buyer still has to pay for this part
    may_ship: bool  # the part may be reported shipped (ship_sub_basket would accept it)

    @property
    def sub_basket(self) -> SubBasket:
        return self.summary.sub_basket

    @property
    def supplier(self) -> Supplier:
        return self.summary.sub_basket.supplier

    @property
    def sum(self) -> int:
        """The part as ordered: articles and shipping less coupons."""
        return self.summary.sum

    @property
    def fee(self) -> int:
        """The marketplace's share of the part (its stakeholder payment)."""
        return int(self.summary.sub_basket.fee)

    @property
    def refunded(self) -> int:
        return self.summary.refunded

    @property
    def refunding(self) -> int:
        return self.summary.refunding

    @property
    def reduced(self) -> int:
        return self.summary.reduced

    @property
    def left(self) -> int:
        """The part's worth after refunds (done or on their way) and reductions."""
        return self.summary.left

    @property
    def shipped_at(self) -> datetime | None:
        return self.summary.shipped_at

    @property
    def shipped(self) -> bool:
        return self.summary.shipped_at is not None


@dataclass(frozen=True)
class OrderBalance:
    order: Order
    summary: OrderSummary
    leading: PaymentTransaction | None  # the paying attempt's leading transaction
    paid: bool  # the buyer's money has arrived (an invoice: paid, not merely shipped)
    owed: int  # what the buyer still has to pay: the total before paying, 0 once paid
    refundable: int  # what staff may still refund on the whole order
    parts: list[PartBalance] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return str(self.order.currency)

    @property
    def total(self) -> int:
        return int(self.order.total)

    @property
    def held(self) -> int:
        """What secuconnect holds for the order as last synced: the leading transaction's
        amount (a part cancelled before the money moved lowers it), else the total."""
        if self.leading is not None and self.leading.amount:
            return int(self.leading.amount)
        return self.total

    @property
    def pending(self) -> int:
        """Money promised and not arrived: a prepayment or an invoice not paid yet."""
        return self.owed if self.order.status in UNDER_WAY else 0

    @property
    def refunded(self) -> int:
        return self.summary.refunded

    @property
    def refunding(self) -> int:
        return self.summary.refunding

    @property
    def reduced(self) -> int:
        return self.summary.reduced

    @property
    def left(self) -> int:
        """The order's worth after refunds (done or on their way) and reductions."""
        return self.summary.left

    @property
    def shipped(self) -> bool:
        """Every part has been reported shipped."""
        return self.summary.all_shipped

    def part_for(self, supplier: Supplier | int) -> PartBalance | None:
        supplier_id = supplier if isinstance(supplier, int) else supplier.pk
        return next((p for p in self.parts if p.sub_basket.supplier_id == supplier_id), None)


def _payments(order: Order) -> tuple[PaymentTransaction | None, dict[int, PaymentTransaction]]:
    """The newest settled attempt's leading transaction and sub-transactions (one query)."""
    rows = list(
        PaymentTransaction.objects.filter(
            order=order,
            attempt__state=AttemptState.SETTLED,
            role__in=[PaymentRole.LEADING, PaymentRole.SUB],
        ).order_by("-attempt__number", "pk")
    )
    if not rows:
        return None, {}
    newest = rows[0].attempt_id
    leading = next(
        (p for p in rows if p.attempt_id == newest and p.role == PaymentRole.LEADING), None
    )
    subs = {
        p.sub_basket_id: p
        for p in rows
        if p.attempt_id == newest and p.role == PaymentRole.SUB and p.sub_basket_id is not None
    }
    return leading, subs


def order_balance(order: Order) -> OrderBalance:
    """Four queries: the sub-baskets with suppliers and items (none when this request read them
    already), the payments, the refund records."""
    rows = list(
        Refund.objects.filter(order=order).values_list(
            "target_id", "kind", "state", "sub_basket_id", "amount"
        )
    )
    summary = order_summary(order, refunds=[row[1:] for row in rows])
    leading, subs = _payments(order)
    # (kind, state, amount) of every refund record: the leading transaction's scope is the order
    everything = [(kind, state, amount) for _target, kind, state, _sub, amount in rows]
    whole = left_to_refund(leading, everything) if leading is not None else 0
    method = str(order.payment_method)
    refunds_allowed = order.status in REFUNDABLE
    under_way = order.status in UNDER_WAY

    paid = leading is not None and payer_has_paid(method, leading.status, leading.status_simple)
    if order.status in PAYABLE:
        owed = int(order.total)
    elif under_way and not paid and leading is not None:
        # What secuconnect expects: the leading amount as last synced (a part cancelled before
        # payment lowers it) less refunds already granted.
        owed = whole
    else:
        owed = 0

    parts = []
    for part in summary.parts:
        payment = subs.get(part.sub_basket.pk)
        left = 0
        if payment is not None:
            own = [(k, st, a) for target, k, st, _sub, a in rows if target == payment.pk]
            left = left_to_refund(payment, own)
        cancelled = payment is not None and payment.status_simple in FAILED_SIMPLE
        part_paid = payment is not None and payer_has_paid(
            method, payment.status, payment.status_simple
        )
        if order.status in PAYABLE:
            part_owed = part.sum
        elif under_way and not (paid or part_paid or cancelled):
            part_owed = left
        else:
            part_owed = 0
        parts.append(
            PartBalance(
                summary=part,
                payment=payment,
                paid=part_paid,
                cancelled=cancelled,
                refundable=left if refunds_allowed else 0,
                owed=part_owed,
                # ship_sub_basket's own checks, from what is loaded
                may_ship=(
                    order.status in SHIPPABLE
                    and part.shipped_at is None
                    and payment is not None
                    and not cancelled
                    and not (left == 0 and payment.amount)
                ),
            )
        )
    return OrderBalance(
        order=order,
        summary=summary,
        leading=leading,
        paid=paid,
        owed=owed,
        refundable=whole if refunds_allowed else 0,
        parts=parts,
    )
