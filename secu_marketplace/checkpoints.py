"""Named points in the money paths where a test may pause one thread while another runs.

Production never registers a hook, so ``reach`` is a dictionary lookup. Tests use
``tests.races.paused_at`` to run A up to a point, run B, then let A go on: concurrency cases
become deterministic instead of depending on sleeping threads.

Points: ``capture.before_call``, ``refund.before_call``, ``ship.before_call`` (after the local
checks, before secuconnect is asked), ``checkout.before_create`` (before the create call).
"""

from __future__ import annotations

from collections.abc import Callable

_hooks: dict[str, Callable[[], None]] = {}


def reach(name: str) -> None:
    hook = _hooks.get(name)
    if hook is not None:
        hook()


def install(name: str, hook: Callable[[], None] | None) -> None:
    if hook is None:
        _hooks.pop(name, None)
    else:
        _hooks[name] = hook
