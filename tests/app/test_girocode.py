from __future__ import annotations

import pytest

from secu_marketplace.girocode import epc_qr, epc_svg

ACCOUNT = {
    "name": "secupay AG",
    "iban": "DE81850400611005523759",
    "bic": "COBADEFFXXX",
    "purpose": "TA 1",
}


def test_a_girocode_carries_the_transfer() -> None:
    qr = epc_qr(amount=7785, currency="EUR", **ACCOUNT)
    assert qr is not None
    svg = epc_svg(amount=7785, currency="EUR", **ACCOUNT)
    assert svg.startswith("<svg")
    assert "GiroCode" in svg


@pytest.mark.parametrize(
    ("amount", "currency"), [(0, "EUR"), (-5, "EUR"), (10**11, "EUR"), (100, "CHF")]
)
def test_no_girocode_where_the_standard_has_none(amount: int, currency: str) -> None:
    assert epc_qr(amount=amount, currency=currency, **ACCOUNT) is None
    assert epc_svg(amount=amount, currency=currency, **ACCOUNT) == ""
