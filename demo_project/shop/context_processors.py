from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .cart import Cart


def cart(request: HttpRequest) -> dict[str, Any]:
    """``cart_count`` for the header, read from the session; one query only while an order
    placed from the cart waits to be paid (the cart is emptied once it is)."""
    session = getattr(request, "session", None)
    if session is None:
        return {"cart_count": 0}
    basket = Cart(session)
    basket.settle()
    return {"cart_count": basket.count()}
