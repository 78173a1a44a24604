"""Reconciliation: re-reading every attempt that may still change by itself (``secu_sync``).

Pushes get lost and buyers close their browsers; this is the net under both. An attempt is due
when it is not final on secuconnect's side (created, approved, pending, or unknown to us after a
lost answer) and was not synced for ``min_age`` seconds. Due attempts are claimed with
``select_for_update(skip_locked=True)`` and their ``last_synced_at`` stamped in the same short
transaction, so two runs at once (cron overlapping itself, two hosts) split the work instead of
doing it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.conf import app_settings
from secu_marketplace.models import SmartTransaction
from secu_marketplace.statuses import AttemptState, Source

from .recovery import adopt_late
from .refresh import RefreshSummary, refresh_attempts
from .sync import SyncResult

# Smart Transaction statuses that may still move without anyone acting on our side.
OPEN_PROVIDER_STATUSES = ("created", "approved", "pending", "")


# How long a claim keeps other runs off an attempt if the run that took it never releases it.
CLAIM_HOLD = timedelta(minutes=10)


def due(min_age: int, now: datetime | None = None) -> QuerySet[SmartTransaction]:
    now = now or timezone.now()
    stale = Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=now - timedelta(seconds=min_age))
    open_at_provider = Q(state=AttemptState.OPEN) | Q(
        state=AttemptState.SETTLED, provider_status__in=OPEN_PROVIDER_STATUSES
    )
    lost = Q(state=AttemptState.UNKNOWN) | Q(
        state=AttemptState.CREATING, created__lt=now - timedelta(seconds=max(min_age, 60))
    )
    # Abandoned checkouts are not re-read for ever; a prepaid transfer gets weeks to arrive.
    recent = Q(created__gt=now - timedelta(days=int(app_settings.SYNC_WINDOW_DAYS)))
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return SmartTransaction.objects.filter(
        stale & recent & free & (open_at_provider | lost)
    ).order_by("last_synced_at", "pk")


def claim(
    *, min_age: int, limit: int | None, order_reference: str | None = None
) -> list[SmartTransaction]:
    """Lock and stamp the due attempts so that a parallel run skips them."""
    now = timezone.now()
    with transaction.atomic():
        if order_reference:
            query = SmartTransaction.objects.filter(order__reference=order_reference).exclude(
                state__in=[AttemptState.CLOSED]
            )
        else:
            query = due(min_age, now)
        query = query.select_for_update(skip_locked=True, of=("self",))
        if limit:
            query = query[:limit]
        attempts = list(query)
        SmartTransaction.objects.filter(pk__in=[a.pk for a in attempts]).update(
            last_synced_at=now, claimed_until=now + CLAIM_HOLD
        )
    return list(
        SmartTransaction.objects.filter(pk__in=[a.pk for a in attempts]).select_related("order")
    )


def reconcile(
    *,
    min_age: int,
    limit: int | None = None,
    order_reference: str | None = None,
    concurrency: int | None = None,
    progress: Callable[[SmartTransaction, SyncResult | None], None] | None = None,
) -> tuple[list[SmartTransaction], RefreshSummary]:
    # A Smart Transaction whose create was taken as never made may have landed after all.
    late, failed_searches = adopt_late(client=SecuconnectClient(), order_reference=order_reference)
    attempts = claim(min_age=min_age, limit=limit, order_reference=order_reference)
    claimed_ids = {a.pk for a in attempts}
    attempts += [a for a in late if a.pk not in claimed_ids]
    summary = refresh_attempts(
        attempts, source=Source.RECONCILE, concurrency=concurrency, progress=progress
    )
    for label in failed_searches:
        summary.add(label, None)
    SmartTransaction.objects.filter(pk__in=[a.pk for a in attempts]).update(claimed_until=None)
    return attempts, summary
