"""Refreshing many orders from secuconnect at once (the admin action, ``secu_sync``).

Each attempt goes through ``sync_attempt``; a small thread pool bounds how many calls are in
flight at once (``SYNC_CONCURRENCY``), and each thread closes its own database connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import close_old_connections, connections

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.conf import app_settings
from secu_marketplace.models import Order, SmartTransaction
from secu_marketplace.statuses import AttemptState

from .sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)

# Attempts worth re-reading: anything that is not settled for good on our side.
LIVE_STATES = (AttemptState.OPEN, AttemptState.SETTLED, AttemptState.UNKNOWN, AttemptState.CREATING)


@dataclass
class RefreshSummary:
    checked: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, label: str, result: SyncResult | None) -> None:
        self.checked += 1
        if result is None or not result.reachable:
            self.failed += 1
            self.failures.append(label)
        elif result.changed:
            self.changed += 1
        else:
            self.unchanged += 1


def attempts_to_refresh(orders: Iterable[Order]) -> list[SmartTransaction]:
    """Per order: its latest attempt and every other one that may still move money."""
    chosen: dict[int, SmartTransaction] = {}
    ids = [order.pk for order in orders]
    attempts = (
        SmartTransaction.objects.filter(order_id__in=ids)
        .select_related("order")
        .order_by("order_id", "number")
    )
    latest: dict[int, SmartTransaction] = {}
    for attempt in attempts:
        latest[attempt.order_id] = attempt
        if attempt.state in LIVE_STATES:
            chosen[attempt.pk] = attempt
    for attempt in latest.values():
        chosen.setdefault(attempt.pk, attempt)
    return list(chosen.values())


def refresh_attempts(
    attempts: list[SmartTransaction],
    *,
    source: str,
    concurrency: int | None = None,
    progress: Callable[[SmartTransaction, SyncResult | None], None] | None = None,
) -> RefreshSummary:
    summary = RefreshSummary()
    workers = max(1, min(int(concurrency or app_settings.SYNC_CONCURRENCY), len(attempts) or 1))
    client = SecuconnectClient()

    def one(attempt: SmartTransaction) -> SyncResult | None:
        try:
            return sync_attempt(attempt, source=source, client=client)
        except Exception:  # one broken order must not stop the others
            logger.exception("refresh of %s failed", attempt)
            return None
        finally:
            if workers > 1:
                connections.close_all()

    results: Iterator[SyncResult | None]
    if workers == 1:
        results = map(one, attempts)
    else:
        close_old_connections()
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secu-refresh")
        results = pool.map(one, attempts)
    try:
        for attempt, result in zip(attempts, results, strict=True):
            summary.add(attempt.stx_id or f"{attempt.order.reference}#{attempt.number}", result)
            if progress:
                progress(attempt, result)
    finally:
        if workers > 1:
            pool.shutdown(wait=True)
    return summary


def refresh_orders(
    orders: Iterable[Order], *, source: str, concurrency: int | None = None
) -> RefreshSummary:
    return refresh_attempts(attempts_to_refresh(orders), source=source, concurrency=concurrency)
