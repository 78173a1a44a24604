"""Held payouts, written: a hold recorded once per part, and each move of it along
``rules.books.HOLD_TRANSITIONS`` under the order's lock, with its event, and for a release the
``sub_basket_released`` signal after commit.

The lock order (``ledger/__init__.py``): the order first, then the hold (step 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from secu_marketplace import signals
from secu_marketplace.models import Hold, StatusEvent, SubBasket
from secu_marketplace.rules.books import HOLD_TRANSITIONS, HoldState
from secu_marketplace.rules.statuses import allowed

from .writer import locked

HOLD = StatusEvent.Subject.HOLD


@dataclass(frozen=True)
class NewHold:
    """A part secuconnect holds, as first seen, and the rule that releases it."""

    order_id: int
    sub_basket_id: int
    payment_id: int
    reference_id: str
    until_shipped: bool
    days: int


def discovered(found: list[NewHold], *, source: str) -> int:
    """Record the holds not known yet (one event each on their orders); how many were new."""
    if not found:
        return 0
    with transaction.atomic():
        known = set(
            Hold.objects.filter(sub_basket_id__in=[h.sub_basket_id for h in found]).values_list(
                "sub_basket_id", flat=True
            )
        )
        new = [h for h in found if h.sub_basket_id not in known]
        Hold.objects.bulk_create(
            [
                Hold(
                    order_id=h.order_id,
                    sub_basket_id=h.sub_basket_id,
                    payment_id=h.payment_id,
                    until_shipped=h.until_shipped,
                    days=h.days,
                )
                for h in new
            ],
            ignore_conflicts=True,  # a concurrent run recorded it a moment ago
        )
        StatusEvent.objects.bulk_create(
            [
                StatusEvent(
                    order_id=h.order_id,
                    subject=HOLD,
                    to_status=HoldState.HELD,
                    source=source,
                    detail={
                        "sub_basket": h.reference_id,
                        "until shipped": h.until_shipped,
                        "days": h.days,
                    },
                )
                for h in new
            ]
        )
    return len(new)


def moved(hold: Hold, target: str, *, reason: str, source: str) -> bool:
    """Move ``hold`` to ``target`` if the table allows it from where it is now (re-read under
    the lock: a concurrent release or keep is seen); True if it moved."""
    with locked(hold.order_id, source=source) as w:
        current = Hold.objects.select_for_update().get(pk=hold.pk)
        if not allowed(HOLD_TRANSITIONS, current.state, target):
            return False
        before = current.state
        current.state = target
        current.reason = reason[:200]
        current.last_error = ""
        if target == HoldState.RELEASED:
            current.released_at = timezone.now()
        current.save(update_fields=["state", "reason", "last_error", "released_at", "updated"])
        sub = SubBasket.objects.get(pk=current.sub_basket_id)
        w.note(
            HOLD, target, from_status=before, detail={"sub_basket": sub.reference_id, "why": reason}
        )
        if target == HoldState.RELEASED:
            order = w.order
            transaction.on_commit(
                lambda: signals.send(
                    signals.sub_basket_released,
                    order,
                    old_status=order.status,
                    new_status=order.status,
                    source=source,
                    sub_basket=sub,
                )
            )
    for name in ("state", "reason", "released_at", "last_error"):
        setattr(hold, name, getattr(current, name))
    return True


def failed(hold: Hold, error: str) -> None:
    """secuconnect refused or could not be asked: the hold stays, with what went wrong."""
    Hold.objects.filter(pk=hold.pk).update(last_error=error[:300], updated=timezone.now())
    hold.last_error = error[:300]
