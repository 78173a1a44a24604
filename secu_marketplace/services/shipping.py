"""Reporting shipments to secuconnect, per supplier's part.

Invoice payments are captured per sub-basket with ``shipping_information`` (that makes the
invoice due); other methods get the shipping information as a note. With intent ``order`` the
Smart Transaction is marked delivered (``setDelivery``) once every sub-basket has shipped. A
report is claimed while it is sent (``ledger.claim``): a concurrent second one is refused before
secuconnect is asked, and a capture is never sent twice on a guess.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone

from secu_marketplace import checkpoints, ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import (
    ApiError,
    OutcomeUnknown,
    ProcessingError,
    ProviderUnavailable,
    SecuconnectError,
)
from secu_marketplace.ledger import shipping as shipping_writes
from secu_marketplace.ledger.writer import EXPIRE_CLAIM, SHIP_CLAIM
from secu_marketplace.models import CheckoutAttempt, Order, PaymentTransaction, SubBasket
from secu_marketplace.provider.answers import parse_payment
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.read.payments import is_spent, part_payment, paying_attempt, refund_records
from secu_marketplace.rules.statuses import SHIPPABLE, DisputeState, Source
from secu_marketplace.services.capture import resync

logger = logging.getLogger(__name__)

NOTHING_TO_SHIP = "nothing to ship"  # the words of the error for a spent part


class NothingToShip(ProcessingError):
    """The part was cancelled or refunded in full: there is nothing to ship."""


class PartDisputed(ProcessingError):
    """The buyer's money for the part came back (a chargeback): it ships once resolved."""


def _shipping_info(order: Order, details: dict[str, str], shipped_at: datetime) -> dict[str, Any]:
    info = {**details, "shipped_at": shipped_at.isoformat(timespec="seconds")}
    info["order_id"] = order.reference
    return {key: value for key, value in info.items() if value}


def ship_sub_basket(
    order: Order,
    sub_basket: SubBasket,
    *,
    carrier: str = "",
    tracking_id: str = "",
    invoice_number: str = "",
    shipped_at: datetime | None = None,
    source: str = Source.SHOP,
    client: SecuconnectClient | None = None,
) -> SubBasket:
    """Report one supplier's sub-basket shipped; the order is shipped when every part is.

    A concurrent second report of the same sub-basket is refused before secuconnect is asked
    (the claim), and every check is made with the claim held."""
    client = client or SecuconnectClient()
    details = {"carrier": carrier, "tracking_id": tracking_id, "invoice_number": invoice_number}
    busy = f"sub-basket {sub_basket.reference_id} was shipped already (or is being shipped)"
    with ledger.claim(order.pk, SHIP_CLAIM.format(part=sub_basket.pk), busy):
        part, attempt = _shippable(order, sub_basket)
        shipped_at = shipped_at or timezone.now()
        info = _shipping_info(order, details, shipped_at)
        checkpoints.reach(checkpoints.Point.SHIP)
        _report(order, part, info, client)
        everything = shipping_writes.shipped(
            order,
            sub_basket,
            attempt,
            shipped_at=shipped_at,
            details=details,
            info=info,
            source=source,
        )
        if everything:
            _mark_delivered(attempt, shipped_at, details, client)
        resync(attempt, source, client)
    sub_basket.refresh_from_db()
    return sub_basket


def _shippable(order: Order, sub_basket: SubBasket) -> tuple[PaymentTransaction, CheckoutAttempt]:
    """The part's transaction, if the order and the part may be reported shipped."""
    order.refresh_from_db()
    sub_basket.refresh_from_db()
    if sub_basket.order_id != order.pk:
        raise ProcessingError("that sub-basket belongs to another order")
    if order.status not in SHIPPABLE:
        raise ProcessingError(
            f"order {order.reference} is {order.get_status_display()}: only paid orders are shipped"
        )
    if sub_basket.shipped_at:
        raise ProcessingError(f"sub-basket {sub_basket.reference_id} was shipped already")
    if ledger.claimed(order.pk, EXPIRE_CLAIM.format(order=order.pk)):
        # Expiry checked that nothing shipped and may be cancelling it at secuconnect now.
        raise ProcessingError(
            f"order {order.reference} is being cancelled for non-payment right now: try again "
            "in a moment"
        )
    attempt = paying_attempt(order)
    part = part_payment(attempt, sub_basket)
    if is_spent(part, refund_records(part)):
        raise NothingToShip(
            f"sub-basket {sub_basket.reference_id} is cancelled or refunded: {NOTHING_TO_SHIP}"
        )
    if sub_basket.dispute == DisputeState.OPEN:
        raise PartDisputed(
            f"the buyer's money for sub-basket {sub_basket.reference_id} came back (a chargeback "
            "or a returned debit): it ships once the issue is resolved"
        )
    return part, attempt


def _report(
    order: Order, part: PaymentTransaction, info: dict[str, Any], client: SecuconnectClient
) -> None:
    invoice = order.payment_method == "invoice"
    try:
        if invoice:
            # Capturing with the shipping information makes the invoice due (docs/provider.md,
            # "Payment Transactions").
            client.capture_payment_transaction(part.pci_id, shipping_information=info)
        else:
            client.update_shipping_information(part.pci_id, info)
    except OutcomeUnknown as error:
        if not invoice:
            # PUT ShippingInformation only sets details: sending it again is harmless.
            try:
                client.update_shipping_information(part.pci_id, info)
            except SecuconnectError as again:
                raise ProcessingError(
                    f"secuconnect did not confirm the shipping report: {again}"
                ) from again
        elif not _reported(client, part.pci_id):
            raise ProcessingError(
                "secuconnect's answer to the shipping report was lost and it does not show "
                "the report yet; try again in a minute"
            ) from error
    except ApiError as error:
        # A repeat was refused because the first capture (whose answer was lost) did land:
        # secuconnect's copy of the part says which. A capture is never sent twice on a guess.
        if not invoice or not _reported(client, part.pci_id):
            raise ProcessingError(f"secuconnect refused the shipping report: {error}") from error


def _reported(client: SecuconnectClient, pci_id: str) -> bool:
    """Whether secuconnect shows the invoice part captured (only this app captures it)."""
    try:
        remote = client.get_payment_transaction(pci_id)
    except SecuconnectError:
        return False
    return parse_payment(remote).invoice_captured


def _mark_delivered(
    attempt: CheckoutAttempt,
    shipped_at: datetime,
    details: dict[str, str],
    client: SecuconnectClient,
) -> None:
    if app_settings.INTENT != "order":
        return
    try:
        client.set_delivery(
            str(attempt.stx_id),
            {
                "type": "shipping",
                "shipped_at": shipped_at.isoformat(timespec="seconds"),
                "shipped_by": details["carrier"],
                "tracking_code": details["tracking_id"],
                "invoice_number": details["invoice_number"],
            },
        )
    except (ApiError, ProviderUnavailable) as error:
        # Every part is captured and reported already; the delivery mark can follow.
        logger.error("setDelivery for %s failed: %s", attempt.stx_id, error)


def ship_order(
    order: Order,
    *,
    carrier: str = "",
    tracking_id: str = "",
    invoice_number: str = "",
    shipped_at: datetime | None = None,
    source: str = Source.SHOP,
    client: SecuconnectClient | None = None,
) -> Order:
    """Report every sub-basket not shipped yet as shipped, with the same details."""
    client = client or SecuconnectClient()
    pending = list(order.sub_baskets.filter(shipped_at__isnull=True))
    if not pending:
        raise ProcessingError(f"every sub-basket of order {order.reference} was shipped already")
    shipped = 0
    for sub in pending:
        try:
            ship_sub_basket(
                order,
                sub,
                carrier=carrier,
                tracking_id=tracking_id,
                invoice_number=invoice_number,
                shipped_at=shipped_at,
                source=source,
                client=client,
            )
            shipped += 1
        except (NothingToShip, PartDisputed):
            continue  # cancelled parts are never shipped; disputed ones wait
    if not shipped:
        raise ProcessingError(f"nothing of order {order.reference} is left to ship")
    order.refresh_from_db()
    return order
