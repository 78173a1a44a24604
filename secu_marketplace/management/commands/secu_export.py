"""``manage.py secu_export``: the books for a date range, as CSV, as a DATEV Buchungsstapel
(EXTF), or the supplier ledger (``services/exports.py``; docs/books.md, "Exports")."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.services.exports import ExportFormat, export


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Export payments, refunds, chargebacks, marketplace fees and payouts for a date range."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument(
            "--format", choices=[f.value for f in ExportFormat], default=ExportFormat.CSV.value
        )
        parser.add_argument(
            "--output", help="file (or folder) to write; default: the file name it gets, here"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = export(options["format"], _day(options["first"]), _day(options["last"]))
        except ProcessingError as error:
            raise CommandError(str(error)) from error
        target = Path(options["output"] or made.filename)
        if target.is_dir():
            target = target / made.filename
        target.write_bytes(made.content)
        self.stdout.write(f"wrote {target} ({len(made.content)} bytes)")
        for kind, amount in sorted(made.totals.items()):
            self.stdout.write(f"  {kind}: {amount}")
