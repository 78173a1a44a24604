"""Background work as Django Tasks: processing stored pushes, reconciliation, and their retries.

Off by default: with ``SECU_MARKETPLACE["BACKGROUND_TASKS"] = False`` a push is processed in
the request that brings it and ``manage.py secu_sync`` (cron) reconciles, as before. Turned on,
the work runs on whatever backend ``TASKS`` configures (``django.tasks`` on Django 6, the
``django-tasks`` backport on Django 5.2): the database backend with ``manage.py db_worker``, an
RQ queue on Redis with ``manage.py rqworker``, or anything else that implements the API.

- ``process_pushes``: the push view stores the push and answers 200 at once; one task per
  attempt (however many pushes arrive before it starts: ``pushes.claim_read``) re-reads the
  attempt once ``PUSH_READ_INTERVAL`` has passed since its last read for pushes, and records
  every push that waited. secuconnect no longer re-sends a push we answered 200, so a failed
  re-read is retried here, ``TASK_RETRIES`` times with a doubling delay from
  ``TASK_RETRY_DELAY`` seconds (on backends that can defer a task; on others the attempt is left
  to reconciliation, which re-reads every attempt that is not final anyway).
- ``reconcile_due``: claims the due attempts (``bulk_sync.claim``: ``select_for_update
  (skip_locked=True)`` and a ``claimed_until`` stamp) and enqueues one ``sync_due_attempt`` per
  attempt, so the re-reads spread over every worker instead of one process's threads. However
  many ``reconcile_due`` tasks run at once, each due attempt is claimed, and so re-read, once.
- ``sync_due_attempt``: re-reads one claimed attempt and releases its claim.
- ``expire_unpaid``: reminds the buyers of unpaid orders and expires the orders past their
  deadline (``services.expiry.run``; each order is claimed, so runs at once never cancel it
  twice).
- ``books_upkeep``: the books (``services/upkeep.py``): payouts read, held parts released,
  buyers past ``ERASE_BUYERS_AFTER_DAYS`` erased; enqueued by ``secu_sync --enqueue`` and by a
  ``payment.payouts`` push. Two at once release nothing twice (each release is claimed).

Cron can enqueue the fan-out instead of running it: ``manage.py secu_sync --enqueue``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from importlib.util import find_spec
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.ledger import attempts as attempt_writes
from secu_marketplace.models import CheckoutAttempt
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.services import expiry
from secu_marketplace.services.bulk_sync import abandon_cutoff, claim, reconcile_one
from secu_marketplace.services.lost_create import adopt_late
from secu_marketplace.services.pushes import read_for_pushes
from secu_marketplace.services.upkeep import run_books

if find_spec("django.tasks"):  # Django 6+
    from django.tasks import task
elif find_spec("django_tasks"):  # the backport, for Django 5.2
    from django_tasks import task  # type: ignore[no-redef,assignment,unused-ignore]
else:  # pragma: no cover - only without either
    raise ImproperlyConfigured(
        "secu_marketplace.tasks needs Django 6's django.tasks or, on Django 5.2, the django-tasks "
        "package: pip install 'django-secu-marketplace[tasks]'"
    )

logger = logging.getLogger(__name__)


def _backend() -> str:
    return str(app_settings.TASK_BACKEND)


def _retry(task_obj: Any, retry: int, *args: Any) -> bool:
    """Enqueue ``task_obj`` again after a doubling delay; False when out of retries or the
    backend cannot defer a task (then reconciliation is the net)."""
    if retry >= int(app_settings.TASK_RETRIES):
        return False
    bound = task_obj.using(backend=_backend())
    if not bound.get_backend().supports_defer:
        return False
    delay = float(app_settings.TASK_RETRY_DELAY) * (2**retry)
    bound.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(*args, retry + 1)
    return True


@task()
def process_pushes(attempt_pk: int, retry: int = 0) -> str:
    """Re-read the attempt its waiting pushes are about (``pushes.read_for_pushes``), recording
    each of them; retry if secuconnect is unreachable."""
    attempt = CheckoutAttempt.objects.select_related("order").filter(pk=attempt_pk).first()
    if attempt is None:
        return "gone"
    result = read_for_pushes(attempt)
    if result is None:
        return "nothing waiting"  # another read recorded the pushes already
    if result.reachable:
        return "changed" if result.changed else "unchanged"
    if _retry(process_pushes, retry, attempt_pk):
        logger.info("pushes for %s: secuconnect unreachable, retry %d queued", attempt, retry + 1)
    return "unreachable"


@task()
def sync_due_attempt(attempt_pk: int) -> str:
    """Re-read one attempt that ``reconcile_due`` claimed, then release the claim."""
    attempt = CheckoutAttempt.objects.select_related("order").filter(pk=attempt_pk).first()
    if attempt is None:
        return "gone"
    try:
        # As secu_sync does: one read when nothing moved, an abandoned checkout closed.
        result = reconcile_one(attempt, abandon_before=abandon_cutoff())
    finally:
        attempt_writes.release([attempt_pk])
    if not result.reachable:
        # Still due: the next reconciliation run (min_age later) reads it again.
        return "unreachable"
    return "changed" if result.changed else "unchanged"


@task()
def reconcile_due(min_age: int | None = None, limit: int | None = None) -> int:
    """Claim the due attempts and enqueue one ``sync_due_attempt`` each; returns how many."""
    age = int(app_settings.SYNC_MIN_AGE) if min_age is None else int(min_age)
    late, _failed = adopt_late(client=SecuconnectClient())
    claimed = claim(min_age=age, limit=limit)
    ids = [a.pk for a in claimed] + [a.pk for a in late if a.pk not in {c.pk for c in claimed}]
    bound = sync_due_attempt.using(backend=_backend())
    for pk in ids:
        bound.enqueue(pk)
    return len(ids)


@task()
def books_upkeep() -> str:
    """Read the payouts, release the held parts that are due, erase expired buyers."""
    books = run_books()
    return "; ".join(books.errors) or "ok"


def enqueue_books_upkeep() -> None:
    books_upkeep.using(backend=_backend()).enqueue()


def enqueue_pushes(attempt_pk: int, *, after: float = 0.0) -> None:
    """Enqueue ``process_pushes`` (the caller claimed the read, ``pushes.claim_read``) once the
    push's row is committed: a worker on another connection (RQ, another machine) must find it;
    ``after`` seconds later where the backend can defer a task. The task changes state only
    through ``sync_attempt`` and so the write path."""

    def enqueue() -> None:
        bound = process_pushes.using(backend=_backend())
        if after > 0 and bound.get_backend().supports_defer:
            bound = bound.using(run_after=timezone.now() + timedelta(seconds=after))
        bound.enqueue(attempt_pk)

    transaction.on_commit(enqueue)


@task()
def expire_unpaid() -> dict[str, int]:
    """Remind and expire unpaid orders (``services.expiry.run``); returns the counts."""
    summary = expiry.run()
    return {
        "reminded": summary.reminded,
        "expired": summary.expired,
        "kept": summary.kept,
        "failed": summary.failed,
    }


def enqueue_reconcile(
    min_age: int | None = None, limit: int | None = None, *, expire: bool = True
) -> None:
    reconcile_due.using(backend=_backend()).enqueue(min_age, limit)
    if expire:
        expire_unpaid.using(backend=_backend()).enqueue()
