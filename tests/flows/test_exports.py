"""The accounting exports against the sandbox (issue 19): a month with sales, a refund, a
chargeback and payouts, as CSV and as a DATEV Buchungsstapel, whose totals are the supplier
ledger's for the same days."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from secu_marketplace.models import Order
from secu_marketplace.read.books import ledger_totals, movements, supplier_ledger, totals
from secu_marketplace.sandbox import control
from secu_marketplace.services import payouts, refunds
from secu_marketplace.services.exports import TEXTS, day_range, export

from .conftest import Flow


def _month(flow: Flow) -> tuple[Order, Order]:
    """Two orders paid; a refund on one part; the other order's debit of sb1 returned (status
    4, a chargeback); a payout run; everything synced."""
    first, second = flow.paid_order("creditcard"), flow.paid_order("debit")
    sb0 = first.sub_baskets.get(reference_id="sb0")
    refunds.refund(Order.objects.get(pk=first.pk), sub_basket=sb0, amount=1200)
    flow.money_back_on(second, "sb1")  # secuconnect's push brings the chargeback
    control.pay_out()
    payouts.sync_payouts()
    return first, second


def _datev_totals(content: bytes) -> dict[str, int]:
    lines = content.decode("cp1252").split("\r\n")
    assert lines[0].startswith('"EXTF";700;21;"Buchungsstapel";9;')
    columns = next(csv.reader([lines[1]], delimiter=";"))
    assert len(columns) == 120
    kinds = {text: str(kind) for kind, text in TEXTS.items()}
    sums: dict[str, int] = defaultdict(int)
    for row in csv.reader([line for line in lines[2:] if line], delimiter=";"):
        booking = dict(zip(columns, row, strict=True))
        euros, cents = booking["Umsatz (ohne Soll/Haben-Kz)"].split(",")
        amount = int(euros) * 100 + int(cents)
        sign = 1 if booking["Soll/Haben-Kennzeichen"] == "S" else -1
        kind = kinds[booking["Buchungstext"].split(" ")[0]]
        sums[kind] += sign * amount
        assert booking["Belegdatum"] == timezone.localtime().strftime("%d%m")
    return dict(sums)


def test_the_exports_add_up_to_the_ledger(flow: Flow, tmp_path: Path) -> None:
    _month(flow)
    today = timezone.localdate()
    since, until = day_range(today, today)
    rows = supplier_ledger(since=since, until=until)
    expected = ledger_totals(rows)
    assert expected["payment"] == 2 * 7785
    assert expected["refund"] == 1200
    assert expected["chargeback"] == 2995 + 350  # the furniture part of the debit order
    assert expected["fee"] == 2 * (80 + 70) - 70  # the chargeback reversed its fee
    assert expected["payout"] > 0
    assert totals(movements(since=since, until=until)) == expected
    as_csv = export("csv", today, today)
    assert as_csv.totals == expected
    csv_sums: dict[str, int] = defaultdict(int)
    for row in csv.DictReader(io.StringIO(as_csv.content.decode())):
        csv_sums[row["kind"]] += int(row["amount_minor"])
    assert dict(csv_sums) == expected
    assert _datev_totals(export("datev", today, today).content) == expected
    # The command writes the same file and prints the same totals.
    out = io.StringIO()
    call_command(
        "secu_export",
        "--from",
        str(today),
        "--to",
        str(today),
        "--format",
        "datev",
        "--output",
        str(tmp_path),
        stdout=out,
    )
    written = next(tmp_path.glob("EXTF_*.csv")).read_bytes()
    assert _datev_totals(written) == expected
    assert f"payment: {expected['payment']}" in out.getvalue()
    # A range without these days has none of it.
    yesterday = today - timedelta(days=1)
    assert export("csv", yesterday, yesterday).totals == {}
