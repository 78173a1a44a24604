"""A Smart Transaction's basket, validated and echoed as secuconnect does it.

Two shapes (docs/provider.md, "Smart Transactions"): a *regular* basket of articles, coupons and
shipping, and a *mixed* basket of ``sub_transaction`` products, one per supplier, each with its
own contract and sub-basket. The sum rules are those of DOC:Outline_with_Sub-Baskets,
DOC:Stakeholder_Share and PHP-SDK SmartTransactionsBasketInfo.php: a sub-basket's ``sum`` is its
articles and shipping minus its coupons, its stakeholder payments are *not* part of that sum and
may not exceed it. Errors name a sub-basket by its path and its ``reference_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from secu_marketplace.sandbox import named_contracts
from secu_marketplace.sandbox.errors import BadRequest
from secu_marketplace.sandbox.models import Contract
from secu_marketplace.sandbox.request_fields import integer, obj, text


class ItemType(StrEnum):
    """A basket item's ``item_type`` (an item without one is an article)."""

    ARTICLE = "article"
    COUPON = "coupon"
    SHIPPING = "shipping"
    # Only in a sub-basket: the marketplace's share, paid to another contract.
    STAKEHOLDER_PAYMENT = "stakeholder_payment"
    # Only in a mixed basket: one supplier's part, with its sub-basket.
    SUB_TRANSACTION = "sub_transaction"


class BasketType(StrEnum):
    """The echoed basket's ``type``."""

    DEFAULT = "default"
    MIXED = "mixed"


ARTICLE_TYPES = frozenset({ItemType.ARTICLE, ItemType.COUPON, ItemType.SHIPPING})
SUB_BASKET_TYPES = ARTICLE_TYPES | {ItemType.STAKEHOLDER_PAYMENT}


def normalise_basket(
    basket: Any, basket_info_sum: int | None, known: Mapping[str, Contract] | None = None
) -> tuple[dict[str, Any] | None, int, dict[str, Contract]]:
    """Validate a basket; returns the echo, its total and the supplier contracts it names."""
    data = obj(basket, "basket")
    if not data:
        return None, basket_info_sum or 0, {}
    products = data.get("products")
    if not isinstance(products, list) or not products:
        raise BadRequest("basket.products: must be a non-empty list")
    if not any(
        isinstance(p, dict) and p.get("item_type") == ItemType.SUB_TRANSACTION for p in products
    ):
        items, total = _regular_basket(products)
        return {"products": items, "type": BasketType.DEFAULT.value}, total, {}
    out: list[dict[str, Any]] = []
    contracts: dict[str, Contract] = {}
    total = 0
    for i, product in enumerate(products):
        sub, contract = _sub_transaction(product, f"basket.products[{i}]", contracts, known or {})
        contracts[sub["reference_id"]] = contract
        total += sub["sum"]
        out.append(sub)
    return {"products": out, "type": BasketType.MIXED.value}, total, contracts


def _regular_basket(products: list[Any]) -> tuple[list[dict[str, Any]], int]:
    """A regular basket's items and their total (coupons may not exceed the rest)."""
    items = [_item(p, f"basket.products[{i}]", ARTICLE_TYPES) for i, p in enumerate(products)]
    total = _items_total(items)
    if total < 0:
        raise BadRequest(f"basket.products: coupons exceed the articles ({total})")
    return items, total


def _sub_transaction(
    product: Any, path: str, earlier: Mapping[str, Contract], known: Mapping[str, Contract]
) -> tuple[dict[str, Any], Contract]:
    """One supplier's part of a mixed basket, echoed, with its contract; ``earlier`` holds the
    contracts of the parts before it by ``reference_id``, which must not repeat."""
    sub = obj(product, path)
    if sub.get("item_type") != ItemType.SUB_TRANSACTION:
        raise BadRequest(
            f"{path}.item_type: a mixed basket holds only sub_transaction items, "
            f"got {sub.get('item_type') or 'article'!r}"
        )
    ref = text(sub.get("reference_id"), f"{path}.reference_id", required=True)
    if ref in earlier:
        raise BadRequest(f"{path}.reference_id: {ref!r} is used twice")
    label = f'{path} (reference_id "{ref}")'
    contract_id = text(sub.get("contract_id"), f"{label}.contract_id", required=True)
    contract = _known_contract(contract_id, f"{label}.contract_id", known)
    declared = integer(sub.get("sum"), f"{label}.sum", minimum=0)
    raw_items = sub.get("sub_basket")
    if not isinstance(raw_items, list) or not raw_items:
        raise BadRequest(f"{label}.sub_basket: must be a non-empty list")
    items = [
        _item(item, f"{label}.sub_basket[{j}]", SUB_BASKET_TYPES)
        for j, item in enumerate(raw_items)
    ]
    computed = _items_total(items)
    if computed != declared:
        raise BadRequest(
            f"{label}.sum: sub-basket {ref} declares sum {declared} but its articles and "
            f"shipping minus coupons add up to {computed}; stakeholder payments are not part "
            f"of the sum"
        )
    _check_stakeholder_payments(items, declared, ref, label, known)
    echo = {
        "item_type": ItemType.SUB_TRANSACTION.value,
        "desc": text(sub.get("desc"), f"{label}.desc", required=True),
        "reference_id": ref,
        "contract_id": contract_id,
        "sum": declared,
        "sub_basket": items,
    }
    return echo, contract


def _check_stakeholder_payments(
    items: list[dict[str, Any]], declared: int, ref: str, label: str, known: Mapping[str, Contract]
) -> None:
    """Each stakeholder payment names a known contract; together they stay within the sum."""
    fees = 0
    for j, item in enumerate(items):
        if item["item_type"] == ItemType.STAKEHOLDER_PAYMENT:
            _known_contract(item["contract_id"], f"{label}.sub_basket[{j}].contract_id", known)
            fees += item["sum"]
    if fees > declared:
        raise BadRequest(
            f"{label}: stakeholder payments of sub-basket {ref} add up to {fees}, more than "
            f"its sum {declared}"
        )


def _item(item: Any, path: str, allowed: frozenset[ItemType]) -> dict[str, Any]:
    data = obj(item, path)
    item_type = data.get("item_type") or ItemType.ARTICLE.value
    if not isinstance(item_type, str) or item_type not in allowed:
        raise BadRequest(
            f"{path}.item_type: {item_type!r} is not allowed here "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if item_type == ItemType.STAKEHOLDER_PAYMENT:
        return _present(
            {
                "item_type": item_type,
                "desc": text(data.get("desc"), f"{path}.desc") or None,
                "reference_id": text(data.get("reference_id"), f"{path}.reference_id") or None,
                "contract_id": text(data.get("contract_id"), f"{path}.contract_id", required=True),
                "sum": integer(data.get("sum"), f"{path}.sum", minimum=0),
            }
        )
    # The documentation's own example names a shipping item with "name"; the model has "desc".
    desc = text(data.get("desc") or data.get("name"), f"{path}.desc", required=True)
    quantity = integer(data.get("quantity", 1), f"{path}.quantity", minimum=1)
    price = integer(data.get("priceOne"), f"{path}.priceOne", minimum=0)
    tax = integer(data.get("tax", 0), f"{path}.tax", minimum=0, maximum=100)
    return _present(
        {
            "id": integer(data["id"], f"{path}.id") if data.get("id") is not None else None,
            "parent": data.get("parent"),
            "item_type": item_type,
            "desc": desc,
            "articleNumber": text(data.get("articleNumber"), f"{path}.articleNumber") or None,
            "ean": text(data.get("ean"), f"{path}.ean") or None,
            "quantity": quantity,
            "priceOne": price,
            "tax": tax,
            "reference_id": text(data.get("reference_id"), f"{path}.reference_id") or None,
            "group": data.get("group"),
            "serialNumber": text(data.get("serialNumber"), f"{path}.serialNumber") or None,
        }
    )


def _present(item: dict[str, Any]) -> dict[str, Any]:
    """The echo carries only what was sent or derived, no null-filled keys (DEMO
    custom_checkout_for_marketplace/Step2.php, api_integration_of_smart_checkout/Step2.php)."""
    return {key: value for key, value in item.items() if value is not None}


def _items_total(items: list[dict[str, Any]]) -> int:
    """Articles and shipping minus coupons; stakeholder payments do not count."""
    total = 0
    for item in items:
        if item["item_type"] in (ItemType.ARTICLE, ItemType.SHIPPING):
            total += item["priceOne"] * item["quantity"]
        elif item["item_type"] == ItemType.COUPON:
            total -= item["priceOne"] * item["quantity"]
    return total


def _known_contract(contract_id: str, path: str, known: Mapping[str, Contract]) -> Contract:
    contract = named_contracts.lookup(contract_id, known)
    if contract is None:
        raise BadRequest(f"{path}: unknown contract {contract_id}")
    return contract
