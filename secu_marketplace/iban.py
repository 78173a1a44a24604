"""IBANs: normalised and checked with ISO 13616's mod-97 rule, before anything is sent.

The app checks a supplier's payout account here (a typo is caught in the form, not by a refusal
from secuconnect), and the sandbox refuses what secuconnect would refuse with the same rule.
Lengths are checked for the countries the marketplace is likely to meet; any other country gets
only the general 15-34 characters and the checksum.
"""

from __future__ import annotations

import re

# ISO 13616 lengths of the SEPA countries a German marketplace pays out to most often.
LENGTHS = {
    "AT": 20,
    "BE": 16,
    "CH": 21,
    "DE": 22,
    "DK": 18,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "IE": 22,
    "IT": 27,
    "LI": 21,
    "LU": 20,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "SE": 24,
}
SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def normalise(value: str) -> str:
    """Upper case, without the spaces people type between the groups."""
    return re.sub(r"\s+", "", value or "").upper()


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid IBAN (in English, for logs and the sandbox), or None."""
    iban = normalise(value)
    if not SHAPE.match(iban):
        return "not an IBAN (two letters, two check digits, 11 to 30 letters or digits)"
    expected = LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return f"an IBAN from {iban[:2]} has {expected} characters, this one {len(iban)}"
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(digits) % 97 != 1:
        return "the check digits do not match (a typing error?)"
    return None


def is_valid(value: str) -> bool:
    return problem(value) is None


def with_check_digits(country: str, bban: str) -> str:
    """The IBAN for ``bban`` in ``country`` (the sandbox makes pay-in accounts with it)."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"
