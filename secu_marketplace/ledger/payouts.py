"""Payouts, written: each transfer once, each record of it once, its sums from its lines.

Two syncs reading the same payouts at once (a push and ``secu_sync``) both try to record them:
the transfer's row is locked while its lines are added, and a second insert of the same
transfer or record is refused by the unique keys and skipped, so nothing is counted twice.
Payouts belong to no order: they are not part of an order's lock order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum

from secu_marketplace.models import Payout, PayoutLine
from secu_marketplace.provider.payouts import AMOUNT_FIELDS, PayoutRecord
from secu_marketplace.redaction import redact


@dataclass(frozen=True)
class LineMatch:
    """A record and what it settles: one of the app's Payment Transactions and its part, or why
    none."""

    record: PayoutRecord
    payment_id: int | None = None
    sub_basket_id: int | None = None
    unmatched: str = ""


@dataclass(frozen=True)
class Transfer:
    """One transfer's records, and whose contract it paid (``contract_id`` "" when unknown)."""

    merchant_id: str
    purpose: str
    date_text: str
    date: datetime | None
    currency: str
    receiver: str
    contract_id: str
    supplier_id: int | None
    for_marketplace: bool
    lines: tuple[LineMatch, ...]


def record(transfer: Transfer) -> tuple[Payout, int]:
    """Record ``transfer`` (adding the records not kept yet); returns the payout and how many
    records were new."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return _record(transfer)
        except IntegrityError:
            continue  # another sync recorded the transfer or a record just now: read it again
    raise RuntimeError(f"could not record payout {transfer.purpose!r}")


def _record(transfer: Transfer) -> tuple[Payout, int]:
    payout, _created = Payout.objects.select_for_update().get_or_create(
        merchant_id=transfer.merchant_id,
        purpose=transfer.purpose,
        date_text=transfer.date_text,
        currency=transfer.currency,
        defaults={"date": transfer.date},
    )
    known = set(payout.lines.values_list("provider_id", flat=True))
    new = [
        PayoutLine(
            payout=payout,
            provider_id=line.record.id,
            trans_id=line.record.trans_id,
            amount=line.record.amount,
            payment_id=line.payment_id,
            sub_basket_id=line.sub_basket_id,
            unmatched=line.unmatched[:200],
            snapshot=redact(line.record.raw),
            **{**line.record.amounts, "payout_amount": line.record.paid_out},
        )
        for line in transfer.lines
        if line.record.id not in known
    ]
    PayoutLine.objects.bulk_create(new)
    if transfer.contract_id and not payout.contract_id:
        payout.contract_id = transfer.contract_id
        payout.supplier_id = transfer.supplier_id
        payout.for_marketplace = transfer.for_marketplace
    payout.receiver = payout.receiver or transfer.receiver
    _total(payout)
    payout.save()
    return payout, len(new)


def _total(payout: Payout) -> None:
    sums = payout.lines.aggregate(
        **{name: Sum(name) for name in AMOUNT_FIELDS},
        unmatched=Count("pk", filter=~Q(unmatched="")),
    )
    for name in AMOUNT_FIELDS:
        setattr(payout, name, int(sums[name] or 0))
    payout.unmatched = int(sums["unmatched"] or 0)


def rematched(matches: dict[int, LineMatch]) -> int:
    """Lines matched later (the order was synced after the payout came): by line id. Returns
    how many were matched now; each payout's count of unmatched lines follows."""
    done = 0
    with transaction.atomic():
        lines = PayoutLine.objects.select_for_update().filter(pk__in=list(matches))
        touched: set[int] = set()
        for line in lines:
            found = matches[line.pk]
            if found.unmatched:
                continue
            line.payment_id, line.sub_basket_id, line.unmatched = (
                found.payment_id,
                found.sub_basket_id,
                "",
            )
            line.save(update_fields=["payment", "sub_basket", "unmatched"])
            touched.add(line.payout_id)
            done += 1
        for payout in Payout.objects.select_for_update().filter(pk__in=touched):
            _total(payout)
            payout.save(update_fields=["unmatched", *AMOUNT_FIELDS, "updated"])
    return done


def resolved(
    payout_id: int, *, contract_id: str, supplier_id: int | None, marketplace: bool
) -> None:
    """The transfer's contract, once its lines tell it (a payout that has one keeps it)."""
    Payout.objects.filter(pk=payout_id, contract_id="").update(
        contract_id=contract_id, supplier_id=supplier_id, for_marketplace=marketplace
    )
