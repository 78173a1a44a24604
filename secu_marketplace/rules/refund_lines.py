"""A refund by lines: which of a supplier's lines (and quantities) and whether its shipping,
turned into the amount secuconnect is asked to cancel and the lines the refund record keeps.

The same rule for the admin's confirmation page and the refund service: an article line's
quantity may be refunded up to what was ordered less what earlier refunds (not failed) took of
it, at its unit price; "shipping" refunds the part's shipping lines not refunded yet. Coupons are
not spread over the lines: the amount is what the lines cost, and the refund service still
refuses more than is left of the part (a part bought with a coupon has less left than its lines
add up to; staff then refund an amount instead).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secu_marketplace.exceptions import ProcessingError

if TYPE_CHECKING:
    from secu_marketplace.models import LineItem

ARTICLE = "article"
SHIPPING = "shipping"


@dataclass(frozen=True)
class Chosen:
    amount: int
    lines: list[dict[str, Any]]  # Refund.lines

    @property
    def words(self) -> str:
        """ "2 × Kaffeepads, shipping": what was chosen, for messages and the timeline."""
        return ", ".join(f"{line['quantity']} × {line['description']}" for line in self.lines)


def left_of(item: LineItem, refunded: Mapping[int, int]) -> int:
    """How many of ``item`` are not refunded yet."""
    return max(int(item.quantity) - refunded.get(item.pk, 0), 0)


def _line(item: LineItem, quantity: int) -> dict[str, Any]:
    return {
        "line": item.pk,
        "kind": item.kind,
        "description": str(item.description)[:255],
        "quantity": quantity,
        "amount": quantity * int(item.unit_price),
    }


def choose(
    items: Iterable[LineItem],
    quantities: Mapping[int, int],
    *,
    shipping: bool,
    refunded: Mapping[int, int],
) -> Chosen:
    """The refund of ``quantities`` (by LineItem id) and, with ``shipping``, the shipping
    still unrefunded, of one part whose lines are ``items`` and whose earlier refunds took
    ``refunded`` (by LineItem id). ``ProcessingError`` names what cannot be refunded."""
    items = list(items)
    by_id = {item.pk: item for item in items}
    lines = []
    for ident, quantity in sorted(quantities.items()):
        if not quantity:
            continue
        item = by_id.get(ident)
        if item is None or item.kind != ARTICLE:
            raise ProcessingError(f"line {ident} is no article of this part")
        left = left_of(item, refunded)
        if quantity < 0 or quantity > left:
            raise ProcessingError(
                f"{item.description}: {quantity} is more than the {left} not refunded yet"
            )
        lines.append(_line(item, quantity))
    if shipping:
        open_shipping = [
            _line(item, left_of(item, refunded))
            for item in items
            if item.kind == SHIPPING and left_of(item, refunded)
        ]
        if not open_shipping:
            raise ProcessingError("this part's shipping was refunded already (or it had none)")
        lines += open_shipping
    if not lines:
        raise ProcessingError("choose at least one line, the shipping, or an amount")
    return Chosen(amount=sum(line["amount"] for line in lines), lines=lines)
