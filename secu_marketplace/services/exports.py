"""Accounting exports for a date range: every movement of the books (``read.books.movements``:
parts sold, marketplace fees, refunds, chargebacks, payouts, secupay's deductions) as CSV, the
supplier ledger as CSV, and the movements as a DATEV "Buchungsstapel" (``services/datev.py``).
Their totals are the supplier ledger's for the same range: both add up the same movements.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.utils import timezone

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.money import to_decimal
from secu_marketplace.read.books import (
    LedgerRow,
    Movement,
    movements,
    supplier_ledger,
    totals,
)
from secu_marketplace.services.datev import (
    TEXTS,
    datev_export,
    supplier_label,
    supplier_names,
)

__all__ = ["TEXTS", "Export", "ExportFormat", "datev_export", "export", "ledger_csv"]

CSV_COLUMNS = (
    "date",
    "kind",
    "supplier_id",
    "supplier",
    "order",
    "sub_basket",
    "document",
    "trans_id",
    "amount_minor",
    "amount",
    "currency",
)


def decimal(amount: int, currency: str) -> str:
    """Minor units as a decimal with a point (CSV), with the currency's own places (none for
    JPY, three for KWD)."""
    return str(to_decimal(amount, currency))


def movements_csv(found: Iterable[Movement]) -> str:
    """One row per movement; ``amount_minor`` signed as the ledger adds it."""
    names = supplier_names()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for move in found:
        writer.writerow(
            [
                timezone.localtime(move.at).isoformat(timespec="seconds"),
                str(move.kind),
                move.supplier_id or "",
                supplier_label(move, names),
                move.order_reference,
                move.sub_basket,
                move.document,
                move.trans_id or "",
                move.amount,
                decimal(move.amount, move.currency),
                move.currency,
            ]
        )
    return out.getvalue()


def ledger_csv(rows: Iterable[LedgerRow]) -> str:
    """The supplier ledger: one row per supplier and currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "supplier_id",
            "supplier",
            "currency",
            "sold",
            "fees",
            "refunded",
            "chargebacks",
            "earned",
            "paid_out",
            "deducted",
            "balance",
            "held",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.supplier.pk if row.supplier else "",
                row.label,
                row.currency,
                row.sold,
                row.fees,
                row.refunded,
                row.chargebacks,
                row.earned,
                row.paid_out,
                row.deducted,
                row.balance,
                row.held,
            ]
        )
    return out.getvalue()


class ExportFormat(StrEnum):
    CSV = "csv"  # every movement
    DATEV = "datev"  # every movement, as an EXTF Buchungsstapel
    LEDGER = "ledger"  # the supplier ledger, one row per supplier


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    content_type: str
    totals: dict[str, int]  # the movements added up by kind


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[``first`` 00:00, the day after ``last`` 00:00) in the current time zone."""
    if last < first:
        raise ProcessingError("the range ends before it begins")
    try:
        start = timezone.make_aware(datetime.combine(first, time.min))
        end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    except OverflowError:
        raise ProcessingError("the range ends after the last date the app can count") from None
    return start, end


def export(kind: str, first: date, last: date) -> Export:
    """The file for the days ``first`` to ``last`` (both included)."""
    fmt = ExportFormat(kind)
    since, until = day_range(first, last)
    found = movements(since=since, until=until)
    stem = f"secu-marketplace-{first:%Y%m%d}-{last:%Y%m%d}"
    if fmt == ExportFormat.DATEV:
        content = datev_export(found, since=since, until=until)
        return Export(
            f"EXTF_Buchungsstapel_{stem}.csv",
            content,
            "text/csv; charset=windows-1252",
            totals(found),
        )
    if fmt == ExportFormat.LEDGER:
        text = ledger_csv(supplier_ledger(since=since, until=until))
        return Export(f"{stem}-ledger.csv", text.encode(), "text/csv; charset=utf-8", totals(found))
    text = movements_csv(found)
    return Export(f"{stem}.csv", text.encode(), "text/csv; charset=utf-8", totals(found))
