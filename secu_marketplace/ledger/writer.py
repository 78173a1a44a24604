"""``locked()`` and the ``Writer``: the locks of one write, in the documented order, and the
changes it makes through the transition tables, announced once after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import (
    CheckoutAttempt,
    InFlight,
    Order,
    PaymentTransaction,
    Refund,
    StatusEvent,
    SubBasket,
)
from secu_marketplace.rules.statuses import (
    ATTEMPT_TRANSITIONS,
    DISPUTE_TRANSITIONS,
    REFUND_TRANSITIONS,
    allowed,
    can_move,
)

from .announce import News, announce

logger = logging.getLogger(__name__)
Subject = StatusEvent.Subject


@dataclass
class Writer:
    """The locked rows of one write, and what it will announce after commit."""

    order: Order
    attempt: CheckoutAttempt | None
    source: str
    payments: list[PaymentTransaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    sub_basket: SubBasket | None = None
    # Whether the order has attempts besides the locked one (False: it is the only one, and
    # nothing need be read about others).
    other_attempts: bool = True
    _events: list[StatusEvent] = field(default_factory=list)
    _news: News = field(default_factory=News)
    _order_changed: bool = False

    @property
    def locked_attempt(self) -> CheckoutAttempt:
        """The attempt this write locked (for flows that asked for one)."""
        if self.attempt is None:
            raise RuntimeError("this write did not lock an attempt")
        return self.attempt

    @property
    def moved(self) -> bool:
        return bool(self._news.moves)

    @property
    def news(self) -> News:
        """What this write will announce after commit (``ledger.announce``)."""
        return self._news

    def move(
        self,
        target: str,
        *,
        detail: dict[str, Any] | None = None,
        attempt: CheckoutAttempt | None = None,
    ) -> bool:
        """Move the order to ``target`` if the transition table allows it; True if it moved."""
        current = self.order.status
        if target == current or not can_move(current, target):
            return False
        self.note(
            Subject.ORDER,
            target,
            from_status=current,
            detail=detail,
            attempt=attempt or self.attempt,
        )
        self._news.moves.append((current, target))
        self.order.status = target
        return True

    def note(
        self,
        subject: str,
        to_status: str,
        *,
        from_status: str = "",
        detail: dict[str, Any] | None = None,
        attempt: CheckoutAttempt | None = None,
    ) -> None:
        """One timeline row for one real change (the caller has checked it is one)."""
        self._events.append(
            StatusEvent(
                order=self.order,
                attempt=attempt if attempt is not None else self.attempt,
                subject=subject,
                from_status=from_status,
                to_status=to_status,
                source=self.source,
                detail=detail or {},
            )
        )

    def set_order(self, **fields: Any) -> None:
        """Change the order's own fields (not its status): saved once, at the end."""
        for name, value in fields.items():
            if getattr(self.order, name) != value:
                setattr(self.order, name, value)
                self._order_changed = True

    def set_attempt(self, attempt: CheckoutAttempt, **fields: Any) -> bool:
        """Change ``attempt`` (locked by this write, or inserted by it) and save the fields that
        changed. Its ``state`` moves only along ``ATTEMPT_TRANSITIONS``; a move the table does not
        allow keeps the state (the other fields still apply). True if anything changed."""
        state = fields.pop("state", attempt.state)
        if state != attempt.state and allowed(ATTEMPT_TRANSITIONS, attempt.state, state):
            fields["state"] = state
        elif state != attempt.state:
            logger.info("%s: %s -> %s is not an attempt transition", attempt, attempt.state, state)
        changed = [name for name, value in fields.items() if getattr(attempt, name) != value]
        for name in changed:
            setattr(attempt, name, fields[name])
        if changed:
            attempt.save(update_fields=[*changed, "updated"])
        return bool(changed)

    def set_refund(self, record: Refund, state: str, **fields: Any) -> bool:
        """Move a refund record along ``REFUND_TRANSITIONS`` (and set ``fields``); True if it
        moved. Done is final."""
        moved = state != record.state and allowed(REFUND_TRANSITIONS, record.state, state)
        if moved:
            fields["state"] = state
        changed = [name for name, value in fields.items() if getattr(record, name) != value]
        for name in changed:
            setattr(record, name, fields[name])
        if changed:
            record.save(update_fields=[*changed, "updated"])
        return moved

    def changed_order(self) -> None:
        """The flow changed the order's own fields (not its status): save it at the end."""
        self._order_changed = True

    def set_dispute(self, sub: SubBasket, state: str, *, detail: dict[str, Any]) -> bool:
        """Move a part's dispute state along ``DISPUTE_TRANSITIONS`` (the order's lock held:
        every write of a part takes it first); one event and the part's signal. True if it
        moved."""
        if state == sub.dispute or not allowed(DISPUTE_TRANSITIONS, sub.dispute, state):
            return False
        self.note(Subject.DISPUTE, state, from_status=sub.dispute, detail=detail)
        sub.dispute = state
        sub.save(update_fields=["dispute"])
        self._news.disputes.append((sub.pk, state))
        return True

    def refunded(self, record: Refund) -> None:
        self._news.refunded.append(record.pk)

    def shipped(self, sub: SubBasket) -> None:
        self._news.shipped.append(sub.pk)

    def _flush(self) -> None:
        if self._news.moves or self._order_changed:
            self.order.save()
        if self._events:
            StatusEvent.objects.bulk_create(self._events)
        if self._news:
            order, news, source = self.order, self._news, self.source
            transaction.on_commit(lambda: announce(order, news, source))


@contextmanager
def locked(
    order_id: int,
    *,
    source: str,
    attempt_id: int | None = None,
    payments: bool = False,
    refunds: bool = False,
    sub_basket_id: int | None = None,
) -> Iterator[Writer]:
    """One transaction holding the rows asked for, locked in the documented order."""
    with transaction.atomic():
        attempt: CheckoutAttempt | None = None
        order: Order
        if attempt_id is None:
            # The newest attempt's id comes with the lock: checkout's first question, and on a
            # first "Pay now" (none yet) its answer, at no further query.
            newest = CheckoutAttempt.objects.filter(order=OuterRef("pk")).order_by("-number")
            order = (
                Order.objects.select_for_update()
                .annotate(newest_attempt_id=Subquery(newest.values("pk")[:1]))
                .get(pk=order_id)
            )
        else:
            # One statement, the order's row locked before the attempt's (package docstring).
            others = CheckoutAttempt.objects.filter(order=OuterRef("order_id")).exclude(
                pk=OuterRef("pk")
            )
            attempt = (
                CheckoutAttempt.objects.select_related("order")
                .select_for_update(of=("order", "self"))
                .annotate(has_others=Exists(others))
                .get(pk=attempt_id, order_id=order_id)
            )
            order = attempt.order
        writer = Writer(order=order, attempt=attempt, source=source)
        writer.other_attempts = getattr(attempt, "has_others", True)
        if payments:
            writer.payments = list(
                PaymentTransaction.objects.filter(order=order).select_for_update().order_by("pk")
            )
        if refunds:
            writer.refunds = list(
                Refund.objects.filter(order=order).select_for_update().order_by("pk")
            )
        if sub_basket_id is not None:
            writer.sub_basket = SubBasket.objects.select_for_update().get(pk=sub_basket_id)
        yield writer
        writer._flush()


# Claims' keys (``InFlight.key``) that one flow looks for in another's (``claimed``).
SHIP_PREFIX = "ship:"
SHIP_CLAIM = SHIP_PREFIX + "{part}"  # a sub-basket's shipping report
EXPIRE_CLAIM = "expire:{order}"  # an unpaid order's expiry


@contextmanager
def claim(order_id: int, key: str, busy: str) -> Iterator[None]:
    """Hold the claim ``key`` while the body sends its call; raise ``ProcessingError(busy)``
    when another caller holds it. The body still re-checks under ``locked()``: a claim taken
    just after another caller finished must see what that one did. A claim older than the
    landing window belongs to a process that died and is taken over."""
    stale = timezone.now() - timedelta(seconds=app_settings.landing_window)
    try:
        with transaction.atomic():
            InFlight.objects.filter(key=key, created__lt=stale).delete()
            InFlight.objects.create(order_id=order_id, key=key)
    except IntegrityError as error:
        raise ProcessingError(busy) from error
    try:
        yield
    finally:
        InFlight.objects.filter(key=key).delete()


def claimed(order_id: int, prefix: str) -> bool:
    """Whether a claim of ``order_id`` whose key starts with ``prefix`` is held now (and not
    stale). Two flows that must not overlap each take their own claim first and then look for
    the other's: whichever comes second sees the first (expiry and shipping do)."""
    stale = timezone.now() - timedelta(seconds=app_settings.landing_window)
    return InFlight.objects.filter(
        order_id=order_id, key__startswith=prefix, created__gte=stale
    ).exists()
