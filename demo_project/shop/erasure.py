"""The demo shop's part of erasing a buyer (``SECU_MARKETPLACE["ERASURE_HOOK"]``).

The shop keeps no buyer data in its own tables (its catalogue is products and shipping rates);
what ties a visitor to an order is the session's "order placed from this cart" entry
(``cart.ORDER_KEY``, the order's public token). Erasing the buyer removes that entry from every
session that holds one of the erased orders, so nothing in the shop leads back to them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.sessions.models import Session
from django.utils import timezone

from secu_marketplace.models import Order

from .cart import ORDER_KEY


def erase_sessions(emails: Iterable[str], orders: Iterable[Order], dry_run: bool) -> list[str]:
    """Drop the erased orders from the live sessions; what changed (or would)."""
    tokens = {str(order.public_token) for order in orders}
    if not tokens:
        return []
    done = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()):
        data = session.get_decoded()
        placed = data.get(ORDER_KEY)
        if not isinstance(placed, dict) or placed.get("token") not in tokens:
            continue
        done.append(f"session {session.session_key[:8]}…: the order placed from its cart")
        if not dry_run:
            data.pop(ORDER_KEY, None)
            Session.objects.save(session.session_key, data, session.expire_date)
    return done
