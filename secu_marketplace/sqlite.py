"""SQLite under concurrent requests: take the write lock when a transaction begins.

With Django's default SQLite settings a transaction begins DEFERRED: it reads first and asks for
the write lock at its first write. Two such transactions that both read and then write (every
"Pay now", return page and push does: lock the order, then update it) deadlock inside SQLite,
which answers the second one at once with "database is locked", however long the timeout: the
buyer gets a 500. Measured on the demo with Django's defaults: 9 of 10 concurrent "Pay now"
requests failed so (``benchmarks/sqlite_defaults.py``); with IMMEDIATE, none.

Django 5.1+ lets a project choose ``DATABASES[...]["OPTIONS"]["transaction_mode"]``. Where a
project has not chosen, this app sets IMMEDIATE on its SQLite connections (``SQLITE_IMMEDIATE``,
on by default): every transaction then waits its turn for the write lock (up to the connection's
timeout, 5 s by default) instead of failing halfway. SQLite serialises writers anyway, so little
is lost; a project that wants otherwise sets its own ``transaction_mode`` or
``SQLITE_IMMEDIATE: False`` (and ``manage.py check`` warns about it).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


def chosen_mode(connection: BaseDatabaseWrapper) -> str | None:
    """The transaction mode the project configured for this SQLite connection, if any."""
    mode = (connection.settings_dict.get("OPTIONS") or {}).get("transaction_mode")
    return str(mode).upper() if mode else None


def begin_immediate(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: IMMEDIATE unless the project chose a mode itself."""
    from secu_marketplace.conf import app_settings

    if connection.vendor != "sqlite" or chosen_mode(connection) is not None:
        return
    if not app_settings.SQLITE_IMMEDIATE:
        return
    # The sqlite backend reads this attribute at every BEGIN (Django 5.1+); it was set from the
    # OPTIONS when the connection was made, just before this signal.
    connection.transaction_mode = "IMMEDIATE"  # type: ignore[attr-defined]
