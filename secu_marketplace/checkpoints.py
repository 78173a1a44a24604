"""Named points in the money paths where a test may pause one thread while another runs.

Production never registers a hook, so ``reach`` is a dictionary lookup. Tests use
``tests.races.paused_at`` to run A up to a point, run B, then let A go on: concurrency cases
become deterministic instead of depending on sleeping threads.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class Point(StrEnum):
    """Where a flow may be paused (the value is what a test names)."""

    # After the local checks, before secuconnect is asked to move money or report a shipment.
    CAPTURE = "capture.before_call"
    REFUND = "refund.before_call"
    SHIP = "ship.before_call"
    # A held part's release is claimed and checked; revokeAccrual is not sent yet.
    RELEASE = "hold.before_release"
    # The attempt is recorded as "creating"; the create call is not sent yet.
    CHECKOUT_CREATE = "checkout.before_create"
    # A second "Pay now" found the attempt "creating" and waits for the first to finish.
    CHECKOUT_WAITING = "checkout.waiting"
    # A sync has read its answer and holds no lock yet; a newer answer may commit first.
    SYNC_COMMIT = "sync.before_commit"
    # An expiring order was read afresh and found unpaid; its cancel is not sent yet.
    EXPIRE = "expire.before_cancel"


_hooks: dict[str, Callable[[], None]] = {}


def reach(point: Point) -> None:
    hook = _hooks.get(point)
    if hook is not None:
        hook()


def install(name: str, hook: Callable[[], None] | None) -> None:
    if name not in set(Point):
        raise ValueError(f"no checkpoint is named {name!r}: {', '.join(Point)}")
    if hook is None:
        _hooks.pop(name, None)
    else:
        _hooks[name] = hook
