"""The session cart: quantities per product, grouped by supplier for display and checkout.

The session holds only ``{product id: quantity}``; prices, names and shipping are read from the
catalogue whenever the cart is shown, so a changed price is never stale. All amounts are integer
cents of ``CURRENCY``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from secu_marketplace.models import Order, Supplier

from .models import CURRENCY, Product, ShippingRate

SESSION_KEY = "shop_cart"
# The order placed from this cart and what it took from it: the cart is kept while that order
# may still be paid (a failed or cancelled payment leaves it as it was) and emptied once it is.
ORDER_KEY = "shop_cart_order"
MAX_QUANTITY = 99


def shipping_rate(supplier: Supplier) -> ShippingRate | None:
    """The supplier's shipping rate, or None when it ships for free."""
    try:
        return supplier.shipping_rate
    except ShippingRate.DoesNotExist:
        return None


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def total(self) -> int:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class SupplierGroup:
    """One supplier's part of the cart: it becomes one sub-basket of the order."""

    supplier: Supplier
    lines: tuple[CartLine, ...]
    shipping: ShippingRate | None

    @property
    def items_total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def shipping_price(self) -> int:
        return self.shipping.price if self.shipping else 0

    @property
    def total(self) -> int:
        return self.items_total + self.shipping_price


@dataclass(frozen=True)
class CartContents:
    groups: tuple[SupplierGroup, ...]
    currency: str = CURRENCY

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def count(self) -> int:
        return sum(line.quantity for group in self.groups for line in group.lines)

    @property
    def items_total(self) -> int:
        return sum(group.items_total for group in self.groups)

    @property
    def shipping_total(self) -> int:
        return sum(group.shipping_price for group in self.groups)

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)


class Cart:
    """A view of the cart in ``session``; every change is saved to the session at once."""

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        self.session = session

    def quantities(self) -> dict[int, int]:
        raw = self.session.get(SESSION_KEY) or {}
        out: dict[int, int] = {}
        for key, value in raw.items():
            try:
                product_id, quantity = int(key), int(value)
            except (TypeError, ValueError):
                continue
            if quantity > 0:
                out[product_id] = min(quantity, MAX_QUANTITY)
        return out

    def _save(self, quantities: dict[int, int]) -> None:
        # JSON session keys are strings; store them so from the start.
        self.session[SESSION_KEY] = {str(pk): qty for pk, qty in quantities.items() if qty > 0}

    def count(self) -> int:
        return sum(self.quantities().values())

    def add(self, product_id: int, quantity: int = 1) -> None:
        quantities = self.quantities()
        quantities[product_id] = min(quantities.get(product_id, 0) + quantity, MAX_QUANTITY)
        self._save(quantities)

    def set_quantity(self, product_id: int, quantity: int) -> None:
        """Set a line's quantity; zero removes it."""
        quantities = self.quantities()
        if quantity > 0:
            quantities[product_id] = min(quantity, MAX_QUANTITY)
        else:
            quantities.pop(product_id, None)
        self._save(quantities)

    def remove(self, product_id: int) -> None:
        self.set_quantity(product_id, 0)

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)
        self.session.pop(ORDER_KEY, None)

    def ordered(self, order: Order) -> None:
        """The cart was ordered as ``order``: kept as it is until ``order`` is paid."""
        self.session[ORDER_KEY] = {
            "token": order.public_token,
            "lines": {str(pk): qty for pk, qty in self.quantities().items()},
        }

    def settle(self) -> None:
        """Take what the order took out of the cart once it no longer waits for the buyer
        (paid, money on its way, or closed); until then a failed or aborted payment leaves
        the cart as it was. One query, and only while an order from this cart is open."""
        placed = self.session.get(ORDER_KEY)
        if not isinstance(placed, dict):
            self.session.pop(ORDER_KEY, None)
            return
        found = (
            Order.objects.filter(public_token=str(placed.get("token", "")))
            .only("pk", "status")
            .first()
        )
        if found is not None and found.is_payable:
            return
        self.session.pop(ORDER_KEY, None)
        if found is None:
            return  # no such order (any more): the cart stays as it is
        quantities = self.quantities()
        for key, ordered in (placed.get("lines") or {}).items():
            try:
                product_id, taken = int(key), int(ordered)
            except (TypeError, ValueError):
                continue
            if product_id in quantities:
                quantities[product_id] -= taken
        self._save(quantities)

    def contents(self) -> CartContents:
        """The cart grouped by supplier (by name), in one query.

        Products no longer sold (inactive, deleted, or of an inactive supplier) are dropped
        from the cart.
        """
        quantities = self.quantities()
        if not quantities:
            return CartContents(groups=())
        products = list(
            Product.objects.filter(pk__in=quantities, is_active=True, supplier__is_active=True)
            .select_related("supplier", "supplier__shipping_rate")
            .order_by("supplier__name", "supplier_id", "name", "pk")
        )
        if len(products) != len(quantities):
            self._save({p.pk: quantities[p.pk] for p in products})
        groups = tuple(
            SupplierGroup(
                supplier=supplier,
                lines=tuple(CartLine(p, quantities[p.pk]) for p in lines),
                shipping=shipping_rate(supplier),
            )
            for supplier, lines in groupby(products, key=lambda p: p.supplier)
        )
        return CartContents(groups=groups)
