"""The books' periodic work, in one call for ``secu_sync`` and the ``books_upkeep`` task: read
the payouts secuconnect reports (``services/payouts.py``), release the held parts that are due
(``services/holds.py``), and erase the buyers of orders past ``ERASE_BUYERS_AFTER_DAYS``
(``services/erasure.py``). Each part runs even when one before it failed; what failed is said."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from secu_marketplace.conf import app_settings
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.services import erasure, holds, payouts

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class BooksRun:
    payouts: payouts.PayoutSync
    holds: holds.HoldRun
    erased: int = 0
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the run did, as ``secu_sync`` prints it."""
        p, h = self.payouts, self.holds
        return [
            f"payouts: {p.new} new record(s) in {p.transfers} transfer(s), "
            f"{p.unmatched} not matched, {p.rematched} matched later",
            f"held payouts: {h.found} found, {h.released} released, {h.kept} kept, "
            f"{h.closed} closed, {h.waiting} waiting, {h.failed} failed",
            f"buyers erased: {self.erased}",
        ]


def _step(summary: BooksRun, what: str, work: Callable[[], T], *, trace: bool = True) -> T | None:
    """Run one part; an error is said in the summary (and logged: with its traceback unless
    the part handles buyers' data, whose values an error's text may carry), and the next part
    runs all the same."""
    try:
        return work()
    except Exception as error:
        if trace:
            logger.exception("%s could not be done", what)
        else:
            logger.error("%s could not be done: %s", what, type(error).__name__)
        summary.errors.append(f"{what} could not be done: {type(error).__name__}")
        return None


def run_books(now: datetime | None = None, client: SecuconnectClient | None = None) -> BooksRun:
    """Payouts, held payouts, erasure (module docstring)."""
    client = client or SecuconnectClient()
    summary = BooksRun(payouts=payouts.PayoutSync(), holds=holds.HoldRun())
    summary.payouts = _step(summary, "payouts", lambda: payouts.sync_payouts(client)) or (
        summary.payouts
    )
    if summary.payouts.error:
        summary.errors.append(f"payouts could not be read: {summary.payouts.error}")
    summary.holds = _step(summary, "held payouts", lambda: holds.run(now, client=client)) or (
        summary.holds
    )
    if summary.holds.failed:
        summary.errors.append(f"{summary.holds.failed} held payout(s) could not be released")
    if app_settings.ERASE_BUYERS_AFTER_DAYS:
        report = _step(summary, "erasure", lambda: erasure.erase_expired(now), trace=False)
        summary.erased = len(report.erased) if report is not None else 0
    return summary
