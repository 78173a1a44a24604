"""The sandbox's clock: real time plus an offset kept in the database.

Tests and demos move it forward (``control.advance_clock``, ``POST <mount>/control/clock``) to
show what happens after 30 minutes or 24 hours without waiting: push retries and their 24 h
window (docs/provider.md, "Pushes"), token expiry (docs/provider.md, "Authentication") and
``CHECKOUT_TTL`` all read this clock. The offset lives in a ``SandboxState`` row, so the demo
server, a live-server thread and a management command all see the same time; it is read through
the per-process cache of ``state.py``, which notices a change made by any of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from secu_marketplace.sandbox import state

# The SandboxState row that holds the offset (named in ``state.py``, which caches it).
OFFSET = state.CLOCK_OFFSET


def offset() -> float:
    """Seconds the sandbox clock is ahead of real time."""
    return state.current().clock_offset


def now() -> datetime:
    return timezone.now() + timedelta(seconds=offset())


def advance(seconds: float) -> float:
    """Move the clock forward (never back: time-ordered rows must stay ordered); the new offset."""
    from secu_marketplace.sandbox.models import SandboxState

    if seconds < 0:
        raise ValueError("the sandbox clock only moves forward")
    with transaction.atomic():
        row, _ = SandboxState.objects.select_for_update().get_or_create(name=OFFSET)
        row.value = float(row.value or 0.0) + float(seconds)
        row.save(update_fields=["value"])
    return float(row.value)


def reset() -> None:
    from secu_marketplace.sandbox.models import SandboxState

    SandboxState.objects.filter(name=OFFSET).delete()
