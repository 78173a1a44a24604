from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secu_marketplace.money import exponent, format_money, percent_of, to_decimal, to_minor


def test_the_classic_lost_cent_does_not_happen() -> None:
    assert int(19.99 * 100) == 1998  # what a float does
    assert to_minor(Decimal("19.99"), "EUR") == 1999
    assert to_minor("0.29", "EUR") == 29


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        to_minor(19.99, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(("currency", "places"), [("EUR", 2), ("JPY", 0), ("KWD", 3), ("eur", 2)])
def test_exponents(currency: str, places: int) -> None:
    assert exponent(currency) == places


def test_rounding_is_half_up_and_explicit() -> None:
    assert to_minor(Decimal("0.005"), "EUR") == 1
    assert to_minor(Decimal("0.0049"), "EUR") == 0
    assert to_minor(Decimal("12.5"), "JPY") == 13


@given(
    minor=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["EUR", "JPY", "KWD", "CHF"]),
)
def test_minor_decimal_minor_round_trips(minor: int, currency: str) -> None:
    assert to_minor(to_decimal(minor, currency), currency) == minor


@given(
    minor=st.integers(min_value=0, max_value=10**9), bp=st.integers(min_value=0, max_value=10000)
)
def test_percent_of_is_an_integer_within_bounds(minor: int, bp: int) -> None:
    fee = percent_of(minor, bp)
    assert isinstance(fee, int)
    assert 0 <= fee <= minor


def test_format_money() -> None:
    assert format_money(7285, "EUR") == "72.85 EUR"
    assert format_money(1000, "JPY") == "1,000 JPY"
    assert format_money(-450, "EUR") == "-4.50 EUR"
