"""The order as the API answers it, assembled from the app's public read API: the state and the
bank details from ``presentation.payment_page`` (through the status page's own
``services.sync.buyer_page``), every amount from ``read.order_balance``. Nothing is computed
here."""

from __future__ import annotations

from typing import Any

from secu_marketplace.read import order_balance
from secu_marketplace.read.balances import OrderBalance, PartBalance
from secu_marketplace.read.presentation import PaymentPage


def transfer(page: PaymentPage) -> dict[str, Any] | None:
    """The bank details the page shows, only while a transfer is due (never on a settled,
    failed or cancelled order, where they would invite a payment nobody expects)."""
    if not page.instructions:
        return None
    given = page.instructions
    return {
        "owner": str(given.get("owner") or ""),
        "iban": str(given.get("iban") or ""),
        "bic": str(given.get("bic") or ""),
        "bank_name": str(given.get("bankname") or ""),
        "purpose": str(given.get("purpose") or ""),
        "amount": page.amount_due,
    }


def part(balance: PartBalance) -> dict[str, Any]:
    return {
        "reference_id": balance.sub_basket.reference_id,
        "supplier": str(balance.supplier.name),
        "sum": balance.sum,
        "paid": balance.paid,
        "owed": balance.owed,
        "refunded": balance.refunded,
        "refunding": balance.refunding,
        "reduced": balance.reduced,
        "left": balance.left,
        "shipped": balance.shipped,
        "shipped_at": balance.shipped_at,
        "carrier": balance.carrier,
        "tracking_id": balance.tracking_id,
        "items": [
            {
                "kind": item.kind,
                "description": item.description,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "total": item.total,
            }
            for item in balance.items
        ],
    }


def order_state(page: PaymentPage, page_url: str) -> dict[str, Any]:
    order = page.order
    balance: OrderBalance = order_balance(order)
    return {
        "reference": order.reference,
        "status": order.status,
        "state": page.state,
        "payable": order.is_payable,
        "currency": balance.currency,
        "total": balance.total,
        "payment_method": order.payment_method,
        "paid": balance.paid,
        "owed": balance.owed,
        "pending": balance.pending,
        "refunded": balance.refunded,
        "refunding": balance.refunding,
        "reduced": balance.reduced,
        "left": balance.left,
        "shipped": balance.shipped,
        "transfer": transfer(page),
        "parts": [part(p) for p in balance.parts],
        "page_url": page_url,
    }
