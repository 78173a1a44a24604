"""Push notifications from secuconnect: parse, record in the inbox, act.

A push is unsigned and carries no state, only the id of what changed: it is a hint to re-read,
nothing more. secuconnect re-sends every push that is not answered with exactly 200 OK, for 24
hours (docs/provider.md, "Pushes"), so the answer says only whether we want it again:

1. A body that is not a JSON object cannot be a push: 400 (413 when it is absurdly large), and
   nothing is stored.
2. Every JSON object is stored in the inbox, keyed by its ``id`` (or, without a usable one, by
   a digest of the body) and answered 200. One the app cannot act on (another object than
   ``event.pushes``, a target that is not about payments, ids that are not ``PCI_``/``STX_``,
   a legacy ``payment.secupay*`` push naming a hash this payment does not have) is recorded as
   *ignored*, with why. The provider's own demo acknowledges such pushes the same way.
3. A duplicate of one already handled is answered 200 at once, without an API call.
4. A usable push re-reads the attempt through ``sync_attempt``; only if every id it names
   belongs to the attempt is the answer applied. A push naming someone else's transaction
   changes nothing and is recorded as suspicious.
5. 200 only once the outcome is committed; while secuconnect cannot be reached the answer is
   503, so secuconnect's own retries carry the news later.
6. With ``BACKGROUND_TASKS`` on, 200 once the push is stored: the re-read of step 4 runs as the
   ``process_push`` task after the commit, and that task retries what step 5 left to
   secuconnect (secu_marketplace/tasks.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import SecuMarketplaceError
from secu_marketplace.models import CheckoutAttempt, PaymentTransaction, PushNotification
from secu_marketplace.redaction import redact
from secu_marketplace.statuses import Source

from .sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)

OBJECT_ID_RE = re.compile(r"^(PCI|STX)_[A-Z0-9]{30}$")
# What a push id may look like to be used as the inbox key as it is. The documentation shows
# ``evt_`` with 32 hex digits, but also ``evt_12345678``, 24 hex digits and non-hex letters.
PUSH_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
# Legacy (Flex.API) targets name transactions by their hash, not by a PCI id.
LEGACY_TARGET_RE = re.compile(r"^payment\.secupay[a-z]+$")
MAX_BODY = 64 * 1024
MAX_ITEMS = 20
TARGETS = {"payment.transactions", "smart.transactions"}
Outcome = PushNotification.Outcome


class MalformedPush(SecuMarketplaceError, ValueError):
    """The body is not a JSON object, so it cannot be a push at all."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.http_status = status


@dataclass(frozen=True)
class Push:
    push_id: str
    target: str
    type: str
    # The ids the push names that the app can read (PCI_/STX_), or legacy hashes.
    object_ids: tuple[str, ...]
    created: str
    body: dict
    legacy: bool = False
    # Why the app cannot act on it; empty when it can.
    ignored: str = ""
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class PushAnswer:
    status: int
    message: str
    record: PushNotification | None = None


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _without_nul(value: Any) -> Any:
    """The body with NUL characters replaced: PostgreSQL keeps none in text or jsonb, and a push
    that carries one must still be stored (and acknowledged), not end in a 500."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def parse(raw: bytes) -> Push:
    """Read a push body. Raises ``MalformedPush`` only for a body that is not a JSON object;
    anything else comes back as a ``Push``, with ``ignored`` saying why when it is unusable."""
    if len(raw) > MAX_BODY:
        raise MalformedPush(f"body larger than {MAX_BODY} bytes", status=413)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedPush("body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedPush("body is not a JSON object")
    data = _without_nul(data)
    raw_id = data.get("id")
    push_id = raw_id if isinstance(raw_id, str) and PUSH_ID_RE.match(raw_id) else ""
    # Without a usable id, redeliveries of the same body still land on one inbox row.
    key = push_id or "sha256:" + hashlib.sha256(raw).hexdigest()[:48]
    target = _text(data.get("target"), 40)
    kind = _text(data.get("type"), 20)
    created = _text(data.get("created"), 40)
    push = Push(push_id=key, target=target, type=kind, object_ids=(), created=created, body=data)
    items = data.get("data")
    named = [
        str(item["id"])
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]

    def ignored(reason: str) -> Push:
        return replace(push, object_ids=tuple(i[:80] for i in named[:MAX_ITEMS]), ignored=reason)

    if data.get("object") != "event.pushes":
        return ignored(f"object {str(data.get('object'))[:40]!r} is not event.pushes")
    if not isinstance(items, list) or not items:
        return ignored("data names no transaction")
    if len(items) > MAX_ITEMS:
        return ignored(f"data names more than {MAX_ITEMS} transactions")
    if LEGACY_TARGET_RE.match(target):
        hashes = [i for i in named if re.fullmatch(r"[A-Za-z0-9_]{1,80}", i)]
        if not hashes:
            return ignored(f"legacy target {target} names no transaction hash")
        return replace(push, object_ids=tuple(hashes), legacy=True)
    if target not in TARGETS:
        return ignored(f"target {target!r} is not about payments")
    usable = [i for i in named if OBJECT_ID_RE.match(i)]
    others = [i for i in named if not OBJECT_ID_RE.match(i)]
    if not usable:
        return ignored("names no PCI_ or STX_ id (e.g. a payment of another product)")
    notes = tuple(f"not a PCI_/STX_ id, skipped: {i[:80]}" for i in others)
    return replace(push, object_ids=tuple(usable), notes=notes)


def _store(attempt: CheckoutAttempt, push: Push) -> tuple[PushNotification, bool]:
    """The inbox row for this push, and whether it is new."""
    fields = {
        "push_id": push.push_id,
        "attempt": attempt,
        "target": push.target,
        "type": push.type,
        "object_ids": list(push.object_ids),
        "body": redact(push.body),
    }
    if push.ignored:
        fields.update(outcome=Outcome.IGNORED, error=push.ignored, processed_at=timezone.now())
    # The INSERT comes first: a new push costs one statement, a redelivery (the unique push id
    # refuses it) three. A savepoint only inside a caller's transaction (the IntegrityError
    # must not break it); on its own the INSERT is a statement of its own, and a failed one
    # leaves nothing to roll back.
    guard = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
    try:
        with guard:
            return PushNotification.objects.create(**fields), True
    except IntegrityError:
        PushNotification.objects.filter(push_id=push.push_id).update(
            deliveries=F("deliveries") + 1, last_received_at=timezone.now()
        )
        return PushNotification.objects.get(push_id=push.push_id), False


def _legacy_match(record: PushNotification) -> list[str]:
    """The attempt's own PCI ids whose hashes a legacy push names."""
    return list(
        PaymentTransaction.objects.filter(
            attempt=record.attempt, transaction_hash__in=[str(i) for i in record.object_ids]
        ).values_list("pci_id", flat=True)
    )


def process(
    record: PushNotification, *, client: SecuconnectClient | None = None
) -> SyncResult | None:
    """Re-read the attempt a stored push is about and record the outcome (used for new pushes,
    redeliveries of failed ones, and staff reprocessing). An ignored push stays ignored."""
    attempt = record.attempt
    if record.outcome == Outcome.IGNORED:
        return None
    if attempt is None:
        record.outcome, record.error = Outcome.SUSPICIOUS, "no checkout attempt"
        record.save(update_fields=["outcome", "error"])
        return None
    legacy = bool(LEGACY_TARGET_RE.match(record.target))
    # A legacy push names hashes, which only the provider's answer can tie to PCI ids: re-read
    # the attempt its URL belongs to (nothing is taken from the push), then look.
    named = () if legacy else tuple(str(i) for i in record.object_ids)
    result = sync_attempt(attempt, source=Source.PUSH, client=client, named=named)
    record.processed_at = timezone.now()
    if not result.reachable:
        record.outcome = Outcome.FAILED
        record.error = str(result.error or "secuconnect could not be reached")[:2000]
    elif result.foreign:
        record.outcome = Outcome.SUSPICIOUS
        record.error = f"not this payment's: {', '.join(result.foreign)}"
        logger.warning(
            "suspicious push %s for %s names %s",
            record.push_id,
            attempt.stx_id,
            ", ".join(result.foreign),
        )
    elif legacy and not _legacy_match(record):
        record.outcome = Outcome.IGNORED
        record.error = "legacy push names no transaction hash of this payment"
        record.changed = record.changed or result.changed
    else:
        record.outcome = Outcome.PROCESSED
        record.error = ""
        record.changed = record.changed or result.changed
    record.save(update_fields=["outcome", "error", "processed_at", "changed"])
    return result


def receive(attempt: CheckoutAttempt, raw: bytes) -> PushAnswer:
    try:
        push = parse(raw)
    except MalformedPush as error:
        logger.warning("malformed push for %s: %s", attempt, error)
        return PushAnswer(error.http_status, str(error))
    record, new = _store(attempt, push)
    if not new and record.attempt_id != attempt.pk:
        logger.warning("push %s replayed to another attempt's URL", push.push_id)
        return PushAnswer(200, "already received", record)
    if record.outcome == Outcome.IGNORED:
        if new:
            logger.info("push %s for %s ignored: %s", record.push_id, attempt, record.error)
        return PushAnswer(200, f"ignored: {record.error}", record)
    if not new and record.outcome in (Outcome.PROCESSED, Outcome.SUSPICIOUS):
        return PushAnswer(200, "already processed", record)
    if app_settings.BACKGROUND_TASKS:
        # Stored: acknowledge now; the task is enqueued once the row is committed. A
        # redelivery of one still queued or failed is enqueued again; processing is idempotent.
        from secu_marketplace.tasks import enqueue_push

        enqueue_push(record.pk)
        return PushAnswer(200, "queued", record)
    process(record)
    if record.outcome == Outcome.FAILED:
        return PushAnswer(503, "could not re-read the transaction; please retry", record)
    return PushAnswer(200, "ok" if record.outcome != Outcome.IGNORED else "ignored", record)
