"""GiroCode (EPC069-12 "SEPA credit transfer" QR code) for the payment instructions.

Rendered here with segno rather than fetched from the provider's ``girocode_url``: the buyer's
page then needs no third-party request, and works the same against the sandbox.
"""

from __future__ import annotations

import io

import segno
from segno import helpers

from secu_marketplace.money import to_decimal


def epc_qr(
    *, name: str, iban: str, bic: str, amount: int, currency: str, purpose: str
) -> segno.QRCode | None:
    """The EPC QR code, or None when the transfer cannot be expressed as one (EPC is EUR only)."""
    # EPC069-12 allows EUR amounts of 0.01 to 999,999,999.99 only.
    if currency != "EUR" or not iban or not name or not 1 <= amount <= 99_999_999_999:
        return None
    return helpers.make_epc_qr(
        name=name[:70],
        iban=iban.replace(" ", ""),
        amount=to_decimal(amount, currency),
        text=purpose[:140] or None,
        bic=bic or None,
    )


def epc_svg(*, name: str, iban: str, bic: str, amount: int, currency: str, purpose: str) -> str:
    qr = epc_qr(name=name, iban=iban, bic=bic, amount=amount, currency=currency, purpose=purpose)
    if qr is None:
        return ""
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="GiroCode")
    return out.getvalue().decode()
