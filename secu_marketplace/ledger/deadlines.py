"""An unpaid order's payment deadline, written: set when the order starts waiting for the
buyer's money (a prepayment "pending", an invoice "confirmed"; ``EXPIRE_UNPAID_AFTER_DAYS``),
the buyer reminded once, extended by staff, and the order marked expired once secuconnect has
cancelled it (``services.expiry``). Each is one timeline row; reminders and expiries are
announced after commit (``order_payment_reminder``, ``order_expired``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Order, StatusEvent
from secu_marketplace.rules.statuses import DeadlineStep, OrderStatus, awaits_buyer

from .writer import Writer, locked

DEADLINE = StatusEvent.Subject.DEADLINE


def days_for(method: str) -> float | None:
    """How many days an order paid with ``method`` may stay unpaid (None: for ever)."""
    value = (app_settings.EXPIRE_UNPAID_AFTER_DAYS or {}).get(method)
    return float(value) if value else None


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def stamp(w: Writer) -> None:
    """Set the order's deadline when it has just started waiting for the buyer's money (the
    write holds the order's lock)."""
    order = w.order
    if order.pay_by is not None or not awaits_buyer(order.status, order.payment_method):
        return
    days = days_for(order.payment_method)
    if days is None:
        return
    pay_by = timezone.now() + timedelta(days=days)
    w.set_order(pay_by=pay_by)
    w.note(DEADLINE, DeadlineStep.SET, detail={"pay_by": _when(pay_by), "days": days})


def stamped(order: Order, *, source: str) -> bool:
    """Give an order that waits for the buyer's money its deadline, from now (one that had
    none: placed before the deadlines, or before its method got one); True if it got one."""
    with locked(order.pk, source=source) as w:
        stamp(w)
        return w.order.pay_by is not None and order.pay_by is None


def reminded(order: Order, *, source: str) -> bool:
    """Record the buyer's reminder, once; False when it was sent already or the order no
    longer waits (paid, cancelled) by the time the lock is held."""
    with locked(order.pk, source=source) as w:
        mine = w.order
        waiting = awaits_buyer(mine.status, mine.payment_method) and mine.pay_by is not None
        if mine.reminded_at is not None or not waiting:
            return False
        w.set_order(reminded_at=timezone.now())
        w.note(DEADLINE, DeadlineStep.REMINDED, detail={"pay_by": _when(mine.pay_by)})
        w.news.reminded = mine.pay_by
    return True


def extended(order: Order, until: datetime, *, source: str, by: str = "") -> Order:
    """Move the deadline to ``until`` (later than it was, and in the future); the buyer is
    reminded again before the new one."""
    with locked(order.pk, source=source) as w:
        mine = w.order
        if not awaits_buyer(mine.status, mine.payment_method):
            raise ProcessingError(
                f"order {mine.reference} is {mine.get_status_display()}: it has no payment "
                "deadline to extend"
            )
        if until <= timezone.now() or (mine.pay_by is not None and until <= mine.pay_by):
            raise ProcessingError(
                f"the new deadline must be later than the current one ({_when(mine.pay_by)}) "
                "and in the future"
            )
        detail: dict[str, Any] = {"from": _when(mine.pay_by), "to": _when(until)}
        if by:
            detail["by"] = by
        w.set_order(pay_by=until, reminded_at=None)
        w.note(DEADLINE, DeadlineStep.EXTENDED, detail=detail)
    return w.order


def expired(order: Order, *, source: str, detail: dict[str, Any]) -> bool:
    """secuconnect cancelled the unpaid order and the sync moved it to "cancelled": mark it
    expired (once) and announce ``order_expired``. False when the order is not cancelled (its
    money arrived meanwhile) or was marked already."""
    with locked(order.pk, source=source) as w:
        mine = w.order
        if mine.status != OrderStatus.CANCELLED or mine.expired_at is not None:
            return False
        w.set_order(expired_at=timezone.now())
        w.note(DEADLINE, DeadlineStep.EXPIRED, detail={"pay_by": _when(mine.pay_by), **detail})
        w.news.expired = mine.pay_by
    return True


def kept(order: Order, *, source: str, detail: dict[str, Any]) -> None:
    """The deadline passed, but the buyer's money arrived before secuconnect cancelled: the
    order is not expired (one timeline row says why)."""
    with locked(order.pk, source=source) as w:
        w.note(DEADLINE, DeadlineStep.KEPT, detail={"pay_by": _when(w.order.pay_by), **detail})
