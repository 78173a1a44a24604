"""The DATEV "Buchungsstapel" (EXTF) of the books' movements, with the supplier as cost centre
(KOST1) and the accounts from ``SECU_MARKETPLACE["DATEV"]``.

It follows the EXTF header and column list that ERPNext writes (``frappe/erpnext``,
``erpnext/regional/germany/utils/datev/datev_constants.py`` and ``datev_csv.py``: format 700,
category 21, "Buchungsstapel", format version 9, the full list of columns, Windows-1252, ``;``,
decimal comma, CRLF). The accounts default to placeholders in SKR03; **a tax adviser must
confirm the account mapping** before the file is imported (docs/books.md, "DATEV").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import Supplier
from secu_marketplace.money import to_decimal
from secu_marketplace.read.books import MARKETPLACE, Movement
from secu_marketplace.rules.books import MovementKind

# Placeholders in SKR03 (1361 a clearing account for secupay, 1600 liabilities to suppliers,
# 8400 revenue at 19 % VAT, 1200 the bank): confirm with your tax adviser.
DEFAULT_ACCOUNTS: dict[str, dict[str, str]] = {
    "payment": {"account": "1361", "contra": "1600", "bu": ""},
    "refund": {"account": "1600", "contra": "1361", "bu": ""},
    "chargeback": {"account": "1600", "contra": "1361", "bu": ""},
    "fee": {"account": "1600", "contra": "8400", "bu": ""},
    "payout": {"account": "1600", "contra": "1361", "bu": ""},
    "payout_marketplace": {"account": "1200", "contra": "1361", "bu": ""},
    # secupay's own charges kept from a payout: the supplier's (less owed to it) or, from the
    # marketplace's payout, the marketplace's cost (4970 Nebenkosten des Geldverkehrs).
    "deduction": {"account": "1600", "contra": "1361", "bu": ""},
    "deduction_marketplace": {"account": "4970", "contra": "1361", "bu": ""},
}
DEFAULTS: dict[str, Any] = {
    "CONSULTANT_NUMBER": 1001,  # Beraternummer
    "CLIENT_NUMBER": 1,  # Mandantennummer
    "FISCAL_YEAR_START": 1,  # the month the fiscal year begins
    "ACCOUNT_LENGTH": 4,  # Sachkontenlänge
    "CHART": "03",  # SKR
    "DESCRIPTION": "secu-marketplace",
    "ACCOUNTS": DEFAULT_ACCOUNTS,
}

# Every column of the Buchungsstapel, in order (DATEV requires them all to be present).
DATEV_COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
    "Postensperre",
    "Diverse Adressnummer",
    "Geschäftspartnerbank",
    "Sachverhalt",
    "Zinssperre",
    "Beleglink",
    *(f"Beleginfo - {part} {n}" for n in range(1, 9) for part in ("Art", "Inhalt")),
    "KOST1 - Kostenstelle",
    "KOST2 - Kostenstelle",
    "KOST-Menge",
    "EU-Mitgliedstaat u. USt-IdNr.",
    "EU-Steuersatz",
    "Abw. Versteuerungsart",
    "Sachverhalt L+L",
    "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    *(f"Zusatzinformation - {part} {n}" for n in range(1, 21) for part in ("Art", "Inhalt")),
    "Stück",
    "Gewicht",
    "Zahlweise",
    "Forderungsart",
    "Veranlagungsjahr",
    "Zugeordnete Fälligkeit",
    "Skontotyp",
    "Auftragsnummer",
    "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)",
    "EU-Mitgliedstaat (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)",
    "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz",
    "Leerfeld",
    "KOST-Datum",
    "SEPA-Mandatsreferenz",
    "Skontosperre",
    "Gesellschaftername",
    "Beteiligtennummer",
    "Identifikationsnummer",
    "Zeichnernummer",
    "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung",
    "Festschreibung",
    "Leistungsdatum",
    "Datum Zuord. Steuerperiode",
    "Fälligkeit",
    "Generalumkehr (GU)",
    "Steuersatz",
    "Land",
)
LAST = timedelta(microseconds=1)
TEXTS = {
    MovementKind.PAYMENT: "Verkauf",
    MovementKind.REFUND: "Erstattung",
    MovementKind.CHARGEBACK: "Rückbelastung",
    MovementKind.FEE: "Marktplatzgebühr",
    MovementKind.PAYOUT: "Auszahlung",
    MovementKind.DEDUCTION: "Abzug secupay",
}


def datev_settings() -> dict[str, Any]:
    given = dict(app_settings.DATEV or {})
    merged = {**DEFAULTS, **given}
    merged["ACCOUNTS"] = {**DEFAULT_ACCOUNTS, **(given.get("ACCOUNTS") or {})}
    return merged


def datev_amount(amount: int, currency: str) -> str:
    """An amount as DATEV's ``Umsatz`` wants it: unsigned, two places, a decimal comma (a
    currency with fewer places gets ",00"; more are rounded half up to two)."""
    value = abs(to_decimal(amount, currency)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:.2f}".replace(".", ",")


def document_number(text: str) -> str:
    """DATEV's ``Belegfeld 1``: up to 36 of letters, digits and ``$ % & * + - /`` (a payout's
    "Auszahlung 10" is "Auszahlung10": cut at 12, it was the same as "Auszahlung 1")."""
    return re.sub(r"[^A-Za-z0-9$%&*+\-/]", "", text)[:36]


def supplier_names() -> dict[int, str]:
    """Every supplier's name by id (one query for a whole file)."""
    return dict(Supplier.objects.values_list("pk", "name"))


def supplier_label(move: Movement, names: dict[int, str]) -> str:
    if move.owner == MARKETPLACE:
        return "marketplace"
    return names.get(move.supplier_id or 0, move.owner)


def fiscal_year_start(moment: datetime, month: int) -> datetime:
    local = timezone.localtime(moment)
    year = local.year if local.month >= month else local.year - 1
    return local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _header(since: datetime, until: datetime, config: dict[str, Any], currency: str) -> str:
    """The EXTF header line (ERPNext's ``get_header``): format, category, dates, numbers."""
    last_day = timezone.localtime(until - LAST)  # the range ends before ``until``
    created = timezone.localtime().strftime("%Y%m%d%H%M%S") + "000"
    start = fiscal_year_start(since, int(config["FISCAL_YEAR_START"]))
    fields = [
        _quoted("EXTF"),
        "700",
        "21",
        _quoted("Buchungsstapel"),
        "9",
        created,
        "",
        _quoted("SM"),  # Herkunft: any two letters, replaced by "SV" on import
        _quoted("secu-marketplace"),
        "",
        str(int(config["CONSULTANT_NUMBER"])),
        str(int(config["CLIENT_NUMBER"])),
        start.strftime("%Y%m%d"),
        str(int(config["ACCOUNT_LENGTH"])),
        timezone.localtime(since).strftime("%Y%m%d"),
        last_day.strftime("%Y%m%d"),
        _quoted(str(config["DESCRIPTION"])[:30]),
        "",
        "1",  # Buchungstyp: Finanzbuchführung
        "0",  # Rechnungslegungszweck: independent
        "0",  # Festschreibung: not fixed
        _quoted(currency),
        "",
        "",
        "",
        "",
        _quoted(str(config["CHART"])),
        "",
        "",
        "",
        "",
    ]
    return ";".join(fields)


def _booking(move: Movement, config: dict[str, Any], names: dict[int, str]) -> dict[str, str]:
    key = str(move.kind)
    if move.kind in (MovementKind.PAYOUT, MovementKind.DEDUCTION) and move.owner == MARKETPLACE:
        key = f"{key}_marketplace"
    accounts = config["ACCOUNTS"][key]
    text = f"{TEXTS[move.kind]} {supplier_label(move, names)} {move.order_reference}".strip()
    return {
        "Umsatz (ohne Soll/Haben-Kz)": datev_amount(move.amount, move.currency),
        "Soll/Haben-Kennzeichen": _quoted("S" if move.amount >= 0 else "H"),
        "WKZ Umsatz": _quoted(move.currency),
        "Konto": str(accounts["account"]),
        "Gegenkonto (ohne BU-Schlüssel)": str(accounts["contra"]),
        "BU-Schlüssel": _quoted(str(accounts.get("bu") or "")) if accounts.get("bu") else "",
        "Belegdatum": timezone.localtime(move.at).strftime("%d%m"),
        "Belegfeld 1": _quoted(document_number(move.document or move.order_reference)),
        "Belegfeld 2": _quoted(str(move.trans_id or "")[:12]) if move.trans_id else "",
        "Buchungstext": _quoted(text[:60]),
        "KOST1 - Kostenstelle": _quoted(str(move.supplier_id)[:8]) if move.supplier_id else "",
        "Festschreibung": "0",
    }


def datev_export(found: Iterable[Movement], *, since: datetime, until: datetime) -> bytes:
    """The movements as an EXTF Buchungsstapel (Windows-1252 bytes). The range must lie in one
    fiscal year, as DATEV dates carry no year (``Belegdatum`` is DDMM)."""
    config = datev_settings()
    month = int(config["FISCAL_YEAR_START"])
    if fiscal_year_start(since, month) != fiscal_year_start(until - LAST, month):
        raise ProcessingError("a DATEV export covers one fiscal year: choose a shorter range")
    moves = [m for m in found if m.amount]
    currencies = {m.currency for m in moves} or {"EUR"}
    if len(currencies) > 1:
        raise ProcessingError("a DATEV export is one currency: export each currency apart")
    names = supplier_names()
    lines = [
        _header(since, until, config, currencies.pop()),
        ";".join(_quoted(column) for column in DATEV_COLUMNS),
    ]
    for move in moves:
        booking = _booking(move, config, names)
        lines.append(";".join(booking.get(column, "") for column in DATEV_COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")
