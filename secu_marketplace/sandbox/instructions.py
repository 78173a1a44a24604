"""``payment_instructions`` of a Smart Transaction (docs/provider.md, "Smart Transactions").

Prepaid and invoice payers are told where to transfer the money: ``owner, iban, bic, bankname,
purpose`` ("TA <trans_id>") and ``girocode_url`` (PHP-SDK PaymentInstructions.php, which extends
BankAccountDescriptor.php; DOC:Read_a_Smart_Transaction). easyCredit adds the instalment plan:
``interest, total_value, number_of_installments, installment, last_installment`` (PHP-SDK
PaymentInstructions.php). No public example shows easyCredit's figures, so the plan below is the
sandbox's own formula.
"""

from __future__ import annotations

from typing import Any

# What secupay asks prepaid and invoice payers to transfer to (the guide's example account).
BANK_ACCOUNT = {
    "owner": "secupay AG",
    "iban": "DE81850400611005523759",
    "bic": "COBADEFFXXX",
    "bankname": "Commerzbank CC",
}
# The sandbox's easyCredit terms: 9.90 % a year, simple interest on the whole sum for the whole
# term; 6 instalments below 1000.00, 12 from there on.
EASYCREDIT_RATE_BASIS_POINTS = 990
EASYCREDIT_SHORT_TERM = 6
EASYCREDIT_LONG_TERM = 12
EASYCREDIT_LONG_FROM = 100_000


def easycredit_plan(total: int) -> dict[str, int]:
    """The instalment plan for ``total`` minor units, all figures integer minor units.

    interest = round(total x 9.90 % x months / 12); total_value = total + interest;
    installment = total_value // months; the last instalment takes the remainder, so the
    instalments add up to total_value exactly."""
    months = EASYCREDIT_LONG_TERM if total >= EASYCREDIT_LONG_FROM else EASYCREDIT_SHORT_TERM
    # Integer arithmetic, rounded half up: money never goes through a float.
    interest = (total * EASYCREDIT_RATE_BASIS_POINTS * months + 60_000) // 120_000
    total_value = total + interest
    installment = total_value // months
    return {
        "interest": interest,
        "total_value": total_value,
        "number_of_installments": months,
        "installment": installment,
        "last_installment": total_value - installment * (months - 1),
    }


def payment_instructions(
    method: str, trans_id: int, stx_id: str, total: int, base: str
) -> dict[str, Any] | None:
    if method == "easycredit":
        return easycredit_plan(total)
    if method not in ("prepaid", "invoice"):
        return None
    return {
        **BANK_ACCOUNT,
        "purpose": f"TA {trans_id}",
        "girocode_url": f"{base}/qr/epc?stx={stx_id}",
    }
