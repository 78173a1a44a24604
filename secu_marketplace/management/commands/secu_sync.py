"""``manage.py secu_sync``: reconcile payments that may have moved without us hearing of it,
then the books (``services/upkeep.py``: payouts read, held parts released, buyers past the
retention period erased; ``--no-books`` skips them, ``--order`` too).

Safe from cron every few minutes (``*/5 * * * * manage.py secu_sync``): runs at once split the
work, and each attempt is re-read at most once per ``--min-age`` seconds. Then unpaid orders
are reminded and expired (``services.expiry``; ``--no-expiry`` skips it), and the books are
kept. With ``--enqueue`` it only enqueues the ``reconcile_due``, ``expire_unpaid`` and
``books_upkeep`` tasks (secu_marketplace/tasks.py), and task workers do the work, one task per
due attempt.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secu_marketplace.conf import app_settings
from secu_marketplace.models import CheckoutAttempt, Order
from secu_marketplace.services import expiry
from secu_marketplace.services.bulk_sync import RefreshSummary, reconcile
from secu_marketplace.services.sync import SyncResult
from secu_marketplace.services.upkeep import run_books


class Command(BaseCommand):
    help = "Re-read every checkout attempt that is not final at secuconnect and apply what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-age",
            type=int,
            default=None,
            help="skip attempts synced less than this many seconds ago (default SYNC_MIN_AGE)",
        )
        parser.add_argument("--limit", type=int, default=None, help="at most this many attempts")
        parser.add_argument(
            "--order", dest="reference", help="only this order (by reference), however recent"
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="parallel calls (default SYNC_CONCURRENCY)",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue the reconcile_due task for the task workers instead of syncing here",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="never draw the progress bar"
        )
        parser.add_argument(
            "--no-expiry",
            action="store_true",
            help="do not remind or expire unpaid orders (EXPIRE_UNPAID_AFTER_DAYS) in this run",
        )
        parser.add_argument(
            "--no-books",
            action="store_true",
            help="skip the books (payouts, held payouts, erasure after the retention period)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reference = options["reference"]
        if reference and not Order.objects.filter(reference=reference).exists():
            raise CommandError(f"no order with reference {reference!r}")
        min_age = options["min_age"]
        if min_age is None:
            min_age = int(app_settings.SYNC_MIN_AGE)
        if options["enqueue"]:
            self._enqueue(min_age, options)
            return
        summary = self._reconcile(min_age, options)
        if not reference and not options["no_expiry"]:
            self._expire(summary)
        if not (reference or options["no_books"]):
            self._books(summary)
        if summary.failed:
            # Cron and monitoring only see the exit status: a run that left anything unsynced
            # must not look like a clean one.
            raise CommandError(
                f"{summary.failed} of {summary.checked} could not be synced: "
                + ", ".join(summary.failures)
            )

    def _enqueue(self, min_age: int, options: dict[str, Any]) -> None:
        """Hand the run to the task queue (``--enqueue``)."""
        if options["reference"]:
            raise CommandError("--enqueue reconciles every due attempt; drop --order")
        from secu_marketplace.tasks import enqueue_books_upkeep, enqueue_reconcile

        enqueue_reconcile(min_age, options["limit"], expire=not options["no_expiry"])
        self.stdout.write(
            "queued reconcile_due" + ("" if options["no_expiry"] else ", expire_unpaid")
        )
        if not options["no_books"]:
            enqueue_books_upkeep()
            self.stdout.write("queued books_upkeep")

    def _reconcile(self, min_age: int, options: dict[str, Any]) -> RefreshSummary:
        """Re-read every due attempt (or one order's), showing progress on a terminal."""
        tty = hasattr(self.stdout, "isatty") and self.stdout.isatty() and not options["no_progress"]
        seen = {"n": 0}

        def progress(attempt: CheckoutAttempt, result: SyncResult | None) -> None:
            seen["n"] += 1
            if tty:
                self.stdout.write(
                    f"\r  synced {seen['n']} ({attempt.stx_id or attempt.order.reference})   ",
                    ending="",
                )
                sys.stdout.flush()

        _attempts, summary = reconcile(
            min_age=min_age,
            limit=options["limit"],
            order_reference=options["reference"],
            concurrency=options["concurrency"],
            progress=progress,
        )
        if tty:
            self.stdout.write("")
        self.stdout.write(
            f"checked {summary.checked}, changed {summary.changed}, unchanged {summary.unchanged}, "
            f"failed {summary.failed}"
        )
        for label in summary.failures:
            self.stderr.write(f"  could not sync {label}")
        return summary

    def _expire(self, summary: RefreshSummary) -> None:
        """Remind and expire unpaid orders; what could not be done counts as failed."""
        unpaid = expiry.run()
        self.stdout.write(
            f"unpaid orders: reminded {unpaid.reminded}, expired {unpaid.expired}, paid "
            f"meanwhile {unpaid.kept}, failed {unpaid.failed}"
        )
        for label in unpaid.failures:
            self.stderr.write(f"  could not expire {label}")
        summary.failed += unpaid.failed
        summary.failures += unpaid.failures

    def _books(self, summary: RefreshSummary) -> None:
        """Payouts, held parts, erasure; what could not be done counts as failed."""
        books = run_books()
        for line in books.lines():
            self.stdout.write(line)
        summary.failed += len(books.errors)
        summary.failures += books.errors
