"""What erasing a buyer changes, decided without the database: the order's fields that name the
buyer, and every stored text or JSON value that could (a provider answer, a push body, an error,
a timeline entry), scrubbed of the buyer's own words and of whatever ``redaction.redact`` hides
(contacts, e-mail addresses, IBANs, names of payers).

Amounts, ids, dates, statuses, the basket and the supplier split are never touched: an erased
order is still the record of what was sold, to which supplier, for how much, and when.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from secu_marketplace.redaction import redact, redact_text

ERASED = "[erased]"
# The order's fields that describe the buyer. ``country`` and ``language`` stay: they decide
# VAT and the language of documents, and name nobody.
BUYER_FIELDS = (
    "forename",
    "surname",
    "company",
    "email",
    "phone",
    "street",
    "street_number",
    "additional_address",
    "postal_code",
    "city",
    "date_of_birth",
)
# Words shorter than this are too common to hunt for in stored text (a house number "5").
MIN_NEEDLE = 3


def erased_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The order's new values for the buyer's fields that are set now: empty (no birth date)."""
    return {
        name: (None if name == "date_of_birth" else "")
        for name in BUYER_FIELDS
        if values.get(name) not in (None, "")
    }


def needle_pattern(values: dict[str, Any]) -> re.Pattern[str] | None:
    """A pattern that finds the buyer's own words (name, e-mail, phone, street, company) in
    stored text, whole words only and in any case; None when there is nothing to look for."""
    words: set[str] = set()
    full = " ".join(str(values.get(k) or "").strip() for k in ("forename", "surname")).strip()
    for value in (full, *(values.get(k) for k in BUYER_FIELDS if k != "date_of_birth")):
        text = str(value or "").strip()
        if len(text) >= MIN_NEEDLE:
            words.add(text)
    phone = re.sub(r"\D", "", str(values.get("phone") or ""))
    if len(phone) >= 6:
        words.add(phone)
    if not words:
        return None
    parts = [rf"(?<!\w){re.escape(w)}(?!\w)" for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub_text(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` without the buyer's words and without what ``redact_text`` hides."""
    found = pattern.sub(ERASED, text) if pattern is not None else text
    return redact_text(found)


def scrub(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """A stored JSON value (a snapshot, a push body, an error) without the buyer: redacted as
    new answers are, and every string that names the buyer replaced."""
    return _strings(redact(value), pattern)


def _strings(value: Any, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, dict):
        return {key: _strings(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings(item, pattern) for item in value]
    if isinstance(value, str) and pattern is not None and pattern.search(value):
        return ERASED
    return value


def changed(pairs: Iterable[tuple[Any, Any]]) -> bool:
    return any(before != after for before, after in pairs)
