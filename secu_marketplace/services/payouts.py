"""secuconnect's payouts, synced: read ``GET /Payment/Payouts``, group the records into
transfers, tie each record to the part it settles, record them (``ledger/payouts.py``); and a
contract's balance (``transferBalance``).

Runs from ``secu_sync`` (every run), the ``books_upkeep`` task, and a ``payment.payouts`` push
(at the payout push URL, or at any checkout's push URL: nothing public says where secuconnect
sends one; docs/provider.md, "Payouts and held money").

Matching (the reading docs/provider.md gives): a record's ``trans_id`` names one of the app's
sub-transactions; its ``merchant`` says whose money it is. The sub-transaction's own snapshot
names the supplier's merchant, the order's leading transaction the marketplace's: a record with
the first is the supplier's payout for that part, with the second the marketplace's fee from it.
Anything else is kept unmatched with the reason, listed for staff, and tried again at every sync
(the order may be synced after its payout arrives).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import SecuconnectError
from secu_marketplace.ledger import payouts as payout_writes
from secu_marketplace.ledger.payouts import LineMatch, Transfer
from secu_marketplace.models import PaymentTransaction, PayoutLine, PushNotification, Supplier
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.payouts import (
    PAYOUT_TARGET,
    PayoutRecord,
    merchant_of,
    parse_balance,
    parse_payout_page,
)
from secu_marketplace.provider.pushes import MalformedPush, Push, parse, summary
from secu_marketplace.redaction import redact
from secu_marketplace.rules.statuses import AttemptState, PaymentRole
from secu_marketplace.services import limits

logger = logging.getLogger(__name__)

PAGE = 100
_WAITING = (PushNotification.Outcome.RECEIVED, PushNotification.Outcome.FAILED)
MAX_PAGES = 50  # a first sync reads at most 5,000 records; the next run reads on
REMATCH_LIMIT = 500


@dataclass
class PayoutSync:
    read: int = 0
    new: int = 0
    transfers: int = 0
    unmatched: int = 0
    rematched: int = 0
    error: str = ""
    touched: list[int] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return not self.error


def _read_pages(
    client: SecuconnectClient, summary: PayoutSync, start: int, found: dict[str, PayoutRecord]
) -> int | None:
    """Read pages from ``start`` until one brings nothing new (or the last, or ``MAX_PAGES``);
    add the new records to ``found`` (each once: newest-first pages shift when a payout
    arrives between two reads). The provider's total, when it says."""
    total = None
    for number in range(MAX_PAGES):
        page = parse_payout_page(client.list_payouts(count=PAGE, offset=start + number * PAGE))
        total = page.count if page.count is not None else total
        summary.read += len(page.records)
        ids = [r.id for r in page.records]
        known = set(
            PayoutLine.objects.filter(provider_id__in=ids).values_list("provider_id", flat=True)
        )
        fresh = [r for r in page.records if r.id not in known and r.id not in found]
        found.update((r.id, r) for r in fresh)
        if not fresh or len(page.records) < PAGE:
            break
    return total


def _new_records(client: SecuconnectClient, summary: PayoutSync) -> list[PayoutRecord]:
    """The records not recorded yet, newest first: the new ones at the top; then, while
    secuconnect lists more than the app holds (a first sync cut at ``MAX_PAGES``), the older
    ones from about where the app's own records end (each run reads on)."""
    found: dict[str, PayoutRecord] = {}
    total = _read_pages(client, summary, 0, found)
    held = PayoutLine.objects.count() + len(found)
    if total is not None and held < total:
        # The unread ones lie below the ``held`` newest; half a page of overlap, so that the
        # first page read there still brings new ones.
        _read_pages(client, summary, max(held - PAGE // 2, 0), found)
    return list(found.values())


def _payments(trans_ids: Iterable[int]) -> dict[int, list[PaymentTransaction]]:
    """The app's leading and sub-transactions with these TA numbers (settled attempts)."""
    rows = PaymentTransaction.objects.filter(
        trans_id__in=set(trans_ids),
        role__in=[PaymentRole.SUB, PaymentRole.LEADING],
        attempt__state=AttemptState.SETTLED,
    ).select_related("sub_basket__supplier")
    found: dict[int, list[PaymentTransaction]] = defaultdict(list)
    for row in rows:
        found[int(row.trans_id or 0)].append(row)
    return found


def _leading_merchants(payments: Iterable[PaymentTransaction]) -> dict[int, str]:
    """The merchant of each attempt's leading transaction (the marketplace's), by attempt."""
    attempts = {p.attempt_id for p in payments}
    leading = PaymentTransaction.objects.filter(
        attempt_id__in=attempts, role=PaymentRole.LEADING
    ).values_list("attempt_id", "snapshot")
    return {attempt: merchant_of(snapshot) for attempt, snapshot in leading}


Owner = tuple[str, int | None, bool]  # (contract, supplier id, is the marketplace's own)


def _match(
    record: PayoutRecord,
    rows: list[PaymentTransaction],
    marketplace: dict[int, str],
) -> tuple[LineMatch, Owner | None]:
    """The record's part and whose payout it is, or why not."""
    if record.trans_id is None:
        return LineMatch(record, unmatched="names no trans_id"), None
    parts = [(p, p.sub_basket) for p in rows if p.role == PaymentRole.SUB]
    found = [(sub, part) for sub, part in parts if part is not None]
    if not found:
        reason = "a payment the app does not hold" if not rows else "not a supplier's part"
        return LineMatch(record, unmatched=f"trans_id {record.trans_id}: {reason}"), None
    sub, part = found[-1]
    matched = LineMatch(record, payment_id=sub.pk, sub_basket_id=part.pk)
    if record.merchant_id and record.merchant_id in (
        merchant_of(sub.snapshot),
        part.supplier.merchant_id,
    ):
        return matched, (str(part.contract_id), part.supplier_id, False)
    if record.merchant_id and record.merchant_id == marketplace.get(sub.attempt_id):
        return matched, (str(app_settings.CONTRACT_ID), None, True)
    return LineMatch(
        record,
        unmatched=f"trans_id {record.trans_id}: paid to merchant {record.merchant_id or '?'}, "
        "which this payment does not name",
    ), None


def _owner(matches: list[tuple[LineMatch, Owner | None]]) -> Owner:
    """Whose contract a transfer paid, from its matched lines; ("", None, False) when they do
    not agree or none matched."""
    owners = {owner for _line, owner in matches if owner is not None}
    return owners.pop() if len(owners) == 1 else ("", None, False)


def _transfers(records: list[PayoutRecord]) -> list[Transfer]:
    # One transfer per contract, purpose, date and currency: money in two currencies is two
    # transfers, never one sum.
    groups: dict[tuple[str, str, str, str], list[PayoutRecord]] = defaultdict(list)
    for record in records:
        key = (record.merchant_id, record.purpose, record.date_text, record.currency)
        groups[key].append(record)
    payments = _payments(r.trans_id for r in records if r.trans_id is not None)
    marketplace = _leading_merchants(p for rows in payments.values() for p in rows)
    transfers = []
    for (merchant, purpose, date_text, _currency), group in groups.items():
        matches = [_match(r, payments.get(r.trans_id or 0, []), marketplace) for r in group]
        contract, supplier_id, for_marketplace = _owner(matches)
        if not contract and merchant:
            known = Supplier.objects.filter(merchant_id=merchant).first()
            if known is not None:
                contract, supplier_id = str(known.contract_id), known.pk
        first = group[0]
        transfers.append(
            Transfer(
                merchant_id=merchant,
                purpose=purpose,
                date_text=date_text,
                date=first.date,
                currency=first.currency,
                receiver=first.receiver,
                contract_id=contract,
                supplier_id=supplier_id,
                for_marketplace=for_marketplace,
                lines=tuple(m for m, _owner in matches),
            )
        )
    return transfers


def _rematch() -> int:
    """Try the lines that were not matched again (their orders may be synced now)."""
    # Only lines whose payment the app holds now: the many that never will (another shop's
    # payments on the same contract) never crowd them out.
    held = PaymentTransaction.objects.filter(
        trans_id=OuterRef("trans_id"),
        role__in=[PaymentRole.SUB, PaymentRole.LEADING],
        attempt__state=AttemptState.SETTLED,
    )
    unmatched = PayoutLine.objects.exclude(unmatched="").filter(trans_id__isnull=False)
    lines = list(unmatched.filter(Exists(held)).order_by("pk")[:REMATCH_LIMIT])
    if not lines:
        return 0
    payments = _payments(int(line.trans_id or 0) for line in lines)
    marketplace = _leading_merchants(p for rows in payments.values() for p in rows)
    found: dict[int, LineMatch] = {}
    owners: dict[int, set[Owner]] = defaultdict(set)
    for line in lines:
        record = PayoutRecord(
            id=line.provider_id,
            trans_id=line.trans_id,
            merchant_id=merchant_of({"merchant": line.snapshot.get("merchant")}),
            receiver="",
            purpose="",
            date=None,
            date_text="",
            currency="",
            amount=line.amount,
            amounts={},
            raw={},
        )
        match, owner = _match(record, payments.get(int(line.trans_id or 0), []), marketplace)
        found[line.pk] = match
        if owner is not None:
            owners[line.payout_id].add(owner)
    done = payout_writes.rematched(found)
    for payout_id, seen in owners.items():
        if len(seen) == 1:  # the transfer's contract, now that its lines tell it
            contract, supplier_id, marketplace_own = seen.pop()
            payout_writes.resolved(
                payout_id,
                contract_id=contract,
                supplier_id=supplier_id,
                marketplace=marketplace_own,
            )
    return done


def sync_payouts(client: SecuconnectClient | None = None) -> PayoutSync:
    """Read the payouts secuconnect reports and record what is new; never raises for
    secuconnect being unreachable (``error`` says so, and the next run reads on)."""
    client = client or SecuconnectClient()
    summary = PayoutSync()
    try:
        records = _new_records(client, summary)
    except SecuconnectError as error:
        logger.warning("payouts could not be read: %s", error)
        summary.error = str(error)
        return summary
    for transfer in _transfers(records):
        payout, new = payout_writes.record(transfer)
        summary.new += new
        summary.transfers += 1
        summary.unmatched += sum(1 for line in transfer.lines if line.unmatched)
        summary.touched.append(payout.pk)
    summary.rematched = _rematch()
    # Every payout push that waited is answered by this read (pushes carry nothing but a hint).
    PushNotification.objects.filter(target=PAYOUT_TARGET, outcome__in=_WAITING).update(
        processed_at=timezone.now(), outcome=PushNotification.Outcome.PROCESSED
    )
    return summary


def transfer_balance(contract_id: str, client: SecuconnectClient | None = None) -> dict[str, int]:
    """What secuconnect says the contract is owed now, per currency (``transferBalance``)."""
    client = client or SecuconnectClient()
    return parse_balance(client.transfer_balance(contract_id))


# --- pushes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutPushAnswer:
    status: int
    message: str
    # Background tasks on: the sync is left to the books_upkeep task (the view enqueues it).
    enqueue: bool = False


def is_payout_push(push: Push) -> bool:
    return push.target == PAYOUT_TARGET and push.body.get("object") == "event.pushes"


def receive_push(raw: bytes, *, push: Push | None = None) -> PayoutPushAnswer:
    """A ``payment.payouts`` push: a hint to read the payouts again (it carries no figures).
    Stored in the push inbox like any push, then one sync; 503 while secuconnect cannot be
    reached, so secuconnect sends it again."""
    try:
        push = push or parse(raw)
    except MalformedPush as error:
        return PayoutPushAnswer(error.http_status, str(error))
    if not is_payout_push(push):
        return PayoutPushAnswer(200, f"ignored: target {push.target!r} is not payment.payouts")
    known = PushNotification.objects.filter(push_id=push.push_id).first()
    if known is not None and known.outcome == PushNotification.Outcome.PROCESSED:
        return PayoutPushAnswer(200, "already processed")
    if known is None and not _inbox_full():
        PushNotification.objects.get_or_create(
            push_id=push.push_id,
            defaults={
                "target": push.target[:40],
                "type": push.type,
                "object_ids": [str(i)[:80] for i in _named(push)][:20],
                "body": redact(summary(push.body, len(raw))),
            },
        )
    # One read per PUSH_READ_INTERVAL for the whole deployment, however many pushes come (any
    # of the shop's push URLs takes them): a push meanwhile waits for the next read.
    if not _claim_read():
        return PayoutPushAnswer(200, "queued")
    if app_settings.BACKGROUND_TASKS:
        return PayoutPushAnswer(200, "queued", enqueue=True)
    result = sync_payouts()
    if not result.reachable:
        _release_read()  # secuconnect sends it again: that one reads
        return PayoutPushAnswer(503, "could not read the payouts; please retry")
    return PayoutPushAnswer(200, "ok")


def _inbox_full() -> bool:
    """Whether today's ``PUSH_INBOX_LIMIT`` payout pushes are stored already: beyond it a push
    is still read for, but not stored."""
    key = f"secu_marketplace:payout-pushes:{timezone.now():%Y%m%d}"
    stored = limits.count_up(key, keep_for=2 * 24 * 3600)
    return stored is not None and stored > int(app_settings.PUSH_INBOX_LIMIT)


READ_KEY = "secu_marketplace:payout-read"


def _claim_read() -> bool:
    return limits.claim(READ_KEY, for_seconds=max(float(app_settings.PUSH_READ_INTERVAL), 1.0))


def _release_read() -> None:
    limits.release(READ_KEY)


def _named(push: Push) -> list[str]:
    items = push.body.get("data")
    return [
        str(item.get("id"))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and item.get("id")
    ]
