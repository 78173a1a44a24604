"""Order → Smart Transaction payload, exactly as secuconnect wants it (docs/provider.md,
"Smart Transactions").

A marketplace order is a *mixed* basket: every top-level product is a ``sub_transaction`` with
its supplier's ``contract_id``, its own ``sub_basket`` of articles, shipping and coupons, and the
marketplace fee as a ``stakeholder_payment`` to the marketplace's contract. camelCase where the
wire wants it (``priceOne``, ``articleNumber``, ``merchantRef``, ``transactionRef``).

The sum rules are checked before any call (``check_sums``): a sub-basket's ``sum`` is its
articles and shipping minus coupons; the fee is *not* added, is taken out of the supplier's
share and may not exceed it; ``basket_info.sum`` is the sum of the sub-basket sums.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import override, pgettext

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import BasketError
from secu_marketplace.models import CheckoutAttempt, LineItem, Order, SubBasket

# Shipping lines get ids from 1000 up, as in the provider's examples.
SHIPPING_ID_BASE = 1000


def _lines(sub: SubBasket) -> list[LineItem]:
    # Uses the prefetch cache when the caller prefetched ``sub_baskets__items``.
    return list(sub.items.all())


def check_sums(order: Order, subs: list[SubBasket] | None = None) -> None:
    """Raise ``BasketError`` naming the sub-basket and the amounts if any rule is broken."""
    subs = subs if subs is not None else list(order.sub_baskets.prefetch_related("items"))
    if not subs:
        raise BasketError(f"order {order.reference} has no sub-baskets")
    total = 0
    for sub in subs:
        computed = sum(line.total for line in _lines(sub))
        if computed != sub.sum:
            raise BasketError(
                f"sub-basket {sub.reference_id}: stored sum {sub.sum} does not match its articles "
                f"and shipping minus coupons, {computed}",
                reference_id=sub.reference_id,
                sum=sub.sum,
                computed=computed,
            )
        if sub.fee > sub.sum:
            raise BasketError(
                f"sub-basket {sub.reference_id}: marketplace fee {sub.fee} "
                f"exceeds its sum {sub.sum}",
                reference_id=sub.reference_id,
                fee=sub.fee,
                sum=sub.sum,
            )
        total += sub.sum
    if total != order.total:
        raise BasketError(
            f"order {order.reference}: total {order.total} is not the sum "
            f"of its sub-baskets, {total}",
            total=order.total,
            computed=total,
        )


def _item(line: LineItem, index: int) -> dict[str, Any]:
    if line.kind == LineItem.Kind.SHIPPING:
        data: dict[str, Any] = {"id": SHIPPING_ID_BASE + index, "item_type": "shipping"}
    else:
        data = {"id": index + 1, "item_type": line.kind}
        if line.article_number:
            data["articleNumber"] = line.article_number
        if line.ean:
            data["ean"] = line.ean
    data.update(
        {
            "desc": line.description,
            "quantity": line.quantity,
            "priceOne": line.unit_price,
            "tax": line.tax_rate,
        }
    )
    return data


def sub_transaction(sub: SubBasket, fee_label: str) -> dict[str, Any]:
    items = [_item(line, index) for index, line in enumerate(_lines(sub))]
    if sub.fee:
        items.append(
            {
                "item_type": "stakeholder_payment",
                "desc": fee_label,
                "sum": sub.fee,
                "reference_id": f"{sub.reference_id}.fee",
                "contract_id": app_settings.CONTRACT_ID,
            }
        )
    return {
        "item_type": "sub_transaction",
        "desc": sub.description,
        "sum": sub.sum,
        "reference_id": sub.reference_id,
        "contract_id": sub.contract_id,
        "sub_basket": items,
    }


def customer(order: Order) -> dict[str, Any]:
    address = {
        "street": order.street,
        "street_number": order.street_number,
        "additional_address_data": order.additional_address,
        "postal_code": order.postal_code,
        "city": order.city,
        "country": order.country,
    }
    contact: dict[str, Any] = {
        "forename": order.forename,
        "surname": order.surname,
        "companyname": order.company,
        "email": order.email,
        "phone": order.phone,
        "address": {k: v for k, v in address.items() if v},
    }
    if order.date_of_birth:
        contact["dob"] = order.date_of_birth.isoformat()
    return {"contact": {k: v for k, v in contact.items() if v}}


def transaction_ref(order: Order) -> str:
    """The line on the buyer's bank statement; a shop can name itself via ``TRANSACTION_REF``."""
    hook = app_settings.TRANSACTION_REF
    if hook:
        return (
            str(import_string(hook)(order))[:255]
            if isinstance(hook, str)
            else str(hook(order))[:255]
        )
    return order.reference


def language_for(order: Order, requested: str | None = None) -> str:
    forced = app_settings.LANGUAGE
    chosen = (forced or requested or order.language or "de")[:2].lower()
    return chosen if chosen in ("de", "en") else "en"


def basket_part(order: Order, subs: list[SubBasket], language: str) -> dict[str, Any]:
    with override(language):
        fee_label = pgettext("secuconnect basket", "Marketplace fee")
    return {
        "basket": {"products": [sub_transaction(sub, fee_label) for sub in subs]},
        "basket_info": {"sum": order.total, "currency": order.currency},
    }


def fingerprint(order: Order, subs: list[SubBasket] | None = None) -> str:
    """A hash of what the buyer pays for: when it changes, a created Smart Transaction is stale."""
    subs = subs if subs is not None else list(order.sub_baskets.prefetch_related("items"))
    data = {**basket_part(order, subs, "de"), "customer": customer(order)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def smart_transaction_payload(
    order: Order,
    attempt: CheckoutAttempt,
    *,
    urls: dict[str, str],
    language: str,
    subs: list[SubBasket] | None = None,
    methods: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The ``POST /Smart/Transactions`` body for one attempt; deterministic for the same input.

    ``methods``: what every supplier's contract accepts (``services/supplier_contracts``), sent
    as ``payment_context.payment_methods``; a preselected method narrows it to that one."""
    subs = (
        subs
        if subs is not None
        else list(order.sub_baskets.select_related("supplier").prefetch_related("items"))
    )
    check_sums(order, subs)
    payload: dict[str, Any] = {
        "is_demo": attempt.is_demo,
        "contract": {"id": attempt.contract_id},
        "customer": customer(order),
        "intent": app_settings.INTENT,
        **basket_part(order, subs, language),
        "merchantRef": order.reference,
        "transactionRef": transaction_ref(order),
        "application_context": {
            "checkout_template": app_settings.CHECKOUT_TEMPLATE,
            "language": language,
            "return_urls": urls,
        },
        "payment_context": {"auto_capture": bool(app_settings.AUTO_CAPTURE)},
    }
    if any(sub.supplier.holds_payouts(bool(app_settings.HOLD_UNTIL_SHIPPED)) for sub in subs):
        # secuconnect holds the payouts until the app revokes the accrual of each part
        # (services/holds.py; docs/books.md, "Money held until delivery").
        payload["payment_context"]["accrual"] = True
    if app_settings.PROVIDER_CONTRACT_ID:
        payload["provider_contract"] = {"id": app_settings.PROVIDER_CONTRACT_ID}
    if app_settings.INTENT == "order":
        payload["delivery_options"] = {"type": app_settings.DELIVERY_TYPE}
    if attempt.preselected_method:
        # Intent "order" answers only the general checkout link (docs/provider.md, "Links"):
        # limiting the methods is how the buyer lands on the one they chose in the shop.
        payload["payment_context"]["payment_methods"] = [attempt.preselected_method]
    elif methods is not None:
        payload["payment_context"]["payment_methods"] = list(methods)
    elif app_settings.PAYMENT_METHODS:
        payload["payment_context"]["payment_methods"] = list(app_settings.PAYMENT_METHODS)
    return payload
