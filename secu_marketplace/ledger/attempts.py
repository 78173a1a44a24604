"""A checkout attempt's life, written: opened, created at secuconnect (or not), resolved after a
lost answer, superseded, abandoned, claimed by reconciliation. Every change of its ``state``
goes through ``Writer.set_attempt`` and so through ``ATTEMPT_TRANSITIONS``; each is one event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from secu_marketplace.models import CheckoutAttempt, Order, StatusEvent
from secu_marketplace.provider.answers import SmartData
from secu_marketplace.redaction import redact
from secu_marketplace.rules.statuses import AttemptState, OrderStatus, Source

from .writer import Writer, locked

ATTEMPT = StatusEvent.Subject.ATTEMPT
# How long a reconciliation claim keeps other runs off an attempt if its run never releases it.
CLAIM_HOLD = timedelta(minutes=10)


def open_attempt(w: Writer, **fields: Any) -> CheckoutAttempt:
    """Insert the order's next attempt (``w`` holds the order's lock; the database allows one
    open attempt per order, so a racing second insert fails)."""
    return CheckoutAttempt.objects.create(order=w.order, state=AttemptState.CREATING, **fields)


def created(attempt: CheckoutAttempt, stx: SmartData) -> tuple[CheckoutAttempt, Order]:
    """secuconnect answered the create call: the attempt is open, the buyer at checkout."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=Source.CHECKOUT) as w:
        mine = w.locked_attempt
        w.set_attempt(
            mine,
            stx_id=stx.id,
            state=AttemptState.OPEN,
            provider_status=stx.status or "created",
            provider_updated=stx.updated or stx.created,
            checkout_url=stx.checkout_url(),
            snapshot=redact(stx.raw),
            last_error=None,
        )
        w.note(ATTEMPT, mine.provider_status, detail={"stx": stx.id, "attempt": mine.number})
        w.move(OrderStatus.AWAITING_PAYMENT, detail={"stx": stx.id})
    return mine, w.order


def not_created(attempt: CheckoutAttempt, state: str, error: dict[str, Any]) -> None:
    """The create call failed (``FAILED``: it never ran) or its answer was lost (``UNKNOWN``:
    it may exist, the next click or ``secu_sync`` resolves it)."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=Source.CHECKOUT) as w:
        mine = w.locked_attempt
        before = mine.state
        if w.set_attempt(mine, state=state, last_error=error) and mine.state != before:
            w.note(ATTEMPT, mine.state, from_status=before, detail={"error": error})


def lost(w: Writer, attempt: CheckoutAttempt) -> None:
    """A create that never answered within its window: its outcome is unknown."""
    w.set_attempt(attempt, state=AttemptState.UNKNOWN)


def close(attempt: CheckoutAttempt, reason: str, *, source: str = Source.CHECKOUT) -> None:
    """Close an open attempt we replace (superseded by a newer checkout)."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=source) as w:
        mine = w.locked_attempt
        before = mine.provider_status
        if w.set_attempt(mine, state=AttemptState.CLOSED):
            w.note(ATTEMPT, AttemptState.CLOSED, from_status=before, detail={"reason": reason})


def reopened(attempt: CheckoutAttempt) -> CheckoutAttempt:
    """The buyer goes back to an open Smart Transaction: how they came back last time is moot."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=Source.CHECKOUT) as w:
        mine = w.locked_attempt
        w.set_attempt(mine, returned_via="")
        w.move(OrderStatus.AWAITING_PAYMENT, detail={"stx": mine.stx_id})
    return mine


def abandoned(attempt: CheckoutAttempt, aborted: SmartData, *, source: str) -> Writer | None:
    """Close a checkout the buyer left (aborted at secuconnect just now) and, when it is the
    order's latest, move the order to "aborted". None when it was settled meanwhile."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=source) as w:
        mine = w.locked_attempt
        if mine.state != AttemptState.OPEN:
            return None
        fields: dict[str, Any] = {"state": AttemptState.CLOSED}
        if aborted.id == mine.stx_id and aborted.status:
            fields.update(
                provider_status=aborted.status,
                provider_updated=aborted.updated or mine.provider_updated,
                snapshot=redact(aborted.raw),
            )
        detail = {"reason": "abandoned", "stx": mine.stx_id, "stx_status": aborted.status}
        w.note(ATTEMPT, AttemptState.CLOSED, from_status=mine.provider_status, detail=detail)
        w.set_attempt(mine, **fields)
        if not w.order.attempts.filter(number__gt=mine.number).exists():
            w.move(OrderStatus.ABORTED, detail={"stx": mine.stx_id, "reason": "abandoned"})
    return w


def resolved(
    attempt: CheckoutAttempt, stx: SmartData | None, presumed: dict[str, Any]
) -> CheckoutAttempt:
    """A lost create settled: the Smart Transaction found (open), or taken as never made
    (failed, marked ``presumed`` so a later search still looks for it)."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=Source.RECONCILE) as w:
        mine = w.locked_attempt
        if mine.stx_id or mine.state not in (AttemptState.UNKNOWN, AttemptState.CREATING):
            return mine
        before = mine.state
        fields: dict[str, Any]
        if stx is not None:
            fields = {
                "stx_id": stx.id,
                "state": AttemptState.OPEN,
                "checkout_url": stx.checkout_url(),
            }
        else:
            fields = {"state": AttemptState.FAILED, "last_error": presumed}
        w.set_attempt(mine, **fields)
        detail = {"lost_answer": "found" if stx else "not created", "stx": mine.stx_id}
        w.note(ATTEMPT, mine.state, from_status=before, detail=detail)
    return mine


def adopted(attempt: CheckoutAttempt, stx: SmartData) -> CheckoutAttempt:
    """A Smart Transaction taken as never made turned up: it is the attempt's, closed when
    another attempt is open or holds the payment (the caller then aborts it)."""
    with locked(attempt.order_id, attempt_id=attempt.pk, source=Source.RECONCILE) as w:
        mine = w.locked_attempt
        if mine.stx_id:
            return mine
        others = w.order.attempts.exclude(pk=mine.pk).filter(
            state__in=[
                AttemptState.CREATING,
                AttemptState.UNKNOWN,
                AttemptState.OPEN,
                AttemptState.SETTLED,
            ]
        )
        state = AttemptState.CLOSED if others.exists() else AttemptState.OPEN
        before = mine.state
        w.set_attempt(mine, stx_id=stx.id, checkout_url=stx.checkout_url(), state=state)
        detail = {"lost_answer": "found late", "stx": mine.stx_id}
        w.note(ATTEMPT, mine.state, from_status=before, detail=detail)
    return mine


def note_error(attempt: CheckoutAttempt, error: dict[str, Any]) -> None:
    """What went wrong the last time the attempt was read (no state changes: no lock)."""
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(last_error=error, updated=timezone.now())


def claim_due(query: QuerySet[CheckoutAttempt], limit: int | None) -> list[CheckoutAttempt]:
    """Lock and stamp the due attempts of ``query`` so that a parallel run skips them
    (``SKIP LOCKED``: two runs at once split the work)."""
    now = timezone.now()
    with transaction.atomic():
        query = query.select_for_update(skip_locked=True, of=("self",))
        if limit:
            query = query[:limit]
        ids = [attempt.pk for attempt in query]
        CheckoutAttempt.objects.filter(pk__in=ids).update(
            last_synced_at=now, claimed_until=now + CLAIM_HOLD
        )
    return list(CheckoutAttempt.objects.filter(pk__in=ids).select_related("order"))


def release(ids: list[int]) -> None:
    """Release reconciliation claims (the run is done with these attempts)."""
    CheckoutAttempt.objects.filter(pk__in=ids).update(claimed_until=None)
