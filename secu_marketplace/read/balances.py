"""What an order and each supplier's part of it come to: paid, pending, owed, refunded,
refundable, shipped. The public read API, with the querysets in ``models.querysets``.

Nothing here is computed a second way: whether the buyer has paid is
``rules.payments.payer_has_paid``, what is left to refund is ``rules.refunds.left_to_refund``
(the rule the refund service checks under its locks). Everything is read from the database as
the app last synced it, never from secuconnect: ``services.bulk_sync.refresh_order(order)`` first
when it must be fresh.

``order_balance(order)`` is the way in; it costs three queries whatever the order's size (none for
rows a sync has just handed over)::

    balance = order_balance(order)
    balance.paid, balance.owed, balance.refundable
    for part in balance.parts:
        part.supplier, part.paid, part.owed, part.refundable, part.may_ship
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F

from secu_marketplace.models import (
    LineItem,
    Order,
    PaymentTransaction,
    Refund,
    SubBasket,
    Supplier,
    load_parts,
)
from secu_marketplace.read.refund_totals import REFUND_COLUMNS, RefundRow, Refunds
from secu_marketplace.rules.payments import FAILED_SIMPLE, payer_has_paid
from secu_marketplace.rules.refunds import left_to_refund
from secu_marketplace.rules.statuses import (
    PAYABLE,
    REFUNDABLE,
    SHIPPABLE,
    UNDER_WAY,
    AttemptState,
    DisputeState,
    PaymentRole,
)


@dataclass(frozen=True)
class PartBalance:
    """One supplier's part of an order. Amounts are minor units of the order's currency."""

    sub_basket: SubBasket
    items: list[LineItem]
    refunds: Refunds
    payment: PaymentTransaction | None  # the part's sub-transaction, once secuconnect named it
    paid: bool  # the buyer's money for this part has arrived
    cancelled: bool  # the part's payment is void or denied
    refundable: int  # what staff may still refund on this part
    owed: int  # what the buyer still has to pay for this part
    may_ship: bool  # the part may be reported shipped (ship_sub_basket would accept it)

    @property
    def goods(self) -> int:
        """The articles less coupons, as ordered."""
        return sum(item.total for item in self.items if item.kind != LineItem.Kind.SHIPPING)

    @property
    def shipping(self) -> int:
        return sum(item.total for item in self.items if item.kind == LineItem.Kind.SHIPPING)

    @property
    def fee_left(self) -> int:
        """The marketplace fee as refunds leave it: lowered in proportion by those sent with
        ``reduce_stakeholder_payment`` (rounded down, as the sandbox does: docs/provider.md,
        "Undecided"); none of a part whose payment is void."""
        if self.cancelled:
            return 0
        cut = self.fee * self.refunds.with_fee // self.sum if self.sum else 0
        return max(self.fee - cut, 0)

    @property
    def payout(self) -> int:
        """The supplier's share of what is left: the part's worth after refunds, less the fee
        (negative when refunds that kept the fee took more than the supplier's share)."""
        return (0 if self.cancelled else self.left) - self.fee_left

    @property
    def dispute(self) -> str:
        """The part's ``statuses.DisputeState`` ("" when none)."""
        return str(self.sub_basket.dispute)

    @property
    def disputed(self) -> bool:
        """The buyer's money for this part came back (a chargeback, a returned debit) and the
        issue is not resolved: it may not ship or be refunded."""
        return self.dispute == DisputeState.OPEN

    @property
    def lines(self) -> list[tuple[LineItem, int]]:
        """Each line with the quantity refunded of it (by staff choosing lines)."""
        return [(item, self.refunds.lines.get(item.pk, 0)) for item in self.items]

    @property
    def supplier(self) -> Supplier:
        return self.sub_basket.supplier

    @property
    def supplier_name(self) -> str:
        return str(self.sub_basket.supplier.name)

    @property
    def sum(self) -> int:
        """The part as ordered: articles and shipping less coupons."""
        return int(self.sub_basket.sum)

    @property
    def fee(self) -> int:
        """The marketplace's share of the part (its stakeholder payment)."""
        return int(self.sub_basket.fee)

    @property
    def refunded(self) -> int:
        return self.refunds.refunded

    @property
    def refunding(self) -> int:
        return self.refunds.refunding

    @property
    def reduced(self) -> int:
        return self.refunds.reduced

    @property
    def changed(self) -> bool:
        return bool(self.refunds.taken)

    @property
    def left(self) -> int:
        """The part's worth after refunds (done or on their way) and reductions."""
        return max(self.sum - self.refunds.taken, 0)

    @property
    def shipped_at(self) -> datetime | None:
        return self.sub_basket.shipped_at

    @property
    def shipped(self) -> bool:
        return self.sub_basket.shipped_at is not None

    @property
    def carrier(self) -> str:
        return str(self.sub_basket.carrier)

    @property
    def tracking_id(self) -> str:
        return str(self.sub_basket.tracking_id)


@dataclass(frozen=True)
class OrderBalance:
    order: Order
    leading: PaymentTransaction | None  # the paying attempt's leading transaction
    paid: bool  # the buyer's money has arrived (an invoice: paid, not merely shipped)
    owed: int  # what the buyer still has to pay: the total before paying, 0 once paid
    refundable: int  # what staff may still refund on the whole order
    unrefunded: int  # what is left of the leading transaction after refunds, whatever the status
    parts: list[PartBalance] = field(default_factory=list)
    whole: Refunds = field(default_factory=Refunds)  # refunds of the whole order (no part)

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
        return self.whole.refunded + sum(part.refunded for part in self.parts)

    @property
    def refunding(self) -> int:
        return self.whole.refunding + sum(part.refunding for part in self.parts)

    @property
    def reduced(self) -> int:
        return self.whole.reduced + sum(part.reduced for part in self.parts)

    @property
    def order_refunded(self) -> int:
        return self.whole.refunded

    @property
    def order_refunding(self) -> int:
        return self.whole.refunding

    @property
    def order_reduced(self) -> int:
        return self.whole.reduced

    @property
    def changed(self) -> bool:
        return bool(self.refunded or self.refunding or self.reduced)

    @property
    def left(self) -> int:
        """The order's worth after refunds (done or on their way) and reductions."""
        return max(self.total - self.refunded - self.refunding - self.reduced, 0)

    @property
    def disputed(self) -> bool:
        """A part's money came back and the issue is not resolved."""
        return any(part.disputed for part in self.parts)

    @property
    def fee(self) -> int:
        return sum(part.fee_left for part in self.parts)

    @property
    def payout(self) -> int:
        return sum(part.payout for part in self.parts)

    @property
    def shipped_parts(self) -> list[PartBalance]:
        return [part for part in self.parts if part.shipped]

    @property
    def shipped(self) -> bool:
        """Every part has been reported shipped."""
        return bool(self.parts) and all(part.shipped for part in self.parts)

    def part_for(self, supplier: Supplier | int) -> PartBalance | None:
        supplier_id = supplier if isinstance(supplier, int) else supplier.pk
        return next((p for p in self.parts if p.sub_basket.supplier_id == supplier_id), None)


def _paying(
    payments: Iterable[PaymentTransaction], numbers: Mapping[int, int]
) -> tuple[PaymentTransaction | None, dict[int, PaymentTransaction]]:
    """The newest settled attempt's leading transaction and its sub-transactions by part;
    ``numbers`` are the settled attempts' numbers by key."""
    rows = [
        p
        for p in payments
        if p.attempt_id in numbers and p.role in (PaymentRole.LEADING, PaymentRole.SUB)
    ]
    if not rows:
        return None, {}
    newest = max(rows, key=lambda p: numbers[p.attempt_id]).attempt_id
    mine = [p for p in rows if p.attempt_id == newest]
    leading = next((p for p in mine if p.role == PaymentRole.LEADING), None)
    subs = {
        p.sub_basket_id: p
        for p in mine
        if p.role == PaymentRole.SUB and p.sub_basket_id is not None
    }
    return leading, subs


def order_balance(
    order: Order,
    *,
    payments: Iterable[PaymentTransaction] | None = None,
    refunds: Iterable[Refund] | None = None,
    settled: Mapping[int, int] | None = None,
) -> OrderBalance:
    """Three queries: the sub-baskets with suppliers and lines (none when this request read
    them already), the payments, the refund records. A sync hands over the rows it holds
    (``payments``, ``refunds``: every row of the order; ``settled``: the settled attempts'
    numbers by id), and then nothing is read but the parts, if they are not kept yet."""
    if refunds is None:
        rows: list[RefundRow] = list(
            Refund.objects.filter(order=order).values_list(*REFUND_COLUMNS)
        )
    else:
        rows = [tuple(getattr(r, name) for name in REFUND_COLUMNS) for r in refunds]
    if payments is None:
        settled_rows = list(
            PaymentTransaction.objects.filter(
                order=order,
                attempt__state=AttemptState.SETTLED,
                role__in=[PaymentRole.LEADING, PaymentRole.SUB],
            ).annotate(attempt_number=F("attempt__number"))
        )
        numbers = {p.attempt_id: p.attempt_number for p in settled_rows}
        leading, subs = _paying(settled_rows, numbers)
    else:
        if settled is None:
            found = order.attempts.filter(state=AttemptState.SETTLED).values_list("pk", "number")
            settled = dict(found)
        leading, subs = _paying(payments, settled)
    return _balance(order, leading, subs, rows)


def _balance(
    order: Order,
    leading: PaymentTransaction | None,
    subs: dict[int, PaymentTransaction],
    rows: list[RefundRow],
) -> OrderBalance:
    every = [(kind, state, amount) for _target, kind, state, _sub, amount, *_ in rows]
    whole = left_to_refund(leading.amount, leading.status_simple, every) if leading else 0
    paid = leading is not None and payer_has_paid(
        order.payment_method, leading.status, leading.status_simple
    )
    if order.status in PAYABLE:
        owed = int(order.total)
    elif order.status in UNDER_WAY and not paid and leading is not None:
        # What secuconnect expects: the leading amount as last synced (a part cancelled before
        # payment lowers it) less refunds already granted.
        owed = whole
    else:
        owed = 0
    order_refunds = Refunds()
    by_part: dict[int, Refunds] = {}
    for _target, kind, state, sub_id, amount, with_fee, lines in rows:
        bucket = order_refunds if sub_id is None else by_part.setdefault(sub_id, Refunds())
        bucket.add(kind, state, int(amount), bool(with_fee), lines)
    parts = [
        _part(order, sub, subs.get(sub.pk), by_part.get(sub.pk, Refunds()), rows, paid)
        for sub in load_parts(order)
    ]
    return OrderBalance(
        order=order,
        leading=leading,
        paid=paid,
        owed=owed,
        refundable=whole if order.status in REFUNDABLE else 0,
        unrefunded=whole,
        parts=parts,
        whole=order_refunds,
    )


def _part(
    order: Order,
    sub: SubBasket,
    payment: PaymentTransaction | None,
    refunds: Refunds,
    rows: list[RefundRow],
    order_paid: bool,
) -> PartBalance:
    left = 0
    if payment is not None:
        own = [(k, st, a) for target, k, st, _sub, a, *_ in rows if target == payment.pk]
        left = left_to_refund(payment.amount, payment.status_simple, own)
    cancelled = payment is not None and payment.status_simple in FAILED_SIMPLE
    paid = payment is not None and payer_has_paid(
        order.payment_method, payment.status, payment.status_simple
    )
    if order.status in PAYABLE:
        owed = int(sub.sum)
    elif order.status in UNDER_WAY and not (order_paid or paid or cancelled):
        owed = left
    else:
        owed = 0
    return PartBalance(
        sub_basket=sub,
        items=list(sub.items.all()),
        refunds=refunds,
        payment=payment,
        paid=paid,
        cancelled=cancelled,
        refundable=left if order.status in REFUNDABLE and sub.dispute != DisputeState.OPEN else 0,
        owed=owed,
        may_ship=_may_ship(order, sub, payment, left),
    )


def _may_ship(order: Order, sub: SubBasket, payment: PaymentTransaction | None, left: int) -> bool:
    """``ship_sub_basket``'s own checks, from what is loaded: the order may ship, the part is
    not shipped yet nor disputed, and its payment is neither void nor refunded in full."""
    if order.status not in SHIPPABLE or sub.shipped_at is not None or payment is None:
        return False
    if sub.dispute == DisputeState.OPEN:
        return False
    if payment.status_simple in FAILED_SIMPLE:
        return False
    return not (left == 0 and payment.amount)
