"""The contracts a Smart Transaction request names, read in one query.

The guide's mixed basket alone names four contracts (the merchant's, the provider's, one per
supplier and the stakeholder's); looking each up where it is validated cost one query per
mention. ``prefetch`` reads them all at once before validation starts, ``lookup`` then finds them
there (and still asks the database for an id that was not a plain string when prefetched).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secu_marketplace.sandbox.models import Contract


def prefetch(data: dict[str, Any]) -> dict[str, Contract]:
    """Every contract a create or update names, by contract id; ids that are not plain strings
    are left to the checks of validation."""
    named: set[str] = set()
    for key in ("contract", "provider_contract"):
        ref = data.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("id"), str):
            named.add(ref["id"])
    basket = data.get("basket")
    products = basket.get("products") if isinstance(basket, dict) else None
    for product in products if isinstance(products, list) else []:
        if not isinstance(product, dict):
            continue
        items = product.get("sub_basket")
        for part in [product, *(items if isinstance(items, list) else [])]:
            if isinstance(part, dict) and isinstance(part.get("contract_id"), str):
                named.add(part["contract_id"])
    if not named:
        return {}
    return Contract.objects.select_related("merchant").in_bulk(named, field_name="contract_id")


def lookup(contract_id: str, known: Mapping[str, Contract]) -> Contract | None:
    """The contract, from ``known`` if it was prefetched, else from the database."""
    found = known.get(contract_id)
    if found is None:
        found = Contract.objects.select_related("merchant").filter(contract_id=contract_id).first()
    return found
