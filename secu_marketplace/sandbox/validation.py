"""Validation and normalisation of Smart Transaction requests, as the real service does it.

Errors name the offending field by its JSON path (``basket.products[1].sub_basket[0].priceOne``)
and, for sub-baskets, their ``reference_id``. The sum rules are those of docs/provider.md, "Smart
Transactions" (DOC:Outline_with_Sub-Baskets, DOC:Stakeholder_Share, PHP-SDK
SmartTransactionsBasketInfo.php): a sub-basket's ``sum`` is its articles and shipping minus its
coupons, its stakeholder payments are *not* part of that sum and may not exceed it, and
``basket_info.sum`` is the sum of the sub-basket sums (or, for a regular basket, of its items).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from secu_marketplace.sandbox.errors import BadRequest, NotAllowed
from secu_marketplace.sandbox.models import ApiClient, Contract
from secu_marketplace.sandbox.statuses import PAYMENT_METHODS
from secu_marketplace.sandbox.world import CHECKOUT_TEMPLATES

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_URL_LENGTH = 2000
MAX_REF_LENGTH = 255
ARTICLE_TYPES = {"article", "coupon", "shipping"}
SUB_BASKET_TYPES = ARTICLE_TYPES | {"stakeholder_payment"}
RETURN_URL_KEYS = ("url_success", "url_error", "url_abort", "url_push")
LANGUAGES = ("de", "en")
INTENTS = ("sale", "order")
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Normalised:
    """A validated request, ready to be stored on a sandbox ``SmartTransaction``."""

    contract: Contract
    provider_contract: Contract | None
    customer_contact: dict[str, Any] | None
    customer_id: str | None
    intent: str
    is_demo: bool
    basket: dict[str, Any] | None
    basket_info: dict[str, Any]
    application_context: dict[str, Any]
    payment_context: dict[str, Any]
    delivery_options: dict[str, Any]
    merchant_ref: str
    transaction_ref: str
    supplier_contracts: dict[str, Contract] = field(default_factory=dict)


def _int(value: Any, path: str, *, minimum: int | None = 0, maximum: int | None = None) -> int:
    # Amounts are integers in the smallest currency unit; a float or a bool is a client bug.
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        else:
            raise BadRequest(f"{path}: must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise BadRequest(f"{path}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise BadRequest(f"{path}: must be at most {maximum}, got {value}")
    return value


def _str(value: Any, path: str, *, required: bool = False, max_length: int = 255) -> str:
    if value is None or value == "":
        if required:
            raise BadRequest(f"{path}: is required")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # the documentation itself sends articleNumber: 1
    if not isinstance(value, str):
        raise BadRequest(f"{path}: must be a string, got {type(value).__name__}")
    if len(value) > max_length:
        raise BadRequest(f"{path}: must be at most {max_length} characters, got {len(value)}")
    return value


def _obj(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{path}: must be an object")
    return value


def _named_contracts(data: dict[str, Any]) -> dict[str, Contract]:
    """Every contract a create or update names, in one query instead of one per mention (the
    guide's basket names four); ids that are not plain strings are left to the checks below."""
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


def _lookup(contract_id: str, known: Mapping[str, Contract]) -> Contract | None:
    found = known.get(contract_id)
    if found is None:
        found = Contract.objects.select_related("merchant").filter(contract_id=contract_id).first()
    return found


def _contract(
    client: ApiClient, value: Any, path: str, *, own: bool, known: Mapping[str, Contract]
) -> Contract | None:
    data = _obj(value, path)
    contract_id = data.get("id") if data else None
    if not contract_id:
        return None
    contract_id = _str(contract_id, f"{path}.id")
    contract = _lookup(contract_id, known)
    if contract is None:
        raise BadRequest(f"{path}.id: unknown contract {contract_id}")
    if own and contract.merchant_id != client.merchant_id:
        raise NotAllowed(
            f"{path}.id: contract {contract_id} does not belong to this client", code=2005
        )
    return contract


def _url(value: Any, path: str) -> str:
    url = _str(value, path, max_length=10**6)
    if not url:
        return ""
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"{path}: must be at most {MAX_URL_LENGTH} characters, got {len(url)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"{path}: must be an absolute http(s) URL")
    return url


def normalise_contact(contact: dict[str, Any], path: str) -> dict[str, Any]:
    """What secuconnect does to a contact: adds ``name``, strips phone spaces, dates ``dob``."""
    out: dict[str, Any] = {}
    for key in ("salutation", "title", "forename", "surname", "companyname", "gender"):
        if contact.get(key):
            out[key] = _str(contact[key], f"{path}.{key}")
    name = _str(contact.get("name"), f"{path}.name") or " ".join(
        part for part in (out.get("forename"), out.get("surname")) if part
    )
    if name or out.get("companyname"):
        out["name"] = name or out["companyname"]
    if contact.get("dob"):
        raw = _str(contact["dob"], f"{path}.dob")
        try:
            born = date.fromisoformat(raw[:10])
        except ValueError:
            raise BadRequest(f"{path}.dob: must be a date (YYYY-MM-DD), got {raw!r}") from None
        # Midnight in German local time, as the guide's answer shows ("...T00:00:00+01:00").
        out["dob"] = datetime.combine(born, time(), tzinfo=BERLIN).isoformat()
    if contact.get("email"):
        email = _str(contact["email"], f"{path}.email")
        if not EMAIL_RE.match(email):
            raise BadRequest(f"{path}.email: not a valid e-mail address")
        out["email"] = email
    for key in ("phone", "mobile", "fax"):
        if contact.get(key):
            out[key] = re.sub(r"\s+", "", _str(contact[key], f"{path}.{key}"))
    for key in ("url_website", "birthplace", "nationality"):
        if contact.get(key):
            out[key] = _str(contact[key], f"{path}.{key}")
    address = _obj(contact.get("address"), f"{path}.address")
    if address:
        addr: dict[str, Any] = {}
        for key in (
            "type",
            "street",
            "street_number",
            "additional_address_data",
            "postal_code",
            "city",
        ):
            if address.get(key):
                addr[key] = _str(address[key], f"{path}.address.{key}")
        if "street_number" in addr:
            addr["street_number"] = addr["street_number"].replace(" ", "")
        if address.get("country"):
            country = _str(address["country"], f"{path}.address.country").upper()
            if not re.fullmatch(r"[A-Z]{2}", country):
                raise BadRequest(f"{path}.address.country: must be an ISO 3166 alpha-2 code")
            addr["country"] = country
        out["address"] = addr
    return out


def _item(item: Any, path: str, allowed: set[str]) -> dict[str, Any]:
    data = _obj(item, path)
    item_type = data.get("item_type") or "article"
    if item_type not in allowed:
        raise BadRequest(
            f"{path}.item_type: {item_type!r} is not allowed here "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if item_type == "stakeholder_payment":
        return _present(
            {
                "item_type": item_type,
                "desc": _str(data.get("desc"), f"{path}.desc") or None,
                "reference_id": _str(data.get("reference_id"), f"{path}.reference_id") or None,
                "contract_id": _str(data.get("contract_id"), f"{path}.contract_id", required=True),
                "sum": _int(data.get("sum"), f"{path}.sum", minimum=0),
            }
        )
    # The documentation's own example names a shipping item with "name"; the model has "desc".
    desc = _str(data.get("desc") or data.get("name"), f"{path}.desc", required=True)
    quantity = _int(data.get("quantity", 1), f"{path}.quantity", minimum=1)
    price = _int(data.get("priceOne"), f"{path}.priceOne", minimum=0)
    tax = _int(data.get("tax", 0), f"{path}.tax", minimum=0, maximum=100)
    return _present(
        {
            "id": _int(data["id"], f"{path}.id") if data.get("id") is not None else None,
            "parent": data.get("parent"),
            "item_type": item_type,
            "desc": desc,
            "articleNumber": _str(data.get("articleNumber"), f"{path}.articleNumber") or None,
            "ean": _str(data.get("ean"), f"{path}.ean") or None,
            "quantity": quantity,
            "priceOne": price,
            "tax": tax,
            "reference_id": _str(data.get("reference_id"), f"{path}.reference_id") or None,
            "group": data.get("group"),
            "serialNumber": _str(data.get("serialNumber"), f"{path}.serialNumber") or None,
        }
    )


def _present(item: dict[str, Any]) -> dict[str, Any]:
    """The echo carries only what was sent or derived, no null-filled keys (DEMO
    custom_checkout_for_marketplace/Step2.php, api_integration_of_smart_checkout/Step2.php)."""
    return {key: value for key, value in item.items() if value is not None}


def _items_total(items: list[dict[str, Any]]) -> int:
    total = 0
    for item in items:
        if item["item_type"] in ("article", "shipping"):
            total += item["priceOne"] * item["quantity"]
        elif item["item_type"] == "coupon":
            total -= item["priceOne"] * item["quantity"]
    return total


def _known_contract(contract_id: str, path: str, known: Mapping[str, Contract]) -> Contract:
    contract = _lookup(contract_id, known)
    if contract is None:
        raise BadRequest(f"{path}: unknown contract {contract_id}")
    return contract


def normalise_basket(
    basket: Any, basket_info_sum: int | None, known: Mapping[str, Contract] | None = None
) -> tuple[dict[str, Any] | None, int, dict[str, Contract]]:
    """Validate a basket; returns the echo, its total and the supplier contracts it names."""
    data = _obj(basket, "basket")
    if not data:
        return None, basket_info_sum or 0, {}
    products = data.get("products")
    if not isinstance(products, list) or not products:
        raise BadRequest("basket.products: must be a non-empty list")
    mixed = any(isinstance(p, dict) and p.get("item_type") == "sub_transaction" for p in products)
    contracts: dict[str, Contract] = {}
    if not mixed:
        items = [_item(p, f"basket.products[{i}]", ARTICLE_TYPES) for i, p in enumerate(products)]
        total = _items_total(items)
        if total < 0:
            raise BadRequest(f"basket.products: coupons exceed the articles ({total})")
        return {"products": items, "type": "default"}, total, contracts

    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    total = 0
    for i, product in enumerate(products):
        path = f"basket.products[{i}]"
        sub = _obj(product, path)
        if sub.get("item_type") != "sub_transaction":
            raise BadRequest(
                f"{path}.item_type: a mixed basket holds only sub_transaction items, "
                f"got {sub.get('item_type') or 'article'!r}"
            )
        ref = _str(sub.get("reference_id"), f"{path}.reference_id", required=True)
        if ref in seen:
            raise BadRequest(f"{path}.reference_id: {ref!r} is used twice")
        seen.add(ref)
        label = f'{path} (reference_id "{ref}")'
        contract_id = _str(sub.get("contract_id"), f"{label}.contract_id", required=True)
        contracts[ref] = _known_contract(contract_id, f"{label}.contract_id", known or {})
        declared = _int(sub.get("sum"), f"{label}.sum", minimum=0)
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
        fees = 0
        for j, item in enumerate(items):
            if item["item_type"] == "stakeholder_payment":
                _known_contract(
                    item["contract_id"], f"{label}.sub_basket[{j}].contract_id", known or {}
                )
                fees += item["sum"]
        if fees > declared:
            raise BadRequest(
                f"{label}: stakeholder payments of sub-basket {ref} add up to {fees}, more than "
                f"its sum {declared}"
            )
        total += declared
        out.append(
            {
                "item_type": "sub_transaction",
                "desc": _str(sub.get("desc"), f"{label}.desc", required=True),
                "reference_id": ref,
                "contract_id": contract_id,
                "sum": declared,
                "sub_basket": items,
            }
        )
    return {"products": out, "type": "mixed"}, total, contracts


def normalise(client: ApiClient, body: Any, *, update: bool = False) -> Normalised:
    """A create (or, ``update``, a PUT) request, validated. A PUT without ``basket`` and without
    ``basket_info.sum`` drops the basket and resets ``basket_info`` to ``{"sum": 0, "currency":
    <sent or "EUR">}`` (JAVA-SDK updateTransaction: "reset to its defaults")."""
    data = _obj(body, "body")
    if not data:
        raise BadRequest("body: a JSON object is required")

    known = _named_contracts(data)
    contract = _contract(client, data.get("contract"), "contract", own=True, known=known)
    if contract is None:
        contract = (
            Contract.objects.filter(merchant=client.merchant, kind=Contract.Kind.MERCHANT)
            .order_by("pk")
            .first()
        )
        if contract is None:
            raise BadRequest("contract.id: is required (this client has no default contract)")
    provider_contract = _contract(
        client, data.get("provider_contract"), "provider_contract", own=False, known=known
    )

    intent = data.get("intent") or "sale"
    if intent not in INTENTS:
        raise BadRequest(f"intent: must be one of {', '.join(INTENTS)}, got {intent!r}")

    info = _obj(data.get("basket_info"), "basket_info")
    currency = info.get("currency") or "EUR"
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise BadRequest(
            f"basket_info.currency: must be a 3-letter ISO 4217 code, got {currency!r}"
        )
    declared_sum = _int(info["sum"], "basket_info.sum") if info.get("sum") is not None else None
    basket, total, contracts = normalise_basket(data.get("basket"), declared_sum, known)
    reset = update and basket is None and declared_sum is None
    if declared_sum is None:
        if basket is None and not update:
            raise BadRequest("basket_info.sum: is required")
        declared_sum = total
    if basket is not None and declared_sum != total:
        raise BadRequest(
            f"basket_info.sum: {declared_sum} does not equal the basket total {total} "
            f"(the sum of the {'sub-basket sums' if basket['type'] == 'mixed' else 'items'})"
        )
    if declared_sum <= 0 and not reset:
        raise BadRequest("basket_info.sum: must be greater than 0")
    basket_info: dict[str, Any] = {"sum": declared_sum, "currency": currency}
    if info.get("gratuity") is not None:
        basket_info["gratuity"] = _int(info["gratuity"], "basket_info.gratuity")

    context = dict(_obj(data.get("application_context"), "application_context"))
    template = context.get("checkout_template")
    if template and template not in CHECKOUT_TEMPLATES:
        raise BadRequest(f"application_context.checkout_template: unknown template {template}")
    language = context.get("language") or "de"
    if language not in LANGUAGES:
        raise BadRequest(f"application_context.language: must be one of {', '.join(LANGUAGES)}")
    context["language"] = language
    urls = _obj(context.get("return_urls"), "application_context.return_urls")
    context["return_urls"] = {
        key: _url(urls.get(key), f"application_context.return_urls.{key}")
        for key in RETURN_URL_KEYS
        if urls.get(key)
    }

    payment_context = dict(_obj(data.get("payment_context"), "payment_context"))
    auto_capture = payment_context.get("auto_capture", False)
    if not isinstance(auto_capture, bool):
        raise BadRequest("payment_context.auto_capture: must be true or false")
    payment_context["auto_capture"] = auto_capture
    methods = payment_context.get("payment_methods")
    if methods is not None:
        if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
            raise BadRequest("payment_context.payment_methods: must be a list of strings")
        unknown = sorted(set(methods) - set(PAYMENT_METHODS))
        if unknown:
            raise BadRequest(
                f"payment_context.payment_methods: unknown method(s) {', '.join(unknown)}"
            )

    delivery = dict(_obj(data.get("delivery_options"), "delivery_options"))
    if delivery.get("type") not in (None, "shipping", "collection"):
        raise BadRequest("delivery_options.type: must be shipping or collection")
    if intent == "order" and not delivery.get("type"):
        delivery["type"] = "shipping"

    customer = _obj(data.get("customer"), "customer")
    contact = None
    if customer.get("contact"):
        contact = normalise_contact(
            _obj(customer["contact"], "customer.contact"), "customer.contact"
        )
    customer_id = _str(customer.get("id"), "customer.id") or None

    is_demo = data.get("is_demo", False)
    if not isinstance(is_demo, bool):
        raise BadRequest("is_demo: must be true or false")

    return Normalised(
        contract=contract,
        provider_contract=provider_contract,
        customer_contact=contact,
        customer_id=customer_id,
        intent=intent,
        is_demo=is_demo,
        basket=basket,
        basket_info=basket_info,
        application_context=context,
        payment_context=payment_context,
        delivery_options=delivery,
        merchant_ref=_str(data.get("merchantRef"), "merchantRef", max_length=MAX_REF_LENGTH),
        transaction_ref=_str(
            data.get("transactionRef"), "transactionRef", max_length=MAX_REF_LENGTH
        ),
        supplier_contracts=contracts,
    )
