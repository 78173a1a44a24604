"""The checks of single request fields that every validator of the sandbox shares (the Smart
Transaction's body, its basket, a contact).

Each names the offending field by its JSON path (``basket.products[1].sub_basket[0].priceOne``),
so that a client sees which value secuconnect would refuse; the messages are the sandbox's answers
and must not change.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from secu_marketplace.sandbox.errors import BadRequest

MAX_URL_LENGTH = 2000


def integer(value: Any, path: str, *, minimum: int | None = 0, maximum: int | None = None) -> int:
    """An integer, or a string of digits as one; bounds inclusive."""
    # Amounts are integers in the smallest currency unit; a float or a bool is a client bug.
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        else:
            raise BadRequest(f"{path}: must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise BadRequest(f"{path}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise BadRequest(f"{path}: must be at most {maximum}, got {value}")
    return value


def text(value: Any, path: str, *, required: bool = False, max_length: int = 255) -> str:
    """A string ("" when absent); a number is taken as its digits."""
    if value is None or value == "":
        if required:
            raise BadRequest(f"{path}: is required")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # the documentation itself sends articleNumber: 1
    if not isinstance(value, str):
        raise BadRequest(f"{path}: must be a string, got {type(value).__name__}")
    if len(value) > max_length:
        raise BadRequest(f"{path}: must be at most {max_length} characters, got {len(value)}")
    return value


def obj(value: Any, path: str) -> dict[str, Any]:
    """A JSON object ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{path}: must be an object")
    return value


def absolute_url(value: Any, path: str) -> str:
    """An absolute http(s) URL ("" when absent), as the return and push URLs must be."""
    url = text(value, path, max_length=10**6)
    if not url:
        return ""
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"{path}: must be at most {MAX_URL_LENGTH} characters, got {len(url)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"{path}: must be an absolute http(s) URL")
    return url
