"""A deterministic race helper: run A up to a named checkpoint, run B, then let A go on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from secu_marketplace import checkpoints

TIMEOUT = 30.0


@dataclass
class Paused:
    """A's outcome: what it returned or raised, once it has finished."""

    result: Any = None
    error: BaseException | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def finish(self) -> None:
        self.go.set()
        assert self.thread is not None
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "A never finished"


@contextmanager
def paused_at(point: str, a: Callable[[], Any]) -> Iterator[Paused]:
    """Start ``a`` in a thread and hold it at ``point``; the body runs B; leaving lets A go on.

    Only the first thread to reach ``point`` (A) is held; B passes through."""
    paused = Paused()
    owner: list[int] = []

    def hook() -> None:
        if not owner:
            owner.append(threading.get_ident())
        if owner[0] == threading.get_ident() and not paused.arrived.is_set():
            paused.arrived.set()
            paused.go.wait(TIMEOUT)

    def run() -> None:
        try:
            paused.result = a()
        except BaseException as error:  # handed to the test
            paused.error = error
        finally:
            paused.arrived.set()  # never leave the test waiting for a point A did not reach
            connections.close_all()

    checkpoints.install(point, hook)
    paused.thread = threading.Thread(target=run)
    paused.thread.start()
    try:
        assert paused.arrived.wait(TIMEOUT), f"A never reached {point}"
        yield paused
    finally:
        paused.finish()
        checkpoints.install(point, None)
