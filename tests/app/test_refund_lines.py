"""A refund by lines (``rules.refund_lines``): quantities up to what earlier refunds left,
shipping once, prices from the lines; whatever cannot be refunded is named."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.rules.refund_lines import choose


@dataclass
class Line:
    pk: int
    kind: str
    description: str
    quantity: int
    unit_price: int


LINES = [
    Line(1, "article", "Kaffeepads", 2, 1995),
    Line(2, "article", "Tee", 1, 500),
    Line(3, "shipping", "Standardversand", 1, 450),
    Line(4, "coupon", "Gutschein", 1, 300),
]


def test_lines_and_shipping_are_priced_and_kept_for_the_record() -> None:
    chosen = choose(LINES, {1: 1}, shipping=True, refunded={})  # type: ignore[arg-type]
    assert chosen.amount == 1995 + 450
    assert [(line["line"], line["quantity"]) for line in chosen.lines] == [(1, 1), (3, 1)]
    assert chosen.words == "1 × Kaffeepads, 1 × Standardversand"


@pytest.mark.parametrize(
    ("quantities", "shipping", "refunded", "message"),
    [
        ({1: 3}, False, {}, "3 is more than the 2 not refunded yet"),
        ({1: 2}, False, {1: 1}, "2 is more than the 1 not refunded yet"),
        ({4: 1}, False, {}, "no article"),  # a coupon is never refunded as a line
        ({99: 1}, False, {}, "no article"),
        ({}, True, {3: 1}, "shipping was refunded already"),
        ({1: 0}, False, {}, "choose at least one line"),
    ],
)
def test_what_cannot_be_refunded_is_named(
    quantities: dict[int, int], shipping: bool, refunded: dict[int, int], message: str
) -> None:
    with pytest.raises(ProcessingError, match=message):
        choose(LINES, quantities, shipping=shipping, refunded=refunded)  # type: ignore[arg-type]
