"""Money as integer minor units with the ISO 4217 currency beside it; never a float.

Prices a shop holds as decimals are converted once, here, with an explicit rounding mode.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

# ISO 4217 minor-unit exponents that differ from 2; every other currency has two decimals.
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal | int | str, currency: str, rounding: str = ROUND_HALF_UP) -> int:
    """Decimal major units to integer minor units: ``to_minor(Decimal("19.99"), "EUR") == 1999``.

    Floats are refused: ``int(19.99 * 100)`` is 1998, the classic lost cent.
    """
    if isinstance(amount, float):
        raise TypeError("amounts must not be floats; pass a Decimal, a str or an int")
    scale = Decimal(10) ** exponent(currency)
    return int((Decimal(amount) * scale).quantize(Decimal(1), rounding=rounding))


def to_decimal(minor: int, currency: str) -> Decimal:
    places = exponent(currency)
    return (Decimal(minor) / (Decimal(10) ** places)).quantize(Decimal(1).scaleb(-places))


def format_money(minor: int, currency: str) -> str:
    """For people: ``format_money(7285, "EUR") == "72.85 EUR"`` (localised separators)."""
    places = exponent(currency)
    return f"{number_format(to_decimal(minor, currency), places, force_grouping=True)} {currency}"


def percent_of(minor: int, basis_points: int) -> int:
    """``basis_points`` hundredths of a percent of ``minor``, rounded half up, in minor units."""
    return int((Decimal(minor) * basis_points / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
