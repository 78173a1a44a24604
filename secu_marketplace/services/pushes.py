"""Push notifications from secuconnect: parse, record in the inbox, act.

A push is unsigned and carries no state, only the id of what changed: it is a hint to re-read,
nothing more. The flow for one POST to an attempt's ``url_push``:

1. Anything but the documented ``event.pushes`` shape is refused (4xx) before any API call and
   leaves no trace in the orders.
2. The push is stored in the inbox by its ``evt_`` id. A duplicate of one already handled is
   answered 200 at once, without an API call.
3. The attempt is re-read through ``sync_attempt``; only if every id the push names belongs to
   it is the answer applied. A push naming someone else's transaction changes nothing and is
   recorded as suspicious.
4. 200 only once the outcome is committed; while secuconnect cannot be reached the answer is
   503, so secuconnect's own retries (until 200, for 24 hours) carry the news later.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.exceptions import SecuMarketplaceError
from secu_marketplace.models import PushNotification, SmartTransaction
from secu_marketplace.redaction import redact
from secu_marketplace.statuses import Source

from .sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)

PUSH_ID_RE = re.compile(r"^evt_[0-9a-f]{16,64}$")
OBJECT_ID_RE = re.compile(r"^(PCI|STX)_[A-Z0-9]{30}$")
MAX_BODY = 64 * 1024
MAX_ITEMS = 20
TARGETS = {"payment.transactions", "smart.transactions"}
TYPES = {"changed", "added", "display"}
Outcome = PushNotification.Outcome


class MalformedPush(SecuMarketplaceError, ValueError):
    """The body is not an ``event.pushes`` notification we can act on."""


@dataclass(frozen=True)
class Push:
    push_id: str
    target: str
    type: str
    object_ids: tuple[str, ...]
    created: str
    body: dict


@dataclass(frozen=True)
class PushAnswer:
    status: int
    message: str
    record: PushNotification | None = None


def parse(raw: bytes) -> Push:
    if len(raw) > MAX_BODY:
        raise MalformedPush(f"body larger than {MAX_BODY} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedPush("body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedPush("body is not a JSON object")
    if data.get("object") != "event.pushes":
        raise MalformedPush("object is not event.pushes")
    push_id = data.get("id")
    if not isinstance(push_id, str) or not PUSH_ID_RE.match(push_id):
        raise MalformedPush("id is not a push id (evt_ and hex digits)")
    target = data.get("target")
    if target not in TARGETS:
        raise MalformedPush(f"target must be one of {', '.join(sorted(TARGETS))}")
    kind = data.get("type")
    if kind not in TYPES:
        raise MalformedPush(f"type must be one of {', '.join(sorted(TYPES))}")
    items = data.get("data")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise MalformedPush(f"data must be a list of 1 to {MAX_ITEMS} objects")
    ids = []
    for item in items:
        if not isinstance(item, dict) or item.get("object") != target:
            raise MalformedPush("each data item must be an object of the push's target")
        object_id = item.get("id")
        if not isinstance(object_id, str) or not OBJECT_ID_RE.match(object_id):
            raise MalformedPush("a data item's id is not a PCI_ or STX_ id")
        ids.append(object_id)
    created = data.get("created")
    return Push(
        push_id=push_id,
        target=str(target),
        type=str(kind),
        object_ids=tuple(ids),
        created=created if isinstance(created, str) else "",
        body=data,
    )


def _store(attempt: SmartTransaction, push: Push) -> tuple[PushNotification, bool]:
    """The inbox row for this push, and whether it is new."""
    # Most pushes seen twice are redeliveries: one UPDATE answers them, no failed INSERT first.
    seen_again = PushNotification.objects.filter(push_id=push.push_id).update(
        deliveries=F("deliveries") + 1, last_received_at=timezone.now()
    )
    if seen_again:
        return PushNotification.objects.get(push_id=push.push_id), False
    try:
        with transaction.atomic():
            return (
                PushNotification.objects.create(
                    push_id=push.push_id,
                    attempt=attempt,
                    target=push.target,
                    type=push.type,
                    object_ids=list(push.object_ids),
                    body=redact(push.body),
                ),
                True,
            )
    except IntegrityError:
        PushNotification.objects.filter(push_id=push.push_id).update(
            deliveries=F("deliveries") + 1, last_received_at=timezone.now()
        )
        return PushNotification.objects.get(push_id=push.push_id), False


def process(
    record: PushNotification, *, client: SecuconnectClient | None = None
) -> SyncResult | None:
    """Re-read the attempt a stored push is about and record the outcome (used for new pushes,
    redeliveries of failed ones, and staff reprocessing)."""
    attempt = record.attempt
    if attempt is None:
        record.outcome, record.error = Outcome.SUSPICIOUS, "no checkout attempt"
        record.save(update_fields=["outcome", "error"])
        return None
    result = sync_attempt(
        attempt, source=Source.PUSH, client=client, named=tuple(record.object_ids)
    )
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
    else:
        record.outcome = Outcome.PROCESSED
        record.error = ""
        record.changed = record.changed or result.changed
    record.save(update_fields=["outcome", "error", "processed_at", "changed"])
    return result


def receive(attempt: SmartTransaction, raw: bytes) -> PushAnswer:
    try:
        push = parse(raw)
    except MalformedPush as error:
        logger.warning("malformed push for %s: %s", attempt, error)
        return PushAnswer(400, str(error))
    record, new = _store(attempt, push)
    if not new and record.attempt_id != attempt.pk:
        logger.warning("push %s replayed to another attempt's URL", push.push_id)
        return PushAnswer(200, "already received", record)
    if not new and record.outcome in (Outcome.PROCESSED, Outcome.SUSPICIOUS):
        return PushAnswer(200, "already processed", record)
    process(record)
    if record.outcome == Outcome.FAILED:
        return PushAnswer(503, "could not re-read the transaction; please retry", record)
    return PushAnswer(200, "ok", record)
