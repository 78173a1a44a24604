"""What refund records took from a supplier's part, or from the whole order: the sums
``read.balances`` shows (``PartBalance.refunds``), one record at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secu_marketplace.rules.statuses import REFUND_IN_FLIGHT, RefundKind, RefundState

# (target id, kind, state, sub-basket id, amount, fee reduced too, lines) of a refund record.
RefundRow = tuple[int, str, str, int | None, int, bool, list]
REFUND_COLUMNS = (
    "target_id",
    "kind",
    "state",
    "sub_basket_id",
    "amount",
    "reduce_stakeholder_payment",
    "lines",
)


@dataclass
class Refunds:
    """What refund records took from a part (or from the whole order): failed ones count for
    nothing, reductions (before the buyer paid) apart from refunds done or on their way."""

    refunded: int = 0  # money returned (refunds secuconnect executed)
    refunding: int = 0  # refunds on their way (asked, not executed yet)
    reduced: int = 0  # taken off before the buyer paid (an invoice part cancelled)
    with_fee: int = 0  # of those, what reduced the marketplace fee in proportion too
    lines: dict[int, int] = field(default_factory=dict)  # quantity refunded, by LineItem id

    def add(
        self, kind: str, state: str, amount: int, with_fee: bool = False, lines: Any = ()
    ) -> None:
        if state == RefundState.FAILED:
            return
        if kind == RefundKind.REDUCTION:
            self.reduced += amount
        elif state in (*REFUND_IN_FLIGHT, RefundState.PENDING):
            self.refunding += amount
        else:
            self.refunded += amount
        self.with_fee += amount if with_fee else 0
        for line in lines or ():
            ident, quantity = line.get("line"), line.get("quantity")  # own data
            if isinstance(ident, int) and isinstance(quantity, int):
                self.lines[ident] = self.lines.get(ident, 0) + quantity

    @property
    def taken(self) -> int:
        return self.refunded + self.refunding + self.reduced
