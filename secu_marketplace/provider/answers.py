"""secuconnect's answers, parsed once into typed objects.

The client returns decoded JSON; the flows read it only through these dataclasses, built by the
``parse_*`` functions here. Nothing outside this module indexes a raw provider dict or compares a
bare status number: a field the provider leaves out or garbles becomes ``None`` or ``""``, and
``raw`` keeps the answer as it came (for the redacted snapshot on the row). Contracts and their
payment method names are parsed in ``provider_contracts``, on the same terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

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


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str:
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
    container = as_dict(value)
    pct = as_text(container.get("id"))
    if not PCT_ID_RE.match(pct):
        return None
    return PaymentInstrument(kind=as_text(container.get("type")), id=pct)


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
    stx = as_dict(data)
    info = as_dict(stx.get("basket_info"))
    contract = stx.get("contract")
    entries = [t for t in stx.get("transactions") or [] if isinstance(t, dict)]
    listed = [
        Listed(
            id=as_text(t.get("id")),
            reference_id=as_text(t.get("reference_id")),
            trans_id=as_int(t.get("trans_id")),
            transaction_hash=as_text(t.get("transaction_hash")),
        )
        for t in entries
        if PCI_ID_RE.match(as_text(t.get("id")))
    ]
    ref = stx.get("merchantRef")
    urls = as_dict(as_dict(stx.get("application_context")).get("return_urls"))
    instructions = stx.get("payment_instructions")
    return SmartData(
        id=as_text(stx.get("id")),
        status=as_text(stx.get("status")),
        created=parse_time(stx.get("created")),
        updated=parse_time(stx.get("updated")),
        merchant_ref=None if ref in (None, "") else as_text(ref),
        contract_id=as_text(
            as_dict(contract).get("id") if isinstance(contract, dict) else contract
        ),
        basket_sum=as_int(info.get("sum")),
        basket_sum_text=repr(info.get("sum")),
        currency=as_text(info.get("currency") or "EUR"),
        currency_text=repr(info.get("currency")),
        is_demo=bool(stx.get("is_demo")),
        is_demo_text=repr(stx.get("is_demo")),
        payment_method=as_text(stx.get("payment_method")),
        trans_id=as_int(stx.get("trans_id")),
        payment_instructions=instructions
        if isinstance(instructions, dict) and instructions
        else None,
        # Leading first, then the sub-transactions.
        transactions=tuple(sorted(listed, key=lambda t: bool(t.reference_id))),
        url_success=as_text(urls.get("url_success")),
        links={k: _url(v) for k, v in as_dict(stx.get("payment_links")).items() if _url(v)},
        url_checkout=_url(as_dict(stx.get("checkout_links")).get("url_checkout")),
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
    pci = as_dict(data)
    details = as_dict(pci.get("details"))
    refunds = [
        as_text(related.get("id"))
        for related in pci.get("related_transactions") or []
        if isinstance(related, dict)
        and related.get("hierarchy") == "child"
        and as_text(related.get("ref_type_id")) == REFUND_REF_TYPE
        and PCI_ID_RE.match(as_text(related.get("id")))
    ]
    return PaymentData(
        id=as_text(pci.get("id")),
        reference_id=as_text(pci.get("reference_id")),
        trans_id=as_int(pci.get("trans_id")),
        transaction_hash=as_text(pci.get("transaction_hash")),
        status_simple=_simple(details.get("status_simple")),
        status_simple_text=as_text(details.get("status_simple_text")),
        status=as_int(pci.get("status")),
        status_text=as_text(pci.get("status_text")),
        amount=as_int(pci.get("amount")),
        currency=as_text(pci.get("currency")),
        currency_text=repr(pci.get("currency")),
        updated=parse_time(pci.get("updated")),
        description=as_text(pci.get("description")),
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
            found.append(as_text(item.get("id")))
    return found


@dataclass
class Snapshot:
    """One read of an attempt (``provider.reads.fetch``): the Smart Transaction, each Payment
    Transaction it lists, and the refund transactions linked to them."""

    stx: SmartData
    payments: dict[str, PaymentData] = field(default_factory=dict)
    # refund PCI id -> the PCI id it refunds
    refund_parents: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.stx.status
