"""Validation and normalisation of Smart Transaction requests, as the real service does it.

Errors name the offending field by its JSON path (``basket.products[1].sub_basket[0].priceOne``)
and, for sub-baskets, their ``reference_id``. This module checks the request as a whole (its
contracts, ``basket_info``, the contexts, the customer); the basket itself is checked in
``basket_validation.py`` (with the sum rules of docs/provider.md, "Smart Transactions"), a contact
in ``contact_validation.py``, single fields in ``request_fields.py``. ``basket_info.sum`` is the
sum of the sub-basket sums (or, for a regular basket, of its items).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from secu_marketplace.sandbox import named_contracts
from secu_marketplace.sandbox.basket_validation import BasketType, normalise_basket
from secu_marketplace.sandbox.contact_validation import normalise_contact
from secu_marketplace.sandbox.errors import BadRequest, NotAllowed
from secu_marketplace.sandbox.models import ApiClient, Contract
from secu_marketplace.sandbox.request_fields import absolute_url, integer, obj, text
from secu_marketplace.sandbox.statuses import PAYMENT_METHODS, DeliveryType, Intent
from secu_marketplace.sandbox.world import CHECKOUT_TEMPLATES

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_REF_LENGTH = 255
RETURN_URL_KEYS = ("url_success", "url_error", "url_abort", "url_push")
LANGUAGES = ("de", "en")
INTENTS = tuple(Intent)
DELIVERY_TYPES = (None, *DeliveryType)


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


def normalise(client: ApiClient, body: Any, *, update: bool = False) -> Normalised:
    """A create (or, ``update``, a PUT) request, validated. A PUT without ``basket`` and without
    ``basket_info.sum`` drops the basket and resets ``basket_info`` to ``{"sum": 0, "currency":
    <sent or "EUR">}`` (JAVA-SDK updateTransaction: "reset to its defaults").

    The parts are checked in a fixed order, so that a request with several faults is always
    refused for the same one."""
    data = obj(body, "body")
    if not data:
        raise BadRequest("body: a JSON object is required")
    known = named_contracts.prefetch(data)
    contract = _merchant_contract(client, data.get("contract"), known)
    provider_contract = _contract(
        client, data.get("provider_contract"), "provider_contract", own=False, known=known
    )
    intent = data.get("intent") or Intent.SALE.value
    if intent not in INTENTS:
        raise BadRequest(f"intent: must be one of {', '.join(INTENTS)}, got {intent!r}")
    basket, basket_info, supplier_contracts = _basket(data, known, update=update)
    application_context = _application_context(data.get("application_context"))
    payment_context = _payment_context(data.get("payment_context"))
    delivery_options = _delivery_options(data.get("delivery_options"), intent)
    customer = obj(data.get("customer"), "customer")
    contact = None
    if customer.get("contact"):
        contact = normalise_contact(
            obj(customer["contact"], "customer.contact"), "customer.contact"
        )
    customer_id = text(customer.get("id"), "customer.id") or None
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
        application_context=application_context,
        payment_context=payment_context,
        delivery_options=delivery_options,
        merchant_ref=text(data.get("merchantRef"), "merchantRef", max_length=MAX_REF_LENGTH),
        transaction_ref=text(
            data.get("transactionRef"), "transactionRef", max_length=MAX_REF_LENGTH
        ),
        supplier_contracts=supplier_contracts,
    )


def _contract(
    client: ApiClient, value: Any, path: str, *, own: bool, known: Mapping[str, Contract]
) -> Contract | None:
    """The contract ``{"id": ...}`` names (None without an id); ``own``: it must be the client's."""
    data = obj(value, path)
    contract_id = data.get("id") if data else None
    if not contract_id:
        return None
    contract_id = text(contract_id, f"{path}.id")
    contract = named_contracts.lookup(contract_id, known)
    if contract is None:
        raise BadRequest(f"{path}.id: unknown contract {contract_id}")
    if own and contract.merchant_id != client.merchant_id:
        raise NotAllowed(
            f"{path}.id: contract {contract_id} does not belong to this client", code=2005
        )
    return contract


def _merchant_contract(client: ApiClient, value: Any, known: Mapping[str, Contract]) -> Contract:
    """The contract the request names, or else the client's first merchant contract."""
    contract = _contract(client, value, "contract", own=True, known=known)
    if contract is None:
        contract = (
            Contract.objects.filter(merchant=client.merchant, kind=Contract.Kind.MERCHANT)
            .order_by("pk")
            .first()
        )
        if contract is None:
            raise BadRequest("contract.id: is required (this client has no default contract)")
    return contract


def _basket(
    data: dict[str, Any], known: Mapping[str, Contract], *, update: bool
) -> tuple[dict[str, Any] | None, dict[str, Any], dict[str, Contract]]:
    """The basket's echo, ``basket_info`` and the supplier contracts: the basket must add up to
    ``basket_info.sum`` (which it stands in for when not sent), and the sum must be positive, but
    for the reset of a PUT without either."""
    info = obj(data.get("basket_info"), "basket_info")
    currency = _currency(info.get("currency") or "EUR")
    declared_sum = integer(info["sum"], "basket_info.sum") if info.get("sum") is not None else None
    basket, total, contracts = normalise_basket(data.get("basket"), declared_sum, known)
    reset = update and basket is None and declared_sum is None
    if declared_sum is None:
        if basket is None and not update:
            raise BadRequest("basket_info.sum: is required")
        declared_sum = total
    if basket is not None and declared_sum != total:
        summed = "sub-basket sums" if basket["type"] == BasketType.MIXED else "items"
        raise BadRequest(
            f"basket_info.sum: {declared_sum} does not equal the basket total {total} "
            f"(the sum of the {summed})"
        )
    if declared_sum <= 0 and not reset:
        raise BadRequest("basket_info.sum: must be greater than 0")
    basket_info: dict[str, Any] = {"sum": declared_sum, "currency": currency}
    if info.get("gratuity") is not None:
        basket_info["gratuity"] = integer(info["gratuity"], "basket_info.gratuity")
    return basket, basket_info, contracts


def _currency(currency: Any) -> str:
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise BadRequest(
            f"basket_info.currency: must be a 3-letter ISO 4217 code, got {currency!r}"
        )
    return currency


def _application_context(value: Any) -> dict[str, Any]:
    """The context with its language (German unless English) and only the return URLs sent."""
    context = dict(obj(value, "application_context"))
    template = context.get("checkout_template")
    if template and (not isinstance(template, str) or template not in CHECKOUT_TEMPLATES):
        raise BadRequest(f"application_context.checkout_template: unknown template {template}")
    language = context.get("language") or "de"
    if not isinstance(language, str) or language not in LANGUAGES:
        raise BadRequest(f"application_context.language: must be one of {', '.join(LANGUAGES)}")
    context["language"] = language
    urls = obj(context.get("return_urls"), "application_context.return_urls")
    context["return_urls"] = {
        key: absolute_url(urls.get(key), f"application_context.return_urls.{key}")
        for key in RETURN_URL_KEYS
        if urls.get(key)
    }
    return context


def _payment_context(value: Any) -> dict[str, Any]:
    """The context with ``auto_capture`` spelled out; ``accrual`` a boolean if sent (PHP-SDK
    PaymentContext.php); the methods, if named, must exist."""
    context = dict(obj(value, "payment_context"))
    auto_capture = context.get("auto_capture", False)
    if not isinstance(auto_capture, bool):
        raise BadRequest("payment_context.auto_capture: must be true or false")
    context["auto_capture"] = auto_capture
    if not isinstance(context.get("accrual", False), bool):
        raise BadRequest("payment_context.accrual: must be true or false")
    methods = context.get("payment_methods")
    if methods is not None:
        if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
            raise BadRequest("payment_context.payment_methods: must be a list of strings")
        unknown = sorted(set(methods) - set(PAYMENT_METHODS))
        if unknown:
            raise BadRequest(
                f"payment_context.payment_methods: unknown method(s) {', '.join(unknown)}"
            )
    return context


def _delivery_options(value: Any, intent: str) -> dict[str, Any]:
    """The options as sent; an order without a delivery type is shipped."""
    delivery = dict(obj(value, "delivery_options"))
    if delivery.get("type") not in DELIVERY_TYPES:
        raise BadRequest("delivery_options.type: must be shipping or collection")
    if intent == Intent.ORDER and not delivery.get("type"):
        delivery["type"] = DeliveryType.SHIPPING.value
    return delivery
