"""``manage.py secu_erase``: erase a buyer's personal data, by e-mail address or order, or
(``--expired``) every buyer past ``ERASE_BUYERS_AFTER_DAYS``; ``--dry-run`` lists what would
change (``services/erasure.py``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.rules.statuses import Source
from secu_marketplace.services.erasure import ErasureReport, erase, erase_expired, orders_of


class Command(BaseCommand):
    help = "Erase a buyer's personal data from their orders; amounts, ids and dates stay."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="", help="every order of this e-mail address")
        parser.add_argument("--order", default="", help="one order, by its reference")
        parser.add_argument(
            "--expired", action="store_true", help="orders past ERASE_BUYERS_AFTER_DAYS"
        )
        parser.add_argument("--dry-run", action="store_true", help="change nothing; list it")

    def handle(self, *args: Any, **options: Any) -> None:
        dry = bool(options["dry_run"])
        try:
            if options["expired"]:
                report = erase_expired(dry_run=dry)
            else:
                found = orders_of(email=options["email"], reference=options["order"])
                if not found:
                    raise CommandError("no order matches")
                report = erase(found, dry_run=dry, source=Source.ADMIN)
        except ProcessingError as error:
            raise CommandError(str(error)) from error
        self._print(report)

    def _print(self, report: ErasureReport) -> None:
        verb = "would erase" if report.dry_run else "erased"
        for entry in report.orders:
            if entry.refused:
                self.stderr.write(f"{entry.reference}: refused, {entry.refused}")
                continue
            self.stdout.write(f"{entry.reference}: {verb} {', '.join(entry.changes) or 'nothing'}")
        for line in report.shop:
            self.stdout.write(f"shop: {line}")
