"""The one write path: every change of an order's state, its timeline and its signals.

Flows (checkout, sync, lost_create, capture, refund, shipping) decide what changed; this module
writes it. ``locked()`` opens one short transaction and takes the row locks in ONE order, the
same everywhere, so two flows never wait on each other crosswise (no deadlock):

    1. the order
    2. the checkout attempt
    3. the order's Payment Transaction rows
    4. the order's refund records
    5. a sub-basket (shipping)

The order and the attempt are locked by one statement (the attempt joined to its order,
``FOR UPDATE OF`` the order first, then the attempt: PostgreSQL takes the row locks in the order
the ``OF`` list names them), which keeps the documented order at one round trip less.

A flow re-checks the state it decided on with the locks held (a second "ship" or "capture" sees
the first), then calls ``Writer`` methods:

- ``move(target)`` moves ``order.status`` only along ``statuses.TRANSITIONS`` and writes one
  ``StatusEvent`` per real change (a move to where the order already is, or one the table does
  not allow, writes nothing);
- ``note(...)`` records any other change (an attempt, a payment, a refund, a shipment);
- ``refunded(record)`` / ``shipped(sub)`` queue the matching signals;
- ``changed_order()`` says the flow changed other fields of the order: it is saved once, at the
  end, whether it moved or not (one UPDATE, never two).

Signals are sent once, after the transaction commits (``transaction.on_commit``): a rolled-back
change never announces itself, and receivers never see uncommitted state. They get the order
as this write committed it (no second read of a row just written); shipped parts and refunds
are read after commit.

``claim()`` guards the calls that move money or report to the buyer (capture, shipping report)
while they are sent, outside any transaction: a concurrent second caller is refused before it
reaches secuconnect.

Nothing else in the package assigns ``order.status``, creates a ``StatusEvent`` or sends a
signal; ``tests/app/test_write_path.py`` greps the package to keep it so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from secu_marketplace import signals
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
from secu_marketplace.rules.statuses import OrderStatus, can_move

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
    _events: list[StatusEvent] = field(default_factory=list)
    _moves: list[tuple[str, str]] = field(default_factory=list)
    _refunded: list[int] = field(default_factory=list)
    _shipped: list[int] = field(default_factory=list)
    _order_changed: bool = False

    @property
    def locked_attempt(self) -> CheckoutAttempt:
        """The attempt this write locked (for flows that asked for one)."""
        if self.attempt is None:
            raise RuntimeError("this write did not lock an attempt")
        return self.attempt

    @property
    def moved(self) -> bool:
        return bool(self._moves)

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
        self._moves.append((current, target))
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

    def changed_order(self) -> None:
        """The flow changed the order's own fields (not its status): save it at the end."""
        self._order_changed = True

    def refunded(self, record: Refund) -> None:
        self._refunded.append(record.pk)

    def shipped(self, sub: SubBasket) -> None:
        self._shipped.append(sub.pk)

    def _flush(self) -> None:
        if self._moves or self._order_changed:
            self.order.save()
        if self._events:
            StatusEvent.objects.bulk_create(self._events)
        if self._moves or self._refunded or self._shipped:
            transaction.on_commit(
                _announcer(
                    self.order, list(self._moves), self._refunded, self._shipped, self.source
                )
            )


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
        if attempt_id is None:
            order = Order.objects.select_for_update().get(pk=order_id)
        else:
            # One statement, the order's row locked before the attempt's (module docstring).
            attempt = (
                CheckoutAttempt.objects.select_related("order")
                .select_for_update(of=("order", "self"))
                .get(pk=attempt_id, order_id=order_id)
            )
            order = attempt.order
        writer = Writer(order=order, attempt=attempt, source=source)
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


def _announcer(
    order: Order,
    moves: list[tuple[str, str]],
    refunded: list[int],
    shipped: list[int],
    source: str,
) -> Any:
    def announce() -> None:
        # A part shipped before the order it completes; the order's move before its refunds.
        # ``order`` is the row as the write committed it: reading it again would cost a query
        # per write and could only show a later write's state, which announces itself.
        same = {"old_status": order.status, "new_status": order.status, "source": source}
        for sub in SubBasket.objects.filter(pk__in=shipped).order_by("position"):
            signals.send(signals.sub_basket_shipped, order, sub_basket=sub, **same)
        for old, new in moves:
            kwargs: dict[str, Any] = {"old_status": old, "new_status": new, "source": source}
            if new == OrderStatus.NEEDS_REVIEW:
                kwargs["reason"] = order.review_reason
            specific: Signal | None = signals.BY_STATUS.get(new)
            for signal in (signals.order_status_changed, specific):
                if signal is not None:
                    signals.send(signal, order, **kwargs)
        for record in Refund.objects.filter(pk__in=refunded).select_related("sub_basket"):
            signals.send(
                signals.order_refunded,
                order,
                amount=record.amount,
                sub_basket=record.sub_basket,
                refund=record,
                **same,
            )

    return announce


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
