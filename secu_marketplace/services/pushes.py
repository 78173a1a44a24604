"""Push notifications (webhooks) from secuconnect: parse, record in the inbox, act.

A push is unsigned and carries no state, only the id of what changed: it is a hint to re-read,
nothing more. secuconnect re-sends every push that is not answered with exactly 200 OK, for 24
hours (docs/provider.md, "Pushes"), so the answer says only whether we want it again:

1. A body that is not a JSON object cannot be a push: 400 (413 when it is absurdly large), and
   nothing is stored.
2. Every JSON object is stored in the inbox, keyed by its ``id`` (or, without a usable one, by
   a digest of the body) and answered 200. One the app cannot act on (another object than
   ``event.pushes``, a target that is not about payments, ids that are not ``PCI_``/``STX_``,
   a legacy ``payment.secupay*`` push naming a hash this payment does not have) is recorded as
   *ignored*, with why, and only a summary of its body is kept. The provider's own demo
   acknowledges such pushes the same way. An attempt keeps at most ``PUSH_INBOX_LIMIT`` rows:
   beyond that, further pushes are counted on one overflow row instead of stored.
3. A duplicate of one already handled is answered 200 at once, without an API call.
4. A usable push leads to one re-read of the attempt through ``sync_attempt`` (our own Smart
   Transaction, by our own id: whatever a push names, what is applied is secuconnect's answer
   for this attempt). Each push is then recorded as processed, or as suspicious when it names an
   id that is not this attempt's.
5. **Coalescing**: whoever holds a push URL could send a flood of distinct pushes, and each
   must not become a call to secuconnect. A read that *starts after* a push was stored covers
   it, and an attempt is read for pushes at most once per ``PUSH_READ_INTERVAL``: the first push
   of a burst claims the next read (``claim_read``) and makes it once the interval since the last
   one has passed; every push stored before that read starts is answered 200 at once ("queued")
   and recorded by it. So a burst of any size costs one read per interval.
6. 200 only once the outcome is committed, for the push that made the read; while secuconnect
   cannot be reached the answer is 503, so secuconnect's own retries carry the news later (the
   pushes it covered stay *failed* in the inbox until a later read records them).
7. With ``BACKGROUND_TASKS`` on, 200 once the push is stored: the claimed read runs as one
   ``process_pushes`` task per attempt (tasks.py), after the interval, and that task retries what
   step 6 left to secuconnect.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.models import CheckoutAttempt, PushNotification
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.pushes import LEGACY_TARGET_RE, MalformedPush, Push, parse, summary
from secu_marketplace.redaction import redact
from secu_marketplace.rules.statuses import Source
from secu_marketplace.services import limits
from secu_marketplace.services.payouts import is_payout_push
from secu_marketplace.services.payouts import receive_push as receive_payout_push
from secu_marketplace.services.sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)

Outcome = PushNotification.Outcome
# Stored in full only up to this size; a larger body (never one of secuconnect's) is summarised.
MAX_STORED_BODY = 8 * 1024
# Pushes a read records: new ones, and ones an earlier read could not (secuconnect unreachable).
WAITING = (Outcome.RECEIVED, Outcome.FAILED)


@dataclass(frozen=True)
class PushAnswer:
    status: int
    message: str
    record: PushNotification | None = None
    # Background tasks on: the push is stored and the read is claimed for a task, to run this
    # many seconds from now (the push view enqueues it: tasks.enqueue_pushes).
    read_in: float | None = None
    # A payout push (services/payouts.py) to be read by the books_upkeep task (the view
    # enqueues it).
    payouts: bool = False


# --- the inbox -------------------------------------------------------------------------------


def _stored_body(push: Push, size: int) -> dict:
    if push.ignored or size > MAX_STORED_BODY:
        return redact(summary(push.body, size))
    return dict(redact(push.body))


def _full(attempt: CheckoutAttempt) -> bool:
    """Whether the attempt has stored its ``PUSH_INBOX_LIMIT`` pushes (counted in the shared
    cache, so counting costs no query; a cache without memory lets a few more through)."""
    stored = limits.count_up(f"secu_marketplace:push-stored:{attempt.pk}", keep_for=7 * 24 * 3600)
    return stored is not None and stored > int(app_settings.PUSH_INBOX_LIMIT)


def _overflow(attempt: CheckoutAttempt, push: Push) -> tuple[PushNotification, bool]:
    """One row counts every push beyond the attempt's inbox limit; it waits for the next read
    like any push (an ignored one is only counted)."""
    record, created = PushNotification.objects.get_or_create(
        push_id=f"overflow:{attempt.pk}",
        defaults={"attempt": attempt, "target": "(overflow)", "type": "", "body": {}},
    )
    if not created:
        PushNotification.objects.filter(pk=record.pk).update(
            deliveries=F("deliveries") + 1, last_received_at=timezone.now()
        )
    if not push.ignored and record.outcome not in WAITING:
        PushNotification.objects.filter(pk=record.pk).update(outcome=Outcome.RECEIVED)
        record.outcome = Outcome.RECEIVED
    return record, True


def _store(attempt: CheckoutAttempt, push: Push, size: int) -> tuple[PushNotification, bool]:
    """The inbox row for this push, and whether it is new."""
    fields = {
        "push_id": push.push_id,
        "attempt": attempt,
        "target": push.target,
        "type": push.type,
        "object_ids": list(push.object_ids),
        "body": _stored_body(push, size),
    }
    if push.ignored:
        fields.update(outcome=Outcome.IGNORED, error=push.ignored, processed_at=timezone.now())
    # The INSERT comes first: a new push costs one statement (after the limit's count), a
    # redelivery (the unique push id refuses it) three. A savepoint only inside a caller's
    # transaction (the IntegrityError must not break it); on its own the INSERT is a statement
    # of its own, and a failed one leaves nothing to roll back.
    guard = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
    try:
        with guard:
            if _full(attempt):
                return _overflow(attempt, push)
            return PushNotification.objects.create(**fields), True
    except IntegrityError:
        PushNotification.objects.filter(push_id=push.push_id).update(
            deliveries=F("deliveries") + 1, last_received_at=timezone.now()
        )
        return PushNotification.objects.get(push_id=push.push_id), False


# --- one read for many pushes ----------------------------------------------------------------


def _keys(attempt_pk: int) -> tuple[str, str]:
    prefix = f"secu_marketplace:push-read:{attempt_pk}"
    return f"{prefix}:claimed", f"{prefix}:last"


def claim_read(attempt_pk: int) -> bool:
    """Claim the next read for ``attempt_pk``'s pushes: True if this caller must make it (then
    ``read_for_pushes``), False if a read that has not started yet is claimed already and will
    cover what was stored before now. The claim expires, so a claimant that dies frees it."""
    interval = float(app_settings.PUSH_READ_INTERVAL)
    return limits.claim(_keys(attempt_pk)[0], for_seconds=interval + 60)


def wait_for_interval(attempt_pk: int) -> float:
    """Seconds until the attempt may be read for pushes again (0: now)."""
    last = limits.shared().get(_keys(attempt_pk)[1])
    if last is None:
        return 0.0
    return max(float(last) + float(app_settings.PUSH_READ_INTERVAL) - time.time(), 0.0)


def read_for_pushes(
    attempt: CheckoutAttempt,
    *,
    client: SecuconnectClient | None = None,
    record: PushNotification | None = None,
) -> SyncResult | None:
    """The claimed read: once the interval has passed, release the claim (pushes stored from
    now on claim a read of their own), read the attempt, and record every push that waited
    (``record``, the caller's own, among them: updated in place). None, and no read, when no
    push waits (another read recorded them already)."""
    claimed, last = _keys(attempt.pk)
    time.sleep(wait_for_interval(attempt.pk))
    # The read's start is stamped before the claim is released: the next claimant must see it,
    # or it would not wait its interval.
    limits.shared().set(last, time.time(), timeout=float(app_settings.PUSH_READ_INTERVAL) + 60)
    limits.shared().delete(claimed)
    waiting = [
        record if record is not None and found.pk == record.pk else found
        for found in PushNotification.objects.filter(attempt=attempt, outcome__in=WAITING)
    ]
    if not waiting:
        return None
    result = sync_attempt(attempt, source=Source.PUSH, client=client)
    _record(attempt, waiting, result)
    return result


def _record(attempt: CheckoutAttempt, records: list[PushNotification], result: SyncResult) -> None:
    """What each push that waited for this read turned out to be."""
    rows = result.payments or []
    ours = {p.pci_id: p.transaction_hash for p in rows if p.attempt_id == attempt.pk}
    names = {str(attempt.stx_id), *ours}
    hashes = {value for value in ours.values() if value}
    now = timezone.now()
    for record in records:
        record.processed_at = now
        if not result.reachable:
            record.outcome = Outcome.FAILED
            record.error = str(result.error or "secuconnect could not be reached")[:2000]
            continue
        record.changed = record.changed or result.changed
        record.outcome, record.error = _judged(record, names, hashes)
        if record.outcome == Outcome.SUSPICIOUS:
            logger.warning("suspicious push %s for %s: %s", record.push_id, attempt, record.error)
    fields = ["outcome", "error", "processed_at", "changed"]
    if len(records) == 1:
        records[0].save(update_fields=fields)  # the usual case: one UPDATE, no transaction
    else:
        PushNotification.objects.bulk_update(records, fields)


def _judged(record: PushNotification, names: set[str], hashes: set[str]) -> tuple[str, str]:
    """A push's outcome once its payment was read: processed, or what it named that is not
    this payment's (a legacy push names transaction hashes)."""
    named = [str(i) for i in record.object_ids]
    if LEGACY_TARGET_RE.match(record.target):
        if hashes.intersection(named):
            return Outcome.PROCESSED, ""
        return Outcome.IGNORED, "legacy push names no transaction hash of this payment"
    foreign = [i for i in named if i not in names]
    if foreign:
        return Outcome.SUSPICIOUS, f"not this payment's: {', '.join(foreign)}"
    return Outcome.PROCESSED, ""


def process(
    record: PushNotification, *, client: SecuconnectClient | None = None
) -> SyncResult | None:
    """Process a stored push again (staff, ``secu_reprocess_pushes``): one read of its attempt,
    recording it and every other push of the attempt still waiting. An ignored push stays
    ignored."""
    attempt = record.attempt
    if record.outcome == Outcome.IGNORED:
        return None
    if attempt is None:
        record.outcome, record.error = Outcome.SUSPICIOUS, "no checkout attempt"
        record.save(update_fields=["outcome", "error"])
        return None
    waiting = list(PushNotification.objects.filter(attempt=attempt, outcome__in=WAITING))
    records = [record, *(r for r in waiting if r.pk != record.pk)]
    result = sync_attempt(attempt, source=Source.PUSH, client=client)
    _record(attempt, records, result)
    return result


# --- the endpoint's work ---------------------------------------------------------------------


def receive(attempt: CheckoutAttempt, raw: bytes) -> PushAnswer:
    try:
        push = parse(raw)
    except MalformedPush as error:
        logger.warning("malformed push for %s: %s", attempt, error)
        return PushAnswer(error.http_status, str(error))
    if is_payout_push(push):  # docs/books.md: one may come to a checkout's push URL too
        answer = receive_payout_push(raw, push=push)
        return PushAnswer(answer.status, answer.message, payouts=answer.enqueue)
    record, new = _store(attempt, push, len(raw))
    if push.ignored:
        if new:
            logger.info("push %s for %s ignored: %s", push.push_id, attempt, push.ignored)
        return PushAnswer(200, f"ignored: {push.ignored}", record)
    if not new and record.attempt_id != attempt.pk:
        logger.warning("push %s replayed to another attempt's URL", push.push_id)
        return PushAnswer(200, "already received", record)
    if record.outcome not in WAITING:
        return PushAnswer(200, "already processed", record)
    if not claim_read(attempt.pk):
        # A read that starts after this push was stored is claimed already: it records it.
        return PushAnswer(200, "queued", record)
    if app_settings.BACKGROUND_TASKS:
        # Stored: acknowledge now; one task reads for every push of the attempt, after the
        # interval and once the row is committed (the view enqueues it).
        return PushAnswer(200, "queued", record, read_in=wait_for_interval(attempt.pk))
    result = read_for_pushes(attempt, record=record)
    if result is not None and not result.reachable:
        return PushAnswer(503, "could not re-read the transaction; please retry", record)
    return PushAnswer(200, "ok" if record.outcome != Outcome.IGNORED else "ignored", record)
