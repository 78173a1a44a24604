"""Settling attempts whose create call lost its answer (state ``unknown``).

secuconnect has no idempotency key, so a lost answer leaves two possibilities: the Smart
Transaction exists, or it never did. We look for it by ``merchantRef`` and recognise ours by the
attempt's signed token inside its ``url_success``, which no other attempt can carry. Found: the
attempt adopts it. Not found: the create never happened, the attempt failed, and a new one may be
made. The search itself failing leaves the attempt ``unknown`` for the next try.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.exceptions import ApiError, BadRequest, ProviderUnavailable
from secu_marketplace.links import token_for
from secu_marketplace.models import SmartTransaction, StatusEvent
from secu_marketplace.statuses import AttemptState, Source

from .snapshots import STX_ID_RE

logger = logging.getLogger(__name__)


def _ours(found: list[dict], token: str) -> dict | None:
    for stx in found:
        urls = ((stx.get("application_context") or {}).get("return_urls")) or {}
        if token in str(urls.get("url_success") or "") and STX_ID_RE.match(
            str(stx.get("id") or "")
        ):
            return stx
    return None


# How the real ``q`` spells the merchant reference is undecided (docs/provider.md, "Undecided"):
# the wire name is ``merchantRef``; a search index may know it as ``merchant_ref``.
QUERY_SPELLINGS = ("merchantRef", "merchant_ref")


def _search(client: SecuconnectClient, reference: str) -> list[dict]:
    """Smart Transactions whose merchant reference is ``reference``, under either spelling."""
    first, *others = QUERY_SPELLINGS
    for name in others:
        try:
            return client.search_smart_transactions(f"{first}:{reference}")
        except BadRequest:  # this host does not know the field by that name: try the other
            first = name
    return client.search_smart_transactions(f"{first}:{reference}")


def resolve_unknown(attempt: SmartTransaction, *, client: SecuconnectClient) -> SmartTransaction:
    if attempt.stx_id or attempt.state not in (AttemptState.UNKNOWN, AttemptState.CREATING):
        return attempt
    order = attempt.order
    try:
        found = _search(client, order.reference)
    except ProviderUnavailable as error:
        logger.warning("cannot resolve %s yet: %s", attempt, error)
        return attempt
    except ApiError as error:
        # The search is refused (not offered on this host): a human has to look in secuOffice.
        logger.error("cannot search for the lost Smart Transaction of %s: %s", attempt, error)
        SmartTransaction.objects.filter(pk=attempt.pk).update(last_error=error.as_dict())
        return attempt
    stx = _ours(found, token_for(attempt))
    from .checkout import checkout_url

    with transaction.atomic():
        locked = SmartTransaction.objects.select_for_update().get(pk=attempt.pk)
        if locked.stx_id or locked.state not in (AttemptState.UNKNOWN, AttemptState.CREATING):
            return locked
        if stx is not None:
            locked.stx_id = stx["id"]
            locked.state = AttemptState.OPEN
            locked.checkout_url = checkout_url(stx)
            outcome = "found"
        else:
            locked.state = AttemptState.FAILED
            locked.last_error = {"message": "the create call never reached secuconnect"}
            outcome = "not created"
        locked.updated = timezone.now()
        locked.save()
        StatusEvent.objects.create(
            order_id=locked.order_id,
            attempt=locked,
            subject=StatusEvent.Subject.ATTEMPT,
            from_status=AttemptState.UNKNOWN,
            to_status=locked.state,
            source=Source.RECONCILE,
            detail={"lost_answer": outcome, "stx": locked.stx_id},
        )
    return locked
