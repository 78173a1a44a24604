"""The sandbox's run-time state (clock offset, switch overrides, armed faults, the API clients
in use), cached per process and checked against a version stamp in the database on every use.

Every API call needs that state: the clock for token expiry, the faults to know whether this call
fails, sometimes a switch. Reading each from its rows cost several ORM queries per call. Caching it
in the process alone would be wrong: tests, the demo server and a management command change it
from other processes (docs/sandbox.md, "Speed").

So every change writes a new random *stamp* into one ``SandboxState`` row (``state.version``), in
the same transaction as the change itself (``post_save``/``post_delete`` of ``Fault``,
``ApiClient``, ``Merchant`` and of the clock and switch rows, so the admin, the
control API and ``control`` all count). A reader fetches
the stamp with one indexed raw query and reloads the state only when it differs from the one its
cache was built under. A random stamp, not a counter: a test's rolled-back transaction or a flushed
database can bring a counter back to a value the cache has already seen, with other contents; a
random stamp cannot come back. Only a change that bypasses the ORM's signals (raw SQL, a queryset
``update()`` of these rows) must call ``changed()`` itself.

Inside one API call (``api_view``) the state is read once and ``pinned``: the clock, switches and
faults that call sees are from one moment.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import Q

if TYPE_CHECKING:
    from secu_marketplace.sandbox.models import ApiClient, Fault

VERSION = "state.version"
# The names of the SandboxState rows the cache holds. ``clock.py`` writes the offset and
# ``conf.py`` the switch overrides; both read them back through ``current()``. The names live here,
# with the reader that must know them all, so that this module needs neither of the two writers.
CLOCK_OFFSET = "clock.offset"
SWITCH_PREFIX = "switch."
# Other rows (counters, the stamp) never invalidate the cache.
CACHED_PREFIXES = ("clock.", SWITCH_PREFIX)


@dataclass(frozen=True)
class Snapshot:
    stamp: int | None
    clock_offset: float = 0.0
    # Run-time switch overrides by name (absent: the setting's value).
    switches: dict[str, Any] = field(default_factory=dict)
    # Every armed fault in the order they fire (``created``, ``pk``).
    faults: tuple[Fault, ...] = ()
    # API clients (with their merchant) by pk, filled as calls authenticate; saving or deleting a
    # client or merchant writes a new stamp.
    clients: dict[int, ApiClient] = field(default_factory=dict)


_cache: dict[tuple[str, str], Snapshot] = {}
_lock = threading.Lock()
_pinned: ContextVar[Snapshot | None] = ContextVar("secu_sandbox_state", default=None)


def _alias() -> str:
    from secu_marketplace.sandbox.models import SandboxState

    return router.db_for_read(SandboxState) or "default"


def _stamp(alias: str) -> int | None:
    from secu_marketplace.sandbox.models import SandboxState

    connection = connections[alias]
    table = connection.ops.quote_name(SandboxState._meta.db_table)
    with connection.cursor() as cursor:
        # Raw SQL: compiling the ORM query would cost more than running it.
        cursor.execute(f"SELECT number FROM {table} WHERE name = %s", [VERSION])  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _load(alias: str, stamp: int | None) -> Snapshot:
    from secu_marketplace.sandbox.models import Fault, SandboxState

    cached = Q(name__startswith=CACHED_PREFIXES[0]) | Q(name__startswith=CACHED_PREFIXES[1])
    rows = dict(SandboxState.objects.using(alias).filter(cached).values_list("name", "value"))
    return Snapshot(
        stamp=stamp,
        clock_offset=float(rows.get(CLOCK_OFFSET) or 0.0),
        switches={
            name.removeprefix(SWITCH_PREFIX): value
            for name, value in rows.items()
            if name.startswith(SWITCH_PREFIX)
        },
        faults=tuple(Fault.objects.using(alias).order_by("created", "pk")),
    )


def current() -> Snapshot:
    """The state as the database has it now (one small query when nothing changed)."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    alias = _alias()
    # The database's name too: a test run switches from the project's database to its own.
    key = (alias, str(connections[alias].settings_dict["NAME"]))
    stamp = _stamp(alias)
    cached = _cache.get(key)
    if cached is not None and cached.stamp == stamp:
        return cached
    # Loaded after the stamp was read: at worst newer than the stamp says, and the next call
    # sees a newer stamp and loads again. Never older.
    fresh = _load(alias, stamp)
    with _lock:
        _cache[key] = fresh
    return fresh


@contextmanager
def pinned() -> Iterator[Snapshot]:
    """Read the state once; ``current()`` answers that snapshot until the block ends."""
    token = _pinned.set(None)
    snapshot = current()
    _pinned.set(snapshot)
    try:
        yield snapshot
    finally:
        _pinned.reset(token)


def changed(using: str | None = None) -> None:
    """A new stamp, written in the caller's transaction: every process reloads on its next read."""
    from secu_marketplace.sandbox.models import SandboxState

    stamp = secrets.randbits(62)
    rows = SandboxState.objects.using(using or router.db_for_write(SandboxState) or "default")
    if not rows.filter(name=VERSION).update(number=stamp):
        # The first change (or the first after a flush); a concurrent creator's stamp is as new.
        rows.get_or_create(name=VERSION, defaults={"number": stamp})


def _on_change(sender: Any, using: str, **kwargs: Any) -> None:
    changed(using)


def _on_state(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    if str(instance.name).startswith(CACHED_PREFIXES):
        changed(using)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from secu_marketplace.sandbox.models import ApiClient, Fault, Merchant, SandboxState

    for name, signal in (("save", post_save), ("delete", post_delete)):
        for model in (Fault, ApiClient, Merchant):
            uid = f"secu_sandbox_{model._meta.model_name}_{name}"
            signal.connect(_on_change, sender=model, dispatch_uid=uid)
        signal.connect(_on_state, sender=SandboxState, dispatch_uid=f"secu_sandbox_state_{name}")
