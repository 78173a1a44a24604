"""secuconnect's answers, parsed once into typed objects.

The client returns decoded JSON; the flows read it only through these dataclasses, built by the
``parse_*`` functions here. Nothing outside this module indexes a raw provider dict or compares a
bare status number: a field the provider leaves out or garbles becomes ``None`` or ``""``, and
``raw`` keeps the answer as it came (for the redacted snapshot on the row).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any, Final

STX_ID_RE = re.compile(r"^STX_[A-Z0-9]{30}$")
PCI_ID_RE = re.compile(r"^PCI_[A-Z0-9]{30}$")
PCT_ID_RE = re.compile(r"^PCT_[A-Z0-9]{30}$")
CONTRACT_ID_RE = re.compile(r"^GCR_[A-Z0-9]{30}$")
# The error ``code`` of a mixed basket on a contract not enabled for it (SDK-T
# ``test/Api/SmartTransactionsApiTest.php``, testSmartTransactionsAddMixedBasket).
MIXED_BASKET_NOT_ENABLED = 4028
# ``ref_type_id`` of a refund in ``related_transactions`` (docs/provider.md, "Cancel and refund").
REFUND_REF_TYPE = "19"


class SimpleStatus(IntEnum):
    """A Payment Transaction's ``details.status_simple`` (docs/provider.md, "Payment Transaction
    statuses"). Values the app does not know are kept as plain ints."""

    PROCEED = 0
    ACCEPTED = 1
    AUTHORIZED = 2
    DENIED = 3
    ISSUE = 4
    VOID = 5
    ISSUE_RESOLVED = 6
    REFUND = 7
    CREATED = 8
    PAID = 9
    PENDING = 10
    SUBSCRIPTION_APPROVED = 11
    SUBSCRIPTION_DECLINED = 12
    ON_HOLD = 13
    WAITING_FOR_SHIPMENT = 14
    CONTAINER_AUTHORISED = 15
    CONTAINER_DENIED = 16


# Internal statuses of an invoice: 85 authorised, 86 "abgeschlossen (Rechnung offen)" (captured,
# the buyer has not paid yet), 87 "abgeschlossen (Rechnung bezahlt)".
INVOICE_PAID_STATUS = 87


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _url(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


@dataclass(frozen=True)
class Listed:
    """One entry of a Smart Transaction's ``transactions``."""

    id: str
    reference_id: str
    trans_id: int | None
    transaction_hash: str


class InstrumentKind(StrEnum):
    """``container.type`` of a Smart Transaction paid by debit or card (DEMO-M Step3 outputs)."""

    BANK_ACCOUNT = "bank_account"
    CREDIT_CARD = "credit_card"


@dataclass(frozen=True)
class PaymentInstrument:
    """The payment container the buyer paid with: its kind and ``PCT_`` id. The recorded answers
    carry no account or card details (no masked IBAN or card number), so neither does this."""

    kind: str  # an InstrumentKind when known; another value as it came
    id: str


def _instrument(value: Any) -> PaymentInstrument | None:
    container = _dict(value)
    pct = _text(container.get("id"))
    if not PCT_ID_RE.match(pct):
        return None
    return PaymentInstrument(kind=_text(container.get("type")), id=pct)


@dataclass(frozen=True)
class SmartData:
    id: str
    status: str
    created: datetime | None
    updated: datetime | None
    merchant_ref: str | None  # None when the answer leaves it out (older answers do)
    contract_id: str
    basket_sum: int | None
    basket_sum_text: str  # as answered, for a problem report
    currency: str  # "EUR" when the answer leaves it out
    currency_text: str
    is_demo: bool
    is_demo_text: str
    payment_method: str
    trans_id: int | None
    payment_instructions: dict[str, Any] | None
    transactions: tuple[Listed, ...]
    url_success: str
    links: dict[str, str]  # payment_links by method, plus "general"
    url_checkout: str
    container: PaymentInstrument | None  # after a debit or card payment
    raw: dict[str, Any] = field(repr=False)

    def checkout_url(self, method: str = "") -> str:
        """Where to send the buyer: the per-method link when a method is preselected, else
        ``checkout_links.url_checkout`` (newer documentation), else ``payment_links.general``."""
        return (
            (self.links.get(method, "") if method else "")
            or self.url_checkout
            or self.links.get("general", "")
        )


def parse_smart(data: Any) -> SmartData:
    stx = _dict(data)
    info = _dict(stx.get("basket_info"))
    contract = stx.get("contract")
    entries = [t for t in stx.get("transactions") or [] if isinstance(t, dict)]
    listed = [
        Listed(
            id=_text(t.get("id")),
            reference_id=_text(t.get("reference_id")),
            trans_id=as_int(t.get("trans_id")),
            transaction_hash=_text(t.get("transaction_hash")),
        )
        for t in entries
        if PCI_ID_RE.match(_text(t.get("id")))
    ]
    ref = stx.get("merchantRef")
    urls = _dict(_dict(stx.get("application_context")).get("return_urls"))
    instructions = stx.get("payment_instructions")
    return SmartData(
        id=_text(stx.get("id")),
        status=_text(stx.get("status")),
        created=parse_time(stx.get("created")),
        updated=parse_time(stx.get("updated")),
        merchant_ref=None if ref in (None, "") else _text(ref),
        contract_id=_text(_dict(contract).get("id") if isinstance(contract, dict) else contract),
        basket_sum=as_int(info.get("sum")),
        basket_sum_text=repr(info.get("sum")),
        currency=_text(info.get("currency") or "EUR"),
        currency_text=repr(info.get("currency")),
        is_demo=bool(stx.get("is_demo")),
        is_demo_text=repr(stx.get("is_demo")),
        payment_method=_text(stx.get("payment_method")),
        trans_id=as_int(stx.get("trans_id")),
        payment_instructions=instructions
        if isinstance(instructions, dict) and instructions
        else None,
        # Leading first, then the sub-transactions.
        transactions=tuple(sorted(listed, key=lambda t: bool(t.reference_id))),
        url_success=_text(urls.get("url_success")),
        links={k: _url(v) for k, v in _dict(stx.get("payment_links")).items() if _url(v)},
        url_checkout=_url(_dict(stx.get("checkout_links")).get("url_checkout")),
        container=_instrument(stx.get("container")),
        raw=stx,
    )


@dataclass(frozen=True)
class PaymentData:
    id: str
    reference_id: str
    trans_id: int | None
    transaction_hash: str
    status_simple: int | None  # a SimpleStatus when known
    status_simple_text: str
    status: int | None
    status_text: str
    amount: int | None  # negative for a refund transaction
    currency: str
    currency_text: str
    updated: datetime | None
    description: str
    # A captured invoice shows completion_date, invoice_number and order_id, status 86 (87 once
    # paid): docs/provider.md, "Payment Transactions". No shipping details are echoed.
    invoice_captured: bool
    refund_ids: tuple[str, ...]  # refund transactions linked to it as children
    raw: dict[str, Any] = field(repr=False)


def _simple(value: Any) -> int | None:
    number = as_int(value)
    if number is None:
        return None
    try:
        return SimpleStatus(number)
    except ValueError:
        return number


def parse_payment(data: Any) -> PaymentData:
    pci = _dict(data)
    details = _dict(pci.get("details"))
    refunds = [
        _text(related.get("id"))
        for related in pci.get("related_transactions") or []
        if isinstance(related, dict)
        and related.get("hierarchy") == "child"
        and _text(related.get("ref_type_id")) == REFUND_REF_TYPE
        and PCI_ID_RE.match(_text(related.get("id")))
    ]
    return PaymentData(
        id=_text(pci.get("id")),
        reference_id=_text(pci.get("reference_id")),
        trans_id=as_int(pci.get("trans_id")),
        transaction_hash=_text(pci.get("transaction_hash")),
        status_simple=_simple(details.get("status_simple")),
        status_simple_text=_text(details.get("status_simple_text")),
        status=as_int(pci.get("status")),
        status_text=_text(pci.get("status_text")),
        amount=as_int(pci.get("amount")),
        currency=_text(pci.get("currency")),
        currency_text=repr(pci.get("currency")),
        updated=parse_time(pci.get("updated")),
        description=_text(pci.get("description")),
        invoice_captured=bool(pci.get("completion_date") or pci.get("order_id"))
        or as_int(pci.get("status")) in (86, 87),
        refund_ids=tuple(refunds),
        raw=pci,
    )


def parse_search(data: Any) -> list[SmartData]:
    """``GET /Smart/Transactions?q=…``'s matches (the client unwraps ``data``)."""
    return [parse_smart(item) for item in data or [] if isinstance(item, dict)]


def refunds_created(answer: Any) -> list[str]:
    """The refund transactions a cancel answer lists (those with a negative amount): their ids.
    Empty when the cancel reduced the amount before payment (no transaction is created)."""
    items = answer if isinstance(answer, list) else []
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        amount = item.get("amount")
        if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
            found.append(_text(item.get("id")))
    return found


# --- Payment contracts (docs/provider.md, "Payment contracts") ------------------------------


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
    contract = _dict(data)
    approved = contract.get("approved")
    return ContractData(
        id=_text(contract.get("id")),
        parent_id=_text(_dict(contract.get("parent")).get("id")),
        approved=approved if isinstance(approved, bool) else None,
        created=parse_time(contract.get("created")),
        id_old=as_int(contract.get("id_old")),
        merchant_id=_text(_dict(contract.get("merchant")).get("id")),
        raw=contract,
    )


@dataclass(frozen=True)
class ContractPage:
    """One page of ``GET /Payment/Contracts``: ``count`` is all that match, ``contracts`` this
    page's (entries without a contract id are dropped)."""

    count: int | None
    contracts: tuple[ContractData, ...]


def parse_contract_page(data: Any) -> ContractPage:
    page = _dict(data)
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
    received = tuple(_text(n) for n in data if isinstance(n, str)) if isinstance(data, list) else ()
    methods: list[str] = []
    ignored: list[str] = []
    for name in received:
        key = method_key(name)
        if key is None:
            ignored.append(name)
        elif key not in methods:
            methods.append(key)
    return MethodNames(methods=tuple(methods), received=received, ignored=tuple(ignored))
