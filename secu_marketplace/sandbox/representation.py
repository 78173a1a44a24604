"""How the sandbox's rows look on the wire, shaped like the provider guide's responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from .models import Contract, Merchant, PaymentTransaction, SmartTransaction
from .statuses import PAYMENT_METHODS, PRODUCT_NAMES, SIMPLE_TEXT, internal_status

# secuconnect answers in German local time with the offset spelled out.
BERLIN = ZoneInfo("Europe/Berlin")

# ``ref_type_id`` of a related transaction: refunds are documented as 19; sub-transactions of a
# mixed basket are the sandbox's own choice.
REF_TYPE_REFUND = (19, "Erstattung")
REF_TYPE_SUB = (21, "Teiltransaktion")


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
    transactions = [
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
            # The leading transaction first, then the sub-transactions in basket order.
            key=lambda p: (p.kind != PaymentTransaction.Kind.ORIGINAL, p.pk),
        )
    ]
    allowed = stx.payment_context.get("payment_methods") or list(PAYMENT_METHODS)
    leading = next((t for t in transactions if "reference_id" not in t), None)
    data: dict[str, Any] = {
        "object": "smart.transactions",
        "id": stx.stx_id,
        "merchant": merchant_ref(stx.merchant),
        "provider_contract": contract_ref(stx.provider_contract),
        "contract": contract_ref(stx.contract),
        "customer": (
            {
                "object": "payment.customers",
                "id": stx.customer.customer_id,
                "contact": stx.customer.contact,
            }
            if stx.customer
            else None
        ),
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
        "checkout_links": {"url_checkout": checkout_url(base, stx)},
        "payment_links": {
            "general": checkout_url(base, stx),
            **{method: checkout_url(base, stx, method) for method in allowed},
        },
    }
    if stx.payment_method:
        data["payment_method"] = stx.payment_method
    if leading is not None:
        data["trans_id"] = leading["trans_id"]
    if stx.payment_instructions:
        data["payment_instructions"] = stx.payment_instructions
    return data


def _related(pt: PaymentTransaction, other: PaymentTransaction, hierarchy: str) -> dict[str, Any]:
    refund = PaymentTransaction.Kind.REFUND in (pt.kind, other.kind)
    ref_type_id, ref_type_raw = REF_TYPE_REFUND if refund else REF_TYPE_SUB
    return {
        "object": "payment.transactions",
        "id": other.pci_id,
        "trans_id": other.trans_id,
        "ref_type_id": ref_type_id,
        "ref_type_raw": ref_type_raw,
        "hierarchy": hierarchy,
    }


def payment_transaction(pt: PaymentTransaction) -> dict[str, Any]:
    method = "refund" if pt.kind == PaymentTransaction.Kind.REFUND else pt.payment_method
    status, status_text = internal_status(pt.status_simple, pt.payment_method)
    simple_text = SIMPLE_TEXT.get(pt.status_simple, "unknown")
    product = PRODUCT_NAMES.get(method, method) + (" (Demo)" if pt.is_demo else "")
    parents = [_related(pt, pt.parent, "parent")] if pt.parent else []
    children = [_related(pt, child, "child") for child in pt.children.all()]
    stx = pt.smart_transaction
    contact = (stx.customer.contact if stx.customer else {}) or {}
    return {
        "object": "payment.transactions",
        "id": pt.pci_id,
        "created": iso(pt.created),
        "updated": iso(pt.updated),
        "merchant": merchant_ref(pt.merchant),
        "contract": contract_ref(pt.contract),
        "trans_id": pt.trans_id,
        "parents": parents,
        "related_transactions": parents + children,
        "product": product,
        "product_raw": product,
        "amount": pt.amount,
        "currency": pt.currency,
        "description": pt.description,
        "description_raw": pt.description,
        "status": status,
        "status_text": status_text,
        "details": {
            "amount": pt.amount,
            "cleared": "cleared" if pt.executed else "open",
            "status": status,
            "status_text": status_text,
            "status_simple": pt.status_simple,
            "status_simple_text": simple_text,
            "description": pt.description,
            "description_raw": pt.description,
        },
        "customer": {
            key: contact.get(key)
            for key in ("companyname", "salutation", "title", "forename", "surname")
        },
        "transaction_hash": pt.transaction_hash,
        "reference_id": pt.reference_id or None,
        "stakeholder_amount": pt.stakeholder_amount,
        "invoice_number": pt.invoice_number or None,
        "order_id": pt.order_id or None,
        "shipping_information": pt.shipping_information,
        "accrual": False,
        "is_demo": pt.is_demo,
    }


def check_status(pt: PaymentTransaction, remaining: int) -> dict[str, Any]:
    status, status_text = internal_status(pt.status_simple, pt.payment_method)
    return {
        "status": status,
        "status_text": status_text,
        "status_simple": pt.status_simple,
        "status_simple_text": SIMPLE_TEXT.get(pt.status_simple, "unknown"),
        "amount": remaining,
        "currency": pt.currency,
    }
