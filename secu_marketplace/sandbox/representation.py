"""How the sandbox's rows look on the wire (docs/provider.md, "Smart Transactions" and "Payment
Transactions").

The Smart Transaction is shaped like the recorded answers (DEMO Step2/Step3 outputs); links per
intent as recorded (DEMO api_integration_of_smart_checkout/Step2.php: intent order answers only
``checkout_links``; payment_with_smart_checkout/Step2.php: intent sale only ``payment_links``).
The Payment Transaction carries the fields of PHP-SDK PaymentTransactionsProductModel.php and
nothing the sandbox invented; ``merchant`` is a GeneralMerchantsProductModel with ``type`` and
``user`` (DEMO getSubTransactions.php). The sandbox's own choices there:

- ``details.cleared`` is "open" in every case public answers show: a prepayment waiting, a
  captured invoice, refunds, and a just-accepted debit (status 6, simple 1; DOC "Receive Push
  Notifications", integration Step 4). The sandbox says "open" for every accepted card, PayPal,
  Sofort ... payment as well. Only once a prepayment's transfer or an invoice's payment has
  arrived does it say "cleared": no public example shows that value, it is the sandbox's guess
  (the app never reads it).
- ``product_id`` per method (``statuses.PRODUCT_IDS``: prepaid 36, invoice 267, PayPal 440 are
  documented),
  ``contract_id`` = 340000 + the contract's row id, ``merchant.type`` 11 (recorded) for all.
- ``ref_type_id`` 21 "Teiltransaktion" between a leading transaction and its sub-transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from secu_marketplace.sandbox.models import (
    Contract,
    Customer,
    Merchant,
    PaymentTransaction,
    SmartTransaction,
)
from secu_marketplace.sandbox.statuses import (
    CONTAINER_TYPES,
    PAY_LATER,
    PAYMENT_METHODS,
    PRODUCT_IDS,
    PRODUCT_NAMES,
    SIMPLE_TEXT,
    Intent,
    internal_status,
    refund_product,
)

# secuconnect answers in German local time with the offset spelled out.
BERLIN = ZoneInfo("Europe/Berlin")

# ``ref_type_id`` of a related transaction: refunds are documented as 19; sub-transactions of a
# mixed basket are the sandbox's own choice.
REF_TYPE_REFUND = (19, "Erstattung")
REF_TYPE_SUB = (21, "Teiltransaktion")
MERCHANT_TYPE = 11  # as recorded (DEMO getSubTransactions.php)
CONTRACT_NUMBER_BASE = 340_000  # the recorded contract_id is 340439; the sandbox's own numbering
Kind = PaymentTransaction.Kind


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment, BERLIN).isoformat(timespec="seconds")


def merchant_ref(merchant: Merchant) -> dict[str, Any]:
    return {
        "object": "general.merchants",
        "id": merchant.merchant_id,
        "companyname": merchant.companyname,
    }


def contract_ref(contract: Contract | None) -> dict[str, Any] | None:
    if contract is None:
        return None
    return {"object": "general.contracts", "id": contract.contract_id}


def checkout_url(base: str, stx: SmartTransaction, method: str | None = None) -> str:
    url = base + reverse("secu_sandbox:checkout", args=[stx.stx_id])
    return f"{url}?method={method}" if method else url


def smart_transaction(stx: SmartTransaction, base: str) -> dict[str, Any]:
    """The ``smart.transactions`` object; ``base`` is scheme and host the checkout links use."""
    transactions = _listed_transactions(stx)
    data: dict[str, Any] = {
        "object": "smart.transactions",
        "id": stx.stx_id,
        "merchant": merchant_ref(stx.merchant),
        "provider_contract": contract_ref(stx.provider_contract),
        "contract": contract_ref(stx.contract),
        "customer": _customer_ref(stx.customer),
        "transactions": transactions,
        "created": iso(stx.created),
        "updated": iso(stx.updated),
        "status": stx.status,
        "intent": stx.intent,
        "basket": stx.basket,
        "basket_info": stx.basket_info,
        "merchantRef": stx.merchant_ref or None,
        "transactionRef": stx.transaction_ref or None,
        "is_demo": stx.is_demo,
        "delivery_options": stx.delivery_options,
        "application_context": stx.application_context,
        "payment_context": stx.payment_context,
        **_links(stx, base),
    }
    leading = next((t for t in transactions if "reference_id" not in t), None)
    if stx.container_id and stx.payment_method in CONTAINER_TYPES:
        # As recorded (DEMO-M Step3): type, object, id; no account or card details.
        data["container"] = {
            "type": CONTAINER_TYPES[stx.payment_method],
            "object": "payment.containers",
            "id": stx.container_id,
        }
    if stx.payment_method:
        data["payment_method"] = stx.payment_method
    if leading is not None:
        data["trans_id"] = leading["trans_id"]
    if stx.payment_instructions:
        data["payment_instructions"] = stx.payment_instructions
    return data


def _listed_transactions(stx: SmartTransaction) -> list[dict[str, Any]]:
    """The Payment Transactions a Smart Transaction lists: not its refunds, not those an earlier,
    failed authorisation left (unlinked); the leading one first, then the sub-transactions in
    basket order."""
    return [
        {
            "object": "payment.transactions",
            "id": pt.pci_id,
            "trans_id": pt.trans_id,
            "transaction_hash": pt.transaction_hash,
            **({"reference_id": pt.reference_id} if pt.reference_id else {}),
        }
        for pt in sorted(
            (
                p
                for p in stx.payment_transactions.all()
                if p.kind != PaymentTransaction.Kind.REFUND and not p.unlinked
            ),
            key=lambda p: (p.kind != PaymentTransaction.Kind.ORIGINAL, p.pk),
        )
    ]


def _customer_ref(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"object": "payment.customers", "id": customer.customer_id, "contact": customer.contact}


def _links(stx: SmartTransaction, base: str) -> dict[str, Any]:
    """The hosted page's links as recorded per intent: an order answers only ``checkout_links``,
    a sale only ``payment_links``, one per method the request allows."""
    general = checkout_url(base, stx)  # reversed once, not once per method
    if stx.intent == Intent.ORDER:
        return {"checkout_links": {"url_checkout": general}}
    allowed = stx.payment_context.get("payment_methods") or list(PAYMENT_METHODS)
    return {
        "payment_links": {
            "general": general,
            **{method: f"{general}?method={method}" for method in allowed},
        }
    }


def _related(pt: PaymentTransaction, other: PaymentTransaction, hierarchy: str) -> dict[str, Any]:
    refund = Kind.REFUND in (pt.kind, other.kind)
    ref_type_id, ref_type_raw = REF_TYPE_REFUND if refund else REF_TYPE_SUB
    return {
        "object": "payment.transactions",
        "id": other.pci_id,
        "trans_id": other.trans_id,
        "ref_type_id": ref_type_id,
        "ref_type_raw": ref_type_raw,
        "hierarchy": hierarchy,
    }


def payment_merchant(merchant: Merchant) -> dict[str, Any]:
    return {
        "object": "general.merchants",
        "id": merchant.merchant_id,
        "type": MERCHANT_TYPE,
        "user": {"name": merchant.companyname, "companyname": merchant.companyname},
    }


def _basket_item(item: dict[str, Any]) -> dict[str, Any]:
    """A basket item in the Payment Transaction's snake_case shape (PHP-SDK
    PaymentTransactionsProductModelBasket / ...SubBasket)."""
    quantity = item.get("quantity")
    price = item.get("priceOne")
    total = item.get("sum")
    if total is None and price is not None:
        total = price * (quantity or 1) * (-1 if item.get("item_type") == "coupon" else 1)
    out = {
        "tax": item.get("tax"),
        "quantity": quantity,
        "price": price,
        "reference_id": item.get("reference_id"),
        "ean": item.get("ean"),
        "article_number": item.get("articleNumber"),
        "item_type": item.get("item_type"),
        "name": item.get("desc"),
        "total": total,
    }
    if item.get("sub_basket"):
        out["sub_basket"] = [_basket_item(sub) for sub in item["sub_basket"]]
    return {key: value for key, value in out.items() if value is not None}


def _basket(pt: PaymentTransaction) -> list[dict[str, Any]]:
    """A sub-transaction's sub-basket items; a leading transaction's products; refunds none."""
    products = (pt.smart_transaction.basket or {}).get("products") or []
    if pt.kind == Kind.SUB:
        part = next((p for p in products if p.get("reference_id") == pt.reference_id), None)
        return [_basket_item(item) for item in (part or {}).get("sub_basket", [])]
    if pt.kind == Kind.ORIGINAL:
        return [_basket_item(item) for item in products]
    return []


def _description(pt: PaymentTransaction) -> str:
    if pt.kind == Kind.REFUND and pt.parent is not None:
        # As DOC:Read_a_Payment_Transaction shows a refund.
        return f"TA-Code {pt.parent.trans_id} | Refund TA-Code {pt.trans_id}"
    return pt.description


def payment_transaction(pt: PaymentTransaction) -> dict[str, Any]:
    refund = pt.kind == Kind.REFUND
    status, status_text = internal_status(
        pt.status_simple, "refund" if refund else pt.payment_method
    )
    product = _product(pt, refund=refund)
    parents = [_related(pt, pt.parent, "parent")] if pt.parent else []
    children = [_related(pt, child, "child") for child in pt.children.all()]
    description = _description(pt)
    return {
        "object": "payment.transactions",
        "id": pt.pci_id,
        "created": iso(pt.created),
        "updated": iso(pt.updated),
        "platform": None,
        "merchant": payment_merchant(pt.merchant),
        "contract": contract_ref(pt.contract),
        "trans_id": pt.trans_id,
        "parents": parents,
        "related_transactions": parents + children,
        "product_id": PRODUCT_IDS["refund" if refund else pt.payment_method],
        "product": product,
        "product_raw": product,
        "zahlungsmittel_id": None,
        "contract_id": CONTRACT_NUMBER_BASE + pt.contract.pk,
        "amount": pt.amount,
        "currency": pt.currency,
        "completion_date": iso(pt.completion_date),
        "description": description,
        "description_raw": description,
        "status": status,
        "status_text": status_text,
        "incoming_payment_date": iso(pt.paid_at) if not refund else None,
        "details": {
            "amount": pt.amount,
            "cleared": _cleared(pt, refund=refund),
            "status": status,
            "status_text": status_text,
            "status_simple": pt.status_simple,
            "status_simple_text": SIMPLE_TEXT.get(pt.status_simple, "unknown"),
            "description": description,
            "description_raw": description,
        },
        "customer": _customer_names(pt.smart_transaction),
        "payment_data": None,
        "payout_date": None,
        "invoice_number": pt.invoice_number or None,
        "transaction_hash": pt.transaction_hash,
        "reference_id": pt.reference_id or None,
        "accrual": pt.accrual,
        "order_id": pt.order_id or None,
        "transmitted_to_bank": False,
        "documents": [],
        "basket": _basket(pt),
    }


def _product(pt: PaymentTransaction, *, refund: bool) -> str:
    """The product's German name; a payment in demo mode says so."""
    if refund:
        return refund_product(pt.payment_method)
    product = PRODUCT_NAMES.get(pt.payment_method, pt.payment_method)
    return product + (" (Demo)" if pt.is_demo else "")


def _cleared(pt: PaymentTransaction, *, refund: bool) -> str:
    """``details.cleared``: "open" as recorded (refunds, a just-accepted debit, waiting
    prepayments, captured invoices); "cleared" once a transfer or an invoice payment arrived is
    the sandbox's guess."""
    arrived = pt.payer_paid and pt.payment_method in PAY_LATER
    return "cleared" if arrived and not refund else "open"


def _customer_names(stx: SmartTransaction) -> dict[str, Any]:
    """The buyer's names from the Smart Transaction's customer (each None when not known)."""
    contact = (stx.customer.contact if stx.customer else {}) or {}
    return {
        key: contact.get(key)
        for key in ("companyname", "salutation", "title", "forename", "surname")
    }


def check_status(pt: PaymentTransaction, remaining: int) -> dict[str, Any]:
    """``amount`` is what is left: net of open and completed refunds, 0 when fully cancelled
    (DOC:Check_Status_and_Amount_of_a_Payment)."""
    method = "refund" if pt.kind == Kind.REFUND else pt.payment_method
    status, status_text = internal_status(pt.status_simple, method)
    return {
        "status": status,
        "status_text": status_text,
        "status_simple": pt.status_simple,
        "status_simple_text": SIMPLE_TEXT.get(pt.status_simple, "unknown"),
        "amount": remaining,
        "currency": pt.currency,
    }
