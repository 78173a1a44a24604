"""Unpaid orders expire: a prepayment nobody transfers, an invoice secupay accepted that never
ships (``EXPIRE_UNPAID_AFTER_DAYS``, per method). ``run`` is what ``secu_sync`` and the
``expire_unpaid`` task do:

1. an order that waits for the buyer's money without a deadline gets one (counted from now:
   an upgrade or a changed setting never expires an old order at once);
2. the buyer of an order whose deadline is ``EXPIRY_REMINDER_DAYS`` away is reminded, once
   (``order_payment_reminder``);
3. an order past its deadline is expired: claimed (``ledger.claim``: two runs at once never
   cancel it twice), read afresh, checked again, then its Smart Transaction is cancelled at
   secuconnect, re-read (the sync moves the order to "cancelled" through the write path, as
   secuconnect says), and marked expired (``order_expired``).

A payment that arrives while an order expires is never lost. The order is cancelled here only
after secuconnect says its Smart Transaction is; the sync applies whatever secuconnect holds
(a transfer that arrived first makes the order paid, whatever the deadline). What ``/cancel``
does to a Smart Transaction whose buyer paid a moment before is undecided (docs/provider.md,
"Undecided"): refused (the order stays paid, the deadline is recorded as "paid meanwhile"), or
refunded (the refunds are recorded as refunds, the order is not called expired); the sandbox
plays both (``CANCEL_PAID``), and ``tests/flows/test_expiry.py`` races them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from secu_marketplace import checkpoints, ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, ProcessingError, SecuconnectError
from secu_marketplace.ledger import deadlines
from secu_marketplace.ledger.writer import EXPIRE_CLAIM, SHIP_PREFIX
from secu_marketplace.models import Order, SubBasket
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.read.balances import order_balance
from secu_marketplace.read.payments import paying_attempt
from secu_marketplace.rules.statuses import (
    EXPIRING_FOR,
    OrderStatus,
    RefundKind,
    RefundState,
    Source,
    awaits_buyer,
)
from secu_marketplace.services.capture import resync
from secu_marketplace.services.sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    EXPIRED = "expired"  # cancelled at secuconnect and here
    KEPT = "kept"  # the buyer's money arrived before secuconnect cancelled
    NOT_DUE = "not due"  # paid, shipped or extended since it was found due
    BUSY = "busy"  # another run is expiring it right now
    FAILED = "failed"  # secuconnect could not be asked: the next run tries again


@dataclass
class ExpirySummary:
    stamped: int = 0
    reminded: int = 0
    expired: int = 0
    kept: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


def _waiting() -> QuerySet[Order]:
    """Orders that wait for the buyer's money under a deadline, for the methods that have one.
    An invoice of which anything shipped is due from the buyer (secupay's dunning, not an
    expiry): never reminded or expired here."""
    found = Q(pk__in=[])
    for method, status in EXPIRING_FOR.items():
        if deadlines.days_for(method):
            found |= Q(payment_method=method, status=status)
    shipped = SubBasket.objects.filter(order=OuterRef("pk"), shipped_at__isnull=False)
    return Order.objects.filter(found).exclude(Exists(shipped))


def without_deadline() -> QuerySet[Order]:
    return _waiting().filter(pay_by__isnull=True)


def reminders_due(now: datetime) -> QuerySet[Order]:
    days = float(app_settings.EXPIRY_REMINDER_DAYS or 0)
    if days <= 0:
        return Order.objects.none()
    return _waiting().filter(
        reminded_at__isnull=True, pay_by__gt=now, pay_by__lte=now + timedelta(days=days)
    )


def expiries_due(now: datetime) -> QuerySet[Order]:
    return _waiting().filter(pay_by__lte=now, expired_at__isnull=True)


def run(
    *,
    now: datetime | None = None,
    source: str = Source.RECONCILE,
    client: SecuconnectClient | None = None,
) -> ExpirySummary:
    """Deadlines set, buyers reminded, orders past their deadline expired (module docstring)."""
    now = now or timezone.now()
    client = client or SecuconnectClient()
    summary = ExpirySummary()
    for order in without_deadline().order_by("pk"):
        summary.stamped += deadlines.stamped(order, source=source)
    for order in reminders_due(now).order_by("pay_by", "pk"):
        summary.reminded += deadlines.reminded(order, source=source)
    for order in expiries_due(now).order_by("pay_by", "pk"):
        outcome = expire(order, now=now, source=source, client=client)
        if outcome == Outcome.EXPIRED:
            summary.expired += 1
        elif outcome == Outcome.KEPT:
            summary.kept += 1
        elif outcome == Outcome.FAILED:
            summary.failed += 1
            summary.failures.append(order.reference)
    return summary


def expire(
    order: Order,
    *,
    now: datetime | None = None,
    source: str = Source.RECONCILE,
    client: SecuconnectClient | None = None,
) -> Outcome:
    """Expire one order past its deadline (module docstring, step 3)."""
    client = client or SecuconnectClient()
    busy = f"order {order.reference} is being expired"
    try:
        with ledger.claim(order.pk, EXPIRE_CLAIM.format(order=order.pk), busy):
            return _expire(order, now or timezone.now(), source, client)
    except ProcessingError as error:
        logger.info("not expiring %s: %s", order.reference, error)
        return Outcome.BUSY


def _still_due(order: Order, now: datetime) -> bool:
    if not awaits_buyer(order.status, order.payment_method) or order.expired_at is not None:
        return False
    if order.pay_by is None or order.pay_by > now:
        return False  # extended meanwhile
    # An invoice of which anything shipped is due from the buyer: secupay's dunning, not ours.
    return not order.sub_baskets.filter(shipped_at__isnull=False).exists()


def _expire(order: Order, now: datetime, source: str, client: SecuconnectClient) -> Outcome:
    attempt = paying_attempt(order)
    fresh = sync_attempt(attempt, source=source, client=client)
    if not fresh.reachable:
        return Outcome.FAILED
    if not _still_due(fresh.order, now):
        return Outcome.NOT_DUE
    if ledger.claimed(order.pk, SHIP_PREFIX):
        # A part is being reported shipped (an invoice may ship unpaid): not cancelled under
        # it; the next run looks again (and finds it shipped).
        return Outcome.BUSY
    # A test may pause here (tests/races.py): the order was checked unpaid; the buyer's money
    # may arrive before the cancel reaches secuconnect.
    checkpoints.reach(checkpoints.Point.EXPIRE)
    try:
        client.cancel_smart_transaction(str(attempt.stx_id))
    except ApiError as error:
        # Refused: most likely the money arrived meanwhile. What secuconnect holds decides.
        logger.info("cancel of expiring %s refused: %s", order.reference, error)
        return _settle(resync(attempt, source, client), source, refused=str(error))
    except SecuconnectError as error:
        # Unreachable, or the answer was lost: the re-read says whether it landed.
        logger.warning("cancel of expiring %s not confirmed: %s", order.reference, error)
    return _settle(resync(attempt, source, client), source)


def _money_arrived(order: Order) -> bool:
    """The buyer's money reached secuconnect: the payment says so, or refunds returned it."""
    refunded = order.refunds.filter(kind=RefundKind.REFUND).exclude(state=RefundState.FAILED)
    return order_balance(order).paid or refunded.exists()


def _settle(result: SyncResult, source: str, *, refused: str = "") -> Outcome:
    order = result.order
    if not result.reachable:
        return Outcome.FAILED
    if _money_arrived(order):
        detail = {"status": order.status, "stx_status": result.attempt.provider_status}
        if refused:
            detail["cancel"] = refused[:200]
        deadlines.kept(order, source=source, detail=detail)
        return Outcome.KEPT
    stx = {"stx": result.attempt.stx_id, "stx_status": result.attempt.provider_status}
    if order.status == OrderStatus.CANCELLED and deadlines.expired(
        order, source=source, detail=stx
    ):
        return Outcome.EXPIRED
    return Outcome.FAILED if order.status != OrderStatus.CANCELLED else Outcome.NOT_DUE


def remind(order: Order, *, source: str = Source.SHOP) -> bool:
    """Remind the buyer now (once per deadline): the ``order_payment_reminder`` signal."""
    return deadlines.reminded(order, source=source)


def extend(order: Order, until: datetime, *, source: str = Source.SHOP, by: str = "") -> Order:
    """Give the buyer until ``until`` (later than the current deadline, in the future); they
    are reminded again before it. ``ProcessingError`` when the order has no deadline to move."""
    return deadlines.extended(order, until, source=source, by=by)
