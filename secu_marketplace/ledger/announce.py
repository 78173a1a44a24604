"""What one write announces, queued while it runs and sent once after it commits: the
signals of ``secu_marketplace.signals``, in a fixed order (a part shipped before the order it
completes; the order's move before its parts' disputes and its refunds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.dispatch import Signal

from secu_marketplace import signals
from secu_marketplace.models import Order, Refund, SubBasket
from secu_marketplace.rules.statuses import DisputeState, OrderStatus

S = OrderStatus
# Where a resolved dispute takes an order back to: announced as resolved, not as that status's
# own news (the suppliers were told to ship when the order first got there).
BACK_FROM_DISPUTE = frozenset({S.CONFIRMED, S.PAID, S.SHIPPED})


@dataclass
class News:
    """Everything a write has to announce."""

    moves: list[tuple[str, str]] = field(default_factory=list)
    refunded: list[int] = field(default_factory=list)  # refund records
    shipped: list[int] = field(default_factory=list)  # sub-baskets
    disputes: list[tuple[int, str]] = field(default_factory=list)  # (sub-basket, new state)
    invoice_paid: int | None = None  # the amount, when an invoice's buyer paid it
    reminded: datetime | None = None  # the deadline a payment reminder names
    expired: datetime | None = None  # the deadline an expired order missed

    def __bool__(self) -> bool:
        return bool(
            self.moves
            or self.refunded
            or self.shipped
            or self.disputes
            or self.invoice_paid is not None
            or self.reminded
            or self.expired
        )


def specific(old: str, new: str) -> Signal | None:
    """The signal a move sends after ``order_status_changed``."""
    if old == S.CONFIRMED and new == S.PAID:
        return None  # the buyer paid the invoice: invoice_paid says so
    if old == S.DISPUTED and new in BACK_FROM_DISPUTE:
        return signals.order_dispute_resolved
    return signals.BY_STATUS.get(new)


def _parts(ids: list[int]) -> list[SubBasket]:
    if not ids:
        return []
    return list(
        SubBasket.objects.filter(pk__in=ids).select_related("supplier").order_by("position")
    )


def announce(order: Order, news: News, source: str) -> None:
    """Send ``news`` for ``order``, the row as the write committed it (reading it again would
    cost a query per write and could only show a later write's state, which announces itself)."""
    same = {"old_status": order.status, "new_status": order.status, "source": source}
    for sub in _parts(news.shipped):
        signals.send(signals.sub_basket_shipped, order, sub_basket=sub, **same)
    states = dict(news.disputes)
    parts = _parts(list(states))
    opened = [sub for sub in parts if states[sub.pk] == DisputeState.OPEN]
    closed = [sub for sub in parts if states[sub.pk] != DisputeState.OPEN]
    _announce_moves(order, news.moves, source, opened=opened, closed=closed)
    for signal, subs in (
        (signals.sub_basket_disputed, opened),
        (signals.sub_basket_dispute_resolved, closed),
    ):
        for sub in subs:
            signals.send(signal, order, sub_basket=sub, dispute=states[sub.pk], **same)
    for record in Refund.objects.filter(pk__in=news.refunded).select_related("sub_basket"):
        signals.send(
            signals.order_refunded,
            order,
            amount=record.amount,
            sub_basket=record.sub_basket,
            refund=record,
            **same,
        )
    _announce_deadlines(order, news, same)


def _announce_moves(
    order: Order,
    moves: list[tuple[str, str]],
    source: str,
    *,
    opened: list[SubBasket],
    closed: list[SubBasket],
) -> None:
    """``order_status_changed`` and the status's own signal, for each move the write made."""
    for old, new in moves:
        kwargs: dict[str, Any] = {"old_status": old, "new_status": new, "source": source}
        if new == S.NEEDS_REVIEW:
            kwargs["reason"] = order.review_reason
        signal = specific(old, new)
        if signal is signals.order_disputed:
            kwargs["sub_baskets"] = opened
        elif signal is signals.order_dispute_resolved:
            kwargs["sub_baskets"] = closed
        for each in (signals.order_status_changed, signal):
            if each is not None:
                signals.send(each, order, **kwargs)


def _announce_deadlines(order: Order, news: News, same: dict[str, Any]) -> None:
    """An invoice paid, a payment reminder, an expiry."""
    if news.invoice_paid is not None:
        signals.send(signals.invoice_paid, order, amount=news.invoice_paid, **same)
    if news.reminded is not None:
        signals.send(signals.order_payment_reminder, order, pay_by=news.reminded, **same)
    if news.expired is not None:
        signals.send(signals.order_expired, order, pay_by=news.expired, **same)
