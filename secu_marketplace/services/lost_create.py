"""Settling attempts whose create call lost its answer (state ``unknown``).

secuconnect has no idempotency key, so a lost answer leaves two possibilities: the Smart
Transaction exists, or it never did. We look for it by ``merchantRef`` and recognise ours by the
attempt's signed token inside its ``url_success``, which no other attempt can carry. Found: the
attempt adopts it. Not found: the create may still be running at secuconnect, so nothing is
concluded until the landing window (connect + read timeout + ``LOST_CREATE_MARGIN``) has passed
since the create was sent; after that the attempt is taken as never created and a new one may be
made. The search itself failing leaves the attempt ``unknown`` for the next try.

A Smart Transaction that lands even later is still found: ``adopt_late`` (run by ``secu_sync``)
searches again for every attempt taken as never created, adopts what turns up and aborts it when
another attempt has taken over, so it is never paid unnoticed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, ProviderUnavailable, SecuconnectError
from secu_marketplace.ledger import attempts as attempt_writes
from secu_marketplace.links import names_attempt
from secu_marketplace.models import CheckoutAttempt
from secu_marketplace.provider.answers import STX_ID_RE, SmartData
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.reads import search_by_reference
from secu_marketplace.rules.statuses import AttemptState

logger = logging.getLogger(__name__)


def _ours(found: list[SmartData], attempt: CheckoutAttempt) -> SmartData | None:
    """The match carrying this attempt's signed token in its ``url_success``."""
    for stx in found:
        if STX_ID_RE.match(stx.id) and names_attempt(stx.url_success, attempt):
            return stx
    return None


# Marks (in ``last_error``) an attempt taken as never created, which adopt_late searches for.
PRESUMED = "presumed_never_created"


def _landing_window_passed(attempt: CheckoutAttempt) -> bool:
    sent = attempt.create_sent_at or attempt.created
    waited = (timezone.now() - sent).total_seconds()
    return waited >= app_settings.landing_window


def resolve_unknown(attempt: CheckoutAttempt, *, client: SecuconnectClient) -> CheckoutAttempt:
    if attempt.stx_id or attempt.state not in (AttemptState.UNKNOWN, AttemptState.CREATING):
        return attempt
    try:
        found = search_by_reference(client, attempt.order.reference)
    except ProviderUnavailable as error:
        logger.warning("cannot resolve %s yet: %s", attempt, error)
        return attempt
    except ApiError as error:
        # The search is refused (not offered on this host): a human has to look in secuOffice.
        logger.error("cannot search for the lost Smart Transaction of %s: %s", attempt, error)
        attempt_writes.note_error(attempt, error.as_dict())
        return attempt
    stx = _ours(found, attempt)
    if stx is None and not _landing_window_passed(attempt):
        logger.info("%s: not found yet, and its create may still land", attempt)
        return attempt
    presumed = {"message": "the create call never reached secuconnect", PRESUMED: True}
    return attempt_writes.resolved(attempt, stx, presumed)


def adopt_late(
    *, client: SecuconnectClient, order_reference: str | None = None
) -> tuple[list[CheckoutAttempt], list[str]]:
    """Search again for every recent attempt taken as never created; adopt what turned up.

    Returns the adopted attempts (for the caller to sync) and the references whose search
    failed."""
    since = timezone.now() - timedelta(days=int(app_settings.SYNC_WINDOW_DAYS))
    presumed = CheckoutAttempt.objects.filter(
        state=AttemptState.FAILED,
        stx_id__isnull=True,
        created__gt=since,
        **{f"last_error__{PRESUMED}": True},
    ).select_related("order")
    if order_reference:
        presumed = presumed.filter(order__reference=order_reference)
    by_order: dict[int, list[CheckoutAttempt]] = {}
    for attempt in presumed:
        by_order.setdefault(attempt.order_id, []).append(attempt)
    adopted: list[CheckoutAttempt] = []
    failed: list[str] = []
    for attempts in by_order.values():
        reference = attempts[0].order.reference
        try:
            found = search_by_reference(client, reference)
        except SecuconnectError as error:
            logger.warning("cannot search for late Smart Transactions of %s: %s", reference, error)
            failed.append(f"search {reference}")
            continue
        for attempt in attempts:
            stx = _ours(found, attempt)
            if stx is not None:
                adopted.append(_adopt(attempt, stx, client))
    return adopted, failed


def _adopt(attempt: CheckoutAttempt, stx: SmartData, client: SecuconnectClient) -> CheckoutAttempt:
    """Give the late Smart Transaction to its attempt. When another attempt is open or holds
    the payment, the late one is closed and aborted at secuconnect (the buyer never saw its
    link); if it cannot be aborted because money moved on it, the sync that follows sees that
    (paid, or "needs review" when the other attempt holds money too)."""
    mine = attempt_writes.adopted(attempt, stx)
    logger.error("order %s: Smart Transaction %s turned up late", mine.order_id, mine.stx_id)
    if mine.state == AttemptState.CLOSED:
        try:
            client.abort_smart_transaction(str(mine.stx_id))
        except SecuconnectError as error:
            logger.error("could not abort late %s: %s", mine.stx_id, error)
    return mine
