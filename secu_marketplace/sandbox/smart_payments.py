"""The Payment Transactions behind a Smart Transaction, as ``/prepare`` and ``/start`` create and
capture them (``smart_ops.authorise`` and ``smart_ops.start``).

An authorisation creates a leading transaction over ``basket_info.sum`` and, for a mixed basket,
one sub-transaction per sub-basket with its supplier's contract and its stakeholder share, all
with consecutive TA numbers (docs/provider.md, "Smart Transactions"). Once captured, the method
decides where the payment waits: a prepayment for the buyer's transfer, an invoice for the
shipment, every other method is accepted.
"""

from __future__ import annotations

from secu_marketplace.sandbox import transitions
from secu_marketplace.sandbox.basket_validation import BasketType, ItemType
from secu_marketplace.sandbox.models import Contract, PaymentTransaction, SmartTransaction
from secu_marketplace.sandbox.statuses import Simple, captured_status

Kind = PaymentTransaction.Kind


def create_payments(stx: SmartTransaction, method: str, simple: int) -> PaymentTransaction:
    """The leading transaction and one per sub-basket, with consecutive TA numbers; the leading
    one is returned."""
    products = (stx.basket or {}).get("products") or []
    subs = products if (stx.basket or {}).get("type") == BasketType.MIXED else []
    first = transitions.reserve_trans_ids(1 + len(subs))
    common = {
        "stx": stx,
        "method": method,
        "currency": stx.basket_info.get("currency", "EUR"),
        "simple": simple,
        "url_push": stx.url_push,
        "is_demo": stx.is_demo,
        # "The payment will not be executed until the accrual flag ... is removed" (PHP-SDK
        # PaymentContext.php): the sandbox pays none of them out until revokeAccrual.
        "accrual": bool(stx.payment_context.get("accrual")),
    }
    leading = transitions.create_pci(
        kind=Kind.ORIGINAL,
        parent=None,
        contract=stx.contract,
        amount=int(stx.basket_info["sum"]),
        description=stx.transaction_ref,
        trans_id=first,
        **common,
    )
    for offset, product in enumerate(subs, start=1):
        fees = sum(
            item["sum"]
            for item in product["sub_basket"]
            if item["item_type"] == ItemType.STAKEHOLDER_PAYMENT
        )
        transitions.create_pci(
            kind=Kind.SUB,
            parent=leading,
            contract=Contract.objects.get(contract_id=product["contract_id"]),
            amount=int(product["sum"]),
            reference_id=product["reference_id"],
            stakeholder_amount=fees,
            description=product.get("desc", ""),
            trans_id=first + offset,
            **common,
        )
    return leading


def simple_after_capture(method: str) -> int:
    """The simple status of a Payment Transaction once it is captured (started)."""
    if method == "prepaid":
        # Waiting for the transfer: 25 "Vorkasse wartend" with simple 2, as recorded
        # (DOC:Read_a_Payment_Transaction; DEMO getSubTransactions.php), not 10.
        return Simple.AUTHORIZED
    if method == "invoice":
        # Due once the goods are shipped: 85 with simple 14 (the sandbox's reading).
        return Simple.WAITING_FOR_SHIPMENT
    return Simple.ACCEPTED


def stx_status_after_capture(stx: SmartTransaction, method: str) -> str:
    """The Smart Transaction's status once its payment is captured: a prepayment is "pending"
    until the transfer arrives; otherwise as intent and delivery type say."""
    if method == "prepaid":
        return "pending"
    return captured_status(stx.intent, stx.delivery_options.get("type", ""))
