"""Re-reading many checkout attempts at once: the admin's bulk refresh and ``secu_sync``.

Each attempt goes through ``sync.sync_attempt``; a few worker threads bound how many calls are
in flight at once (``SYNC_CONCURRENCY``), and each closes its own database connection when done.

Reconciliation (``reconcile``, run by ``secu_sync``) is the net under lost pushes and closed
browsers: an attempt is due when it is not final on secuconnect's side (created, approved,
pending, or unknown to us after a lost answer) and was not synced for ``min_age`` seconds. Due
attempts are claimed with ``select_for_update(skip_locked=True)``, stamped, and held
(``claimed_until``) until the run ends, so two runs at once (cron overlapping itself, two
hosts) split the work instead of doing it twice.

Reconciliation keeps up with a growing due set in two ways. An attempt whose Smart Transaction
reads exactly as stored costs one call and no write (``sync_attempt(stop_if_unchanged=True)``;
the claim has already stamped it). And a checkout the buyer abandoned (still "created" at
secuconnect ``SYNC_ABANDON_AFTER`` seconds after it was opened) is aborted at secuconnect and
closed, so it leaves the due set instead of being re-read for ``SYNC_WINDOW_DAYS``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import close_old_connections, connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, SecuconnectError
from secu_marketplace.ledger import attempts as attempt_writes
from secu_marketplace.models import CheckoutAttempt, Order
from secu_marketplace.provider.answers import parse_smart
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.rules.statuses import AttemptState, OrderStatus, Source, StxStatus
from secu_marketplace.services.lost_create import adopt_late
from secu_marketplace.services.sync import SyncResult, sync_attempt

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


def attempts_to_refresh(orders: Iterable[Order]) -> list[CheckoutAttempt]:
    """Per order: its latest attempt and every other one that may still move money."""
    chosen: dict[int, CheckoutAttempt] = {}
    ids = [order.pk for order in orders]
    attempts = (
        CheckoutAttempt.objects.filter(order_id__in=ids)
        .select_related("order")
        .order_by("order_id", "number")
    )
    latest: dict[int, CheckoutAttempt] = {}
    for attempt in attempts:
        latest[attempt.order_id] = attempt
        if attempt.state in LIVE_STATES:
            chosen[attempt.pk] = attempt
    for attempt in latest.values():
        chosen.setdefault(attempt.pk, attempt)
    return list(chosen.values())


def refresh_attempts(
    attempts: list[CheckoutAttempt],
    *,
    source: str,
    concurrency: int | None = None,
    progress: Callable[[CheckoutAttempt, SyncResult | None], None] | None = None,
    stop_if_unchanged: bool = False,
    abandon_before: datetime | None = None,
) -> RefreshSummary:
    """Sync each attempt. ``stop_if_unchanged``: see ``sync_attempt``. ``abandon_before``: an
    attempt opened before then and still "created" at secuconnect is aborted and closed."""
    summary = RefreshSummary()
    workers = max(1, min(int(concurrency or app_settings.SYNC_CONCURRENCY), len(attempts) or 1))
    client = SecuconnectClient()

    def one(attempt: CheckoutAttempt) -> SyncResult | None:
        try:
            return reconcile_one(
                attempt,
                source=source,
                client=client,
                stop_if_unchanged=stop_if_unchanged,
                abandon_before=abandon_before,
            )
        except Exception:  # one broken order must not stop the others
            logger.exception("refresh of %s failed", attempt)
            return None

    def done(attempt: CheckoutAttempt, result: SyncResult | None) -> None:
        summary.add(attempt.stx_id or f"{attempt.order.reference}#{attempt.number}", result)
        if progress:
            progress(attempt, result)

    if workers == 1:
        for attempt in attempts:
            done(attempt, one(attempt))
    else:
        _in_threads(attempts, workers, one, done)
    return summary


def _in_threads(
    attempts: list[CheckoutAttempt],
    workers: int,
    one: Callable[[CheckoutAttempt], SyncResult | None],
    done: Callable[[CheckoutAttempt, SyncResult | None], None],
) -> None:
    """``one`` for each attempt on ``workers`` threads; ``done`` in this thread as each
    finishes. Each worker thread keeps its database connection for all the attempts it syncs
    and closes it when it runs out of work: opening one per attempt (a new PostgreSQL session
    each time) cost more than an unchanged attempt's whole sync."""
    close_old_connections()
    pending = iter(attempts)
    taking = threading.Lock()
    finished: queue.SimpleQueue[tuple[CheckoutAttempt, SyncResult | None]] = queue.SimpleQueue()

    def work() -> None:
        try:
            while True:
                with taking:
                    attempt = next(pending, None)
                if attempt is None:
                    return
                result = None
                try:
                    result = one(attempt)
                finally:  # always one answer per attempt, or the loop below would wait for ever
                    finished.put((attempt, result))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, name=f"secu-refresh-{n}", daemon=True) for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in attempts:
            done(*finished.get())
    finally:
        for thread in threads:
            thread.join()


def refresh_order(order: Order, *, source: str = Source.SHOP) -> Order:
    """Re-read ``order`` from secuconnect (its latest attempt, and every other one that may
    still move money) and return it as that leaves it: what a shop calls before reading
    ``order_balance`` when the figures must be fresh. Staff's refresh does the same."""
    refresh_orders([order], source=source)
    return Order.objects.get(pk=order.pk)


def refresh_orders(
    orders: Iterable[Order], *, source: str, concurrency: int | None = None
) -> RefreshSummary:
    return refresh_attempts(attempts_to_refresh(orders), source=source, concurrency=concurrency)


def reconcile_one(
    attempt: CheckoutAttempt,
    *,
    source: str = Source.RECONCILE,
    client: SecuconnectClient | None = None,
    stop_if_unchanged: bool = True,
    abandon_before: datetime | None = None,
) -> SyncResult:
    """What reconciliation does with one due attempt, in ``secu_sync`` and in the background
    task alike: one read when nothing moved, a checkout opened before ``abandon_before``
    (``abandon_cutoff()``) and still "created" aborted and closed."""
    client = client or SecuconnectClient()
    # A chargeback's end shows on the Payment Transactions only, never on the Smart
    # Transaction: a disputed order is read in full.
    disputed = attempt.order.status == OrderStatus.DISPUTED
    result = sync_attempt(
        attempt, source=source, client=client, stop_if_unchanged=stop_if_unchanged and not disputed
    )
    if abandon_before is not None and _abandoned(result, abandon_before):
        result = abandon(result.attempt, client=client, source=source)
    return result


def abandon_cutoff() -> datetime | None:
    """Checkouts opened before this and still "created" are abandoned (``SYNC_ABANDON_AFTER``;
    None when it is 0)."""
    after = int(app_settings.SYNC_ABANDON_AFTER or 0)
    return timezone.now() - timedelta(seconds=after) if after > 0 else None


def _abandoned(result: SyncResult, before: datetime) -> bool:
    attempt = result.attempt
    return (
        result.reachable
        and attempt.state == AttemptState.OPEN
        and attempt.provider_status == StxStatus.CREATED
        and attempt.created < before
    )


def abandon(attempt: CheckoutAttempt, *, client: SecuconnectClient, source: str) -> SyncResult:
    """Abort an abandoned checkout's Smart Transaction at secuconnect, then close the attempt
    and, when it is the order's latest, move the order to "aborted" (the buyer may still start
    a new checkout from there). The caller has just read it as "created"."""
    try:
        answer = client.abort_smart_transaction(str(attempt.stx_id))
    except ApiError as error:
        # Refused: it moved since our read (the buyer is paying right now). Learn what it is.
        logger.info("abort of abandoned %s refused (%s); syncing it", attempt.stx_id, error)
        return sync_attempt(attempt, source=source, client=client)
    except SecuconnectError as error:
        # Unreachable or a lost answer: still open on our side, so the next run tries again.
        logger.warning("could not abort abandoned %s: %s", attempt.stx_id, error)
        return SyncResult(
            attempt=attempt,
            order=Order.objects.get(pk=attempt.order_id),
            reachable=False,
            error=error,
        )
    aborted = parse_smart(answer)
    closed = attempt_writes.abandoned(attempt, aborted, source=source)
    if closed is None:  # something else settled it meanwhile
        return SyncResult(attempt=attempt, order=Order.objects.get(pk=attempt.order_id))
    return SyncResult(attempt=closed.locked_attempt, order=closed.order, changed=True)


# Smart Transaction statuses that may still move without anyone acting on our side.
OPEN_PROVIDER_STATUSES = (StxStatus.CREATED, StxStatus.APPROVED, StxStatus.PENDING, "")


def due(min_age: int, now: datetime | None = None) -> QuerySet[CheckoutAttempt]:
    now = now or timezone.now()
    stale = Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=now - timedelta(seconds=min_age))
    open_at_provider = (
        Q(state=AttemptState.OPEN)
        | Q(state=AttemptState.SETTLED, provider_status__in=OPEN_PROVIDER_STATUSES)
        # A chargeback's end is news on the Payment Transactions only: a lost push about it
        # must not leave the order disputed for ever.
        | Q(state=AttemptState.SETTLED, order__status=OrderStatus.DISPUTED)
    )
    lost = Q(state=AttemptState.UNKNOWN) | Q(
        state=AttemptState.CREATING, created__lt=now - timedelta(seconds=max(min_age, 60))
    )
    # Abandoned checkouts are not re-read for ever; a prepaid transfer gets weeks to arrive.
    recent = Q(created__gt=now - timedelta(days=int(app_settings.SYNC_WINDOW_DAYS)))
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return CheckoutAttempt.objects.filter(
        stale & recent & free & (open_at_provider | lost)
    ).order_by("last_synced_at", "pk")


def claim(
    *, min_age: int, limit: int | None, order_reference: str | None = None
) -> list[CheckoutAttempt]:
    """Lock and stamp the due attempts so that a parallel run skips them."""
    if order_reference:
        query = CheckoutAttempt.objects.filter(order__reference=order_reference).exclude(
            state__in=[AttemptState.CLOSED]
        )
    else:
        query = due(min_age)
    return attempt_writes.claim_due(query, limit)


def reconcile(
    *,
    min_age: int,
    limit: int | None = None,
    order_reference: str | None = None,
    concurrency: int | None = None,
    progress: Callable[[CheckoutAttempt, SyncResult | None], None] | None = None,
) -> tuple[list[CheckoutAttempt], RefreshSummary]:
    # A Smart Transaction whose create was taken as never made may have landed after all.
    late, failed_searches = adopt_late(client=SecuconnectClient(), order_reference=order_reference)
    attempts = claim(min_age=min_age, limit=limit, order_reference=order_reference)
    claimed_ids = {a.pk for a in attempts}
    attempts += [a for a in late if a.pk not in claimed_ids]
    summary = refresh_attempts(
        attempts,
        source=Source.RECONCILE,
        concurrency=concurrency,
        progress=progress,
        # One order asked for by name (``secu_sync --order``) is read in full, as staff expect.
        stop_if_unchanged=not order_reference,
        abandon_before=abandon_cutoff(),
    )
    for label in failed_searches:
        summary.add(label, None)
    attempt_writes.release([a.pk for a in attempts])
    return attempts, summary
