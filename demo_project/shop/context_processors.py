from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .cart import Cart


def cart(request: HttpRequest) -> dict[str, Any]:
    """``cart_count`` for the header: read from the session, no query."""
    session = getattr(request, "session", None)
    return {"cart_count": Cart(session).count() if session is not None else 0}
