"""A part reported shipped: its sub-basket's shipping details, one event, the signal, and the
order shipped once every part is (or has nothing left to ship)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import CheckoutAttempt, Order, StatusEvent, SubBasket
from secu_marketplace.read.payments import all_shipped
from secu_marketplace.rules.statuses import OrderStatus

from .writer import locked

SHIPPING = StatusEvent.Subject.SHIPPING


def shipped(
    order: Order,
    sub_basket: SubBasket,
    attempt: CheckoutAttempt,
    *,
    shipped_at: datetime,
    details: dict[str, str],
    info: dict[str, Any],
    source: str,
) -> bool:
    """Record the report (``details``: carrier, tracking id, invoice number; ``info``: what
    secuconnect was told); True when it completes the order."""
    with locked(order.pk, source=source, sub_basket_id=sub_basket.pk) as w:
        sub = w.sub_basket
        if sub is None or sub.shipped_at:  # the caller's claim makes this unreachable
            raise ProcessingError(f"sub-basket {sub_basket.reference_id} was shipped already")
        for name, value in {"shipped_at": shipped_at, **details}.items():
            setattr(sub, name, value)
        sub.save(update_fields=["shipped_at", *details])
        w.note(
            SHIPPING,
            "shipped",
            attempt=attempt,
            detail={"sub_basket": sub.reference_id, **info},
        )
        w.shipped(sub)
        everything = all_shipped(w.order, attempt)
        # A disputed order leaves "disputed" only when secuconnect resolves the issue.
        if everything and w.order.status != OrderStatus.DISPUTED:
            w.move(OrderStatus.SHIPPED, attempt=attempt, detail={"every sub-basket shipped": True})
    return everything
