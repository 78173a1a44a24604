"""Refund records kept true to what secuconnect says, and what is left to refund.

Each refund transaction an answer shows is matched to our record (by its id, or to the request
still waiting for it by target and amount); one nobody requested here was made elsewhere
(secuOffice) and is recorded as such. A record becomes done only when its refund transaction is
executed (``REFUND_TRANSITIONS``: done is final). A record whose call ended without a refund
transaction is settled from the answer: a reduction shows as its target's amount gone down; a
refund that shows no transaction never ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from secu_marketplace.rules.payments import DONE_SIMPLE, FAILED_SIMPLE
from secu_marketplace.rules.plans import Event, RefundWrite
from secu_marketplace.rules.rows import Row
from secu_marketplace.rules.statuses import (
    REFUND_IN_FLIGHT,
    REFUND_TRANSITIONS,
    PaymentRole,
    RefundKind,
    RefundState,
    allowed,
)

if TYPE_CHECKING:
    from secu_marketplace.models import Refund

REFUND_EVENT = "refund"  # StatusEvent.Subject.REFUND


def state_for(simple: int | None) -> str:
    """A refund record's state as its refund transaction's simple status says."""
    if simple in DONE_SIMPLE:
        return RefundState.DONE
    if simple in FAILED_SIMPLE:
        return RefundState.FAILED
    return RefundState.PENDING


def next_state(current: str, reported: str) -> str:
    """``reported`` if the record may move there, else where it is."""
    return reported if allowed(REFUND_TRANSITIONS, current, reported) else current


def left_to_refund(amount: int | None, simple: int | None, records: Iterable[tuple]) -> int:
    """What is left to refund on a transaction of ``amount`` and simple status ``simple``,
    given the refund records in its scope as (kind, state, amount): the one rule, used by the
    refund service under its locks, by the sync and by ``read.balances``.

    Refunds count until they are known to have failed. A reduction lowers the target's own
    amount once done (the next sync shows it), so it counts only while it is in flight:
    otherwise two reductions sent at once could both take what is left."""
    if simple in FAILED_SIMPLE or not amount:
        return 0
    taken = sum(
        int(value)
        for kind, state, value in records
        if state != RefundState.FAILED
        and (
            kind == RefundKind.REFUND
            or (kind == RefundKind.REDUCTION and state in REFUND_IN_FLIGHT)
        )
    )
    return max(amount - taken, 0)


@dataclass
class _Record:
    """A refund record as the plan leaves it (``pk`` None: recorded now)."""

    pk: int | None
    kind: str
    state: str
    amount: int
    target: str
    refund_pci: str
    created: datetime | None
    updated: datetime | None
    answered: bool  # its call got an answer (an error with an HTTP status)
    target_amount_before: int | None


def _records(records: Iterable[Refund], pci_of: Mapping[int, str]) -> list[_Record]:
    return [
        _Record(
            pk=record.pk,
            kind=record.kind,
            state=record.state,
            amount=record.amount,
            target=pci_of.get(record.target_id, ""),
            refund_pci=record.refund_pci_id,
            created=record.created,
            updated=record.updated,
            answered=bool((record.error or {}).get("http_status")),  # own data
            target_amount_before=record.target_amount_before,
        )
        for record in records
    ]


def _match(row: Row, records: list[_Record]) -> _Record | None:
    for record in records:
        if record.refund_pci and record.refund_pci == row.pci_id:
            return record
    amount = -(row.amount or 0)
    for record in records:
        if (
            not record.refund_pci
            and record.target == row.parent
            and record.amount == amount
            and record.state in REFUND_IN_FLIGHT
        ):
            return record
    return None


def _linked(row: Row, records: list[_Record], currency: str) -> RefundWrite | None:
    """What ``row`` (a refund transaction) means for the records; the matched one is updated
    in ``records`` so no other row matches it."""
    record = _match(row, records)
    reported = state_for(row.status_simple)
    if record is None:
        # Made outside this app: recorded as pending, then moved as reported.
        state = next_state(RefundState.PENDING, reported)
        event = _event(RefundState.PENDING, state, None, row.pci_id, -(row.amount or 0))
        records.append(
            _Record(
                pk=None,
                kind=RefundKind.REFUND,
                state=state,
                amount=-(row.amount or 0),
                target=row.parent,
                refund_pci=row.pci_id,
                created=None,
                updated=None,
                answered=False,
                target_amount_before=None,
            )
        )
        return RefundWrite(
            state=state,
            refund_pci=row.pci_id,
            target=row.parent,
            amount=-(row.amount or 0),
            currency=row.currency or currency,
            reason=row.description[:100],
            event=event,
            done=state == RefundState.DONE,
        )
    state = next_state(record.state, reported)
    if state == record.state and record.refund_pci == row.pci_id:
        return None
    event = _event(record.state, state, record.pk, row.pci_id, record.amount)
    record.state, record.refund_pci = state, row.pci_id
    done = state == RefundState.DONE and event is not None
    return RefundWrite(state=state, refund_pci=row.pci_id, record=record.pk, event=event, done=done)


def _event(old: str, new: str, pk: int | None, pci: str, amount: int) -> Event | None:
    if old == new:
        return None
    return Event(REFUND_EVENT, new, old, {"refund": pk, "pci": pci, "amount": amount})


def _settled(
    record: _Record, rows: Mapping[str, Row], fetched_at: datetime, landing_window: float
) -> str | None:
    """What a record without a refund transaction turned out to be, read from an answer
    fetched at ``fetched_at``; None while that answer cannot tell. Only calls that had ended
    before the answer was asked for are settled: ones that were answered (a 500, say), or ones
    sent longer ago than a call can take."""
    if record.state not in REFUND_IN_FLIGHT or record.refund_pci or record.pk is None:
        return None
    if record.updated is None or record.updated >= fetched_at:
        return None  # it changed after this answer was asked for
    target = rows.get(record.target)
    before = record.target_amount_before
    if (
        record.kind == RefundKind.REDUCTION
        and before is not None
        and target is not None
        and target.amount is not None
        and target.amount <= before - record.amount
    ):
        return RefundState.DONE
    long_ago = record.created is not None and (
        record.created + timedelta(seconds=landing_window) < fetched_at
    )
    return RefundState.FAILED if record.answered or long_ago else None


def plan_refunds(
    records: Iterable[Refund],
    rows: Mapping[str, Row],
    pci_of: Mapping[int, str],
    *,
    currency: str,
    fetched_at: datetime | None,
    landing_window: float,
) -> tuple[list[RefundWrite], list[tuple[str, str, int]]]:
    """The refund records' changes for an answer whose rows (after its writes) are ``rows``,
    and every record's (kind, state, amount) afterwards."""
    plan_records = _records(records, pci_of)
    writes: list[RefundWrite] = []
    for row in rows.values():
        if row.role == PaymentRole.REFUND and row.parent and row.amount:
            write = _linked(row, plan_records, currency)
            if write is not None:
                writes.append(write)
    if fetched_at is not None:
        for record in plan_records:
            settled = _settled(record, rows, fetched_at, landing_window)
            if settled is None or not allowed(REFUND_TRANSITIONS, record.state, settled):
                continue
            detail = {"refund": record.pk, "amount": record.amount, "settled_by": "reading"}
            event = Event(REFUND_EVENT, settled, record.state, detail)
            record.state = settled
            writes.append(
                RefundWrite(
                    state=settled,
                    record=record.pk,
                    event=event,
                    done=settled == RefundState.DONE,
                )
            )
    return writes, [(r.kind, r.state, r.amount) for r in plan_records]


def fully_refunded(records: list[tuple[str, str, int]], leading: Row | None) -> bool:
    """Nothing is left of the payment, and refunds or reductions (an invoice cancelled before
    the buyer paid it) are what took it: none of them is still on its way."""
    states = {state for _kind, state, _amount in records}
    on_the_way = {RefundState.PENDING, *REFUND_IN_FLIGHT}
    if RefundState.DONE not in states or states & on_the_way:
        return False
    return (
        leading is not None and left_to_refund(leading.amount, leading.status_simple, records) == 0
    )
