"""secuconnect's answers about payouts and balances, parsed once into typed objects
(docs/provider.md, "Payouts and held money").

A payout record carries the fields of PHP-SDK ``lib/Model/PaymentPayoutsProductModel.php``;
which of them are read and what the app takes them to mean is said where each is parsed. As
everywhere in ``provider``: a field left out or garbled becomes ``None``, ``0`` or ``""``;
``raw`` keeps the record as it came (stored redacted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from secu_marketplace.provider.answers import as_dict, as_int, as_text

PAYOUT_TARGET = "payment.payouts"
PAYOUT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
AMOUNT_FIELDS = (
    "payout_amount",
    "transaction_volume",
    "refund_amount",
    "stakeholder_amount",
    "claim_amount",
    "invoice_amount",
    "misc_amount",
)


@dataclass(frozen=True)
class PayoutRecord:
    """One record of ``GET /Payment/Payouts``: what one Payment Transaction (``trans_id``) gave
    the merchant named in one transfer (``purpose`` and ``date`` tell the transfer)."""

    id: str
    trans_id: int | None
    merchant_id: str
    receiver: str
    purpose: str
    date: datetime | None
    date_text: str
    currency: str
    amount: int
    amounts: dict[str, int]  # AMOUNT_FIELDS, each 0 when left out
    raw: dict[str, Any] = field(repr=False)

    @property
    def paid_out(self) -> int:
        """``payout_amount``; ``amount`` for a record that does not name it."""
        if "payout_amount" in self.raw:
            return self.amounts["payout_amount"]
        return self.amount


def payout_time(value: Any) -> datetime | None:
    """A ``date`` as answered: a moment with its offset, or a calendar day (taken as 00:00 UTC;
    the model types it as a plain string)."""
    text = as_text(value).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_payout(data: Any) -> PayoutRecord | None:
    """A record, or None when it has no usable id (it cannot be kept apart from others)."""
    record = as_dict(data)
    record_id = as_text(record.get("id"))
    if not PAYOUT_ID_RE.match(record_id):
        return None
    amounts = {name: as_int(record.get(name)) or 0 for name in AMOUNT_FIELDS}
    return PayoutRecord(
        id=record_id,
        trans_id=as_int(record.get("trans_id")),
        merchant_id=as_text(as_dict(record.get("merchant")).get("id"))[:40],
        receiver=as_text(record.get("receiver"))[:200],
        purpose=as_text(record.get("purpose"))[:200],
        date=payout_time(record.get("date")),
        date_text=as_text(record.get("date"))[:40],
        currency=(as_text(record.get("currency")) or "EUR")[:3].upper(),
        amount=as_int(record.get("amount")) or 0,
        amounts=amounts,
        raw=record,
    )


@dataclass(frozen=True)
class PayoutPage:
    count: int | None
    records: tuple[PayoutRecord, ...]
    unreadable: int  # entries without a usable id


def parse_payout_page(data: Any) -> PayoutPage:
    page = as_dict(data)
    entries = [item for item in page.get("data") or [] if isinstance(item, dict)]
    records = [parse_payout(item) for item in entries]
    return PayoutPage(
        count=as_int(page.get("count")),
        records=tuple(r for r in records if r is not None),
        unreadable=sum(1 for r in records if r is None),
    )


def parse_balance(data: Any) -> dict[str, int]:
    """``transferBalance``'s ``balances``: minor units per currency (GeneralContracts
    TransferBalanceModel: ``map[string,int]``)."""
    balances = as_dict(as_dict(data).get("balances"))
    found = {str(k).upper()[:3]: as_int(v) for k, v in balances.items()}
    return {currency: amount for currency, amount in found.items() if amount is not None}


def merchant_of(snapshot: Any) -> str:
    """The merchant id a stored Payment Transaction snapshot names (PHP-SDK
    PaymentTransactionsProductModel ``merchant``, a GeneralMerchantsProductModel)."""
    return as_text(as_dict(as_dict(snapshot).get("merchant")).get("id"))


def accrual_of(snapshot: Any) -> bool:
    """Whether a stored Payment Transaction snapshot says its payout is held (``accrual``)."""
    return as_dict(snapshot).get("accrual") is True
