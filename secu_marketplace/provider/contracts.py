"""secuconnect's answers about contracts, parsed once into typed objects (docs/provider.md,
"Payment contracts" and "Payment methods"): a contract, a page of the contract list, the answer
to ``requestId``, and a contract's payment methods under either naming (``METHOD_NAMES``).

As in ``provider``: nothing outside reads these raw dicts; a field left out or garbled becomes
``None`` or ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from secu_marketplace.provider.answers import CONTRACT_ID_RE, as_dict, as_int, as_text, parse_time


@dataclass(frozen=True)
class ContractData:
    """A contract as ``GET /Payment/Contracts[/{id}]`` and ``requestId`` answer it (RUBY-C)."""

    id: str
    parent_id: str  # "" for a contract without a parent
    approved: bool | None  # None when the answer does not say
    created: datetime | None  # the recordings show the moment of the answer here, see the docs
    id_old: int | None
    merchant_id: str
    raw: dict[str, Any] = field(repr=False)


def parse_contract(data: Any) -> ContractData:
    contract = as_dict(data)
    approved = contract.get("approved")
    return ContractData(
        id=as_text(contract.get("id")),
        parent_id=as_text(as_dict(contract.get("parent")).get("id")),
        approved=approved if isinstance(approved, bool) else None,
        created=parse_time(contract.get("created")),
        id_old=as_int(contract.get("id_old")),
        merchant_id=as_text(as_dict(contract.get("merchant")).get("id")),
        raw=contract,
    )


@dataclass(frozen=True)
class ContractRequested:
    """``requestId``'s answer: the new contract itself (RUBY-C ``contract_creation``), with
    ``contract {object, id}``, the new merchant's ``apikey`` (a credential: ``repr`` hides it),
    ``payin_account`` when asked for (DEMO-M ``create_project.php``) and a ``store`` only when
    answered (the SDK's PaymentContractsRequestIdResult names one; the recording has none)."""

    contract_id: str  # "" unless a GCR_ id
    merchant_id: str
    store_id: str
    approved: bool | None
    payin_account: dict[str, Any]
    apikey: str = field(repr=False)


def parse_contract_requested(data: Any) -> ContractRequested:
    answer = as_dict(data)
    contract = parse_contract(answer)
    contract_id = as_text(as_dict(answer.get("contract")).get("id")) or contract.id
    payin = answer.get("payin_account")
    return ContractRequested(
        contract_id=contract_id if CONTRACT_ID_RE.match(contract_id) else "",
        merchant_id=contract.merchant_id,
        store_id=as_text(as_dict(answer.get("store")).get("id")),
        approved=contract.approved,
        payin_account=dict(payin) if isinstance(payin, dict) else {},
        apikey=as_text(answer.get("apikey")),
    )


@dataclass(frozen=True)
class ContractPage:
    """One page of ``GET /Payment/Contracts``: ``count`` is all that match, ``contracts`` this
    page's (entries without a contract id are dropped)."""

    count: int | None
    contracts: tuple[ContractData, ...]


def parse_contract_page(data: Any) -> ContractPage:
    page = as_dict(data)
    entries = [parse_contract(item) for item in page.get("data") or [] if isinstance(item, dict)]
    return ContractPage(
        count=as_int(page.get("count")),
        contracts=tuple(c for c in entries if CONTRACT_ID_RE.match(c.id)),
    )


# Every payment method name secuconnect was seen to answer, and the Smart Checkout key it means
# (None: not a Smart Checkout method). The General Contracts names are those
# ``POST /General/Contracts/{id}/getAvailablePaymentMethods`` was recorded answering (DEMO-M
# ``src/migrate/get_payment_methods.php``); the keys are PaymentContext's and /prepare's (PHP-SDK
# ``PaymentContext.php``, ``SmartTransactionsApi.php``). Apple Pay and Google Pay are no Smart
# Checkout method: no PaymentContext or /prepare value names them, so they allow nothing here.
METHOD_NAMES: Final[Mapping[str, str | None]] = {
    "Creditcard": "creditcard",
    "Debit": "debit",
    "easyCredit": "easycredit",
    "eps": "eps",
    "Invoice": "invoice",
    "Paypal": "paypal",
    "Prepay": "prepaid",
    "Sofort": "sofort",
    "Applepay": None,
    "Googlepay": None,
    "creditcard": "creditcard",
    "debit": "debit",
    "easycredit": "easycredit",
    "giropay": "giropay",
    "invoice": "invoice",
    "paypal": "paypal",
    "prepaid": "prepaid",
    "sofort": "sofort",
}
# Spelling aside ("CreditCard", "Giropay", "PREPAY"): matched without regard to case.
_FOLDED_NAMES = {name.casefold(): key for name, key in METHOD_NAMES.items()}


@dataclass(frozen=True)
class MethodNames:
    """A contract's payment methods as secuconnect named them, and what they mean here."""

    methods: tuple[str, ...]  # Smart Checkout keys, in the answer's order, each once
    received: tuple[str, ...]  # the names as answered
    ignored: tuple[str, ...]  # names that are no Smart Checkout method, or unknown


def method_key(name: str) -> str | None:
    """The Smart Checkout key a method name stands for, or None."""
    if name in METHOD_NAMES:
        return METHOD_NAMES[name]
    return _FOLDED_NAMES.get(name.casefold())


def parse_method_names(data: Any) -> MethodNames:
    received = (
        tuple(as_text(n) for n in data if isinstance(n, str)) if isinstance(data, list) else ()
    )
    methods: list[str] = []
    ignored: list[str] = []
    for name in received:
        key = method_key(name)
        if key is None:
            ignored.append(name)
        elif key not in methods:
            methods.append(key)
    return MethodNames(methods=tuple(methods), received=received, ignored=tuple(ignored))
