"""A buyer's data erased from one order, written: under the order's lock, the order's buyer
fields emptied and every stored value the plan names replaced, one ``erasure`` event on the
timeline (naming the fields, never their old values), and ``buyer_erased`` after commit.

The plan comes from ``services/erasure.py`` (what ``rules.erasure`` says changes); nothing here
decides what personal data is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from secu_marketplace import signals
from secu_marketplace.models import (
    CheckoutAttempt,
    Order,
    PaymentTransaction,
    PushNotification,
    Refund,
    StatusEvent,
)

from .writer import locked

ERASURE = StatusEvent.Subject.ERASURE
# The rows a plan may change, by the name it gives them, and the fields it may change there.
ROWS: dict[str, tuple[type[models.Model], frozenset[str]]] = {
    "attempt": (CheckoutAttempt, frozenset({"snapshot", "last_error"})),
    "payment": (PaymentTransaction, frozenset({"snapshot"})),
    "refund": (Refund, frozenset({"reason", "error"})),
    "push": (PushNotification, frozenset({"body", "error", "object_ids"})),
    "event": (StatusEvent, frozenset({"detail"})),
}


@dataclass
class Plan:
    """What erasing the buyer changes on one order: its own fields, and other rows' values as
    (row kind, row id, field) -> new value."""

    order_id: int
    order_fields: dict[str, Any] = field(default_factory=dict)
    rows: dict[tuple[str, int, str], Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.order_fields and not self.rows

    def describe(self) -> list[str]:
        """The changes as staff read them ("order.surname", "push 12 body", ...)."""
        named = [f"order.{name}" for name in self.order_fields]
        return named + [f"{kind} {pk} {name}" for kind, pk, name in self.rows]


def apply(order_id: int, planner: Callable[[Order], Plan | None], *, source: str) -> Plan | None:
    """Erase the buyer of order ``order_id``: ``planner`` decides, with the order locked (a
    sync or a chargeback that lands meanwhile waits, and is seen), what changes, or None when
    the order may not be erased now; then it is written. The plan written, or None."""
    with locked(order_id, source=source) as w:
        plan = planner(w.order)
        if plan is None:
            return None
        if plan.order_fields:
            w.set_order(**plan.order_fields)
        for (kind, pk, name), value in plan.rows.items():
            model, allowed = ROWS[kind]
            if name not in allowed:
                raise ValueError(f"an erasure may not change {kind}.{name}")
            model._default_manager.filter(pk=pk).update(**{name: value})
        w.note(
            ERASURE,
            "erased",
            detail={"fields": sorted(plan.order_fields), "rows": len(plan.rows)},
            attempt=None,
        )
        order = w.order
        erased = sorted(plan.order_fields)
        transaction.on_commit(
            lambda: signals.send(
                signals.buyer_erased,
                order,
                old_status=order.status,
                new_status=order.status,
                source=source,
                fields=erased,
            )
        )
    return plan
