"""Capturing an authorised order (``AUTO_CAPTURE`` off): the Smart Transaction's ``start``.

The admin's action and a shop's own code call ``capture``; it checks what the current state
allows and raises ``ProcessingError`` with a clear message when it does not. secuconnect is
asked first and the attempt re-read after, so the order's state is always secuconnect's.
"""

from __future__ import annotations

import logging

from secu_marketplace import checkpoints, ledger
from secu_marketplace.exceptions import ApiError, ProcessingError
from secu_marketplace.models import CheckoutAttempt, Order
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.read.payments import paying_attempt
from secu_marketplace.rules.statuses import OrderStatus, Source, StxStatus
from secu_marketplace.services.sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)


def resync(attempt: CheckoutAttempt, source: str, client: SecuconnectClient) -> SyncResult:
    """Re-read an attempt after an action: its result is secuconnect's, never our guess."""
    result = sync_attempt(attempt, source=source, client=client)
    if not result.reachable:
        logger.warning(
            "%s: done at secuconnect, but re-reading it failed; secu_sync will catch up", attempt
        )
    return result


def capture(
    order: Order, *, source: str = Source.SHOP, client: SecuconnectClient | None = None
) -> SyncResult:
    """Capture an authorised order; a concurrent second capture is refused before secuconnect
    is asked (``ledger.claim``), and every check is made with the claim held."""
    client = client or SecuconnectClient()
    with ledger.claim(
        order.pk, f"capture:{order.pk}", f"order {order.reference} is being captured"
    ):
        # Re-checked with the claim held: a capture that finished just before sees its result.
        order.refresh_from_db()
        if order.status != OrderStatus.AUTHORIZED:
            raise ProcessingError(
                f"order {order.reference} is {order.get_status_display()}: "
                "only authorised orders are captured"
            )
        attempt = paying_attempt(order)
        if attempt.provider_status != StxStatus.APPROVED:
            raise ProcessingError(
                f"the Smart Transaction is {attempt.provider_status}, not approved"
            )
        checkpoints.reach(checkpoints.Point.CAPTURE)
        try:
            client.start_smart_transaction(str(attempt.stx_id))
        except ApiError as error:
            raise ProcessingError(f"secuconnect refused the capture: {error}") from error
        return resync(attempt, source, client)
