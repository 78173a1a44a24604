"""The order's Payment Transaction rows, as an answer would leave them.

``plan_payments`` compares each Payment Transaction of a provider answer with the row held for
it and says what to write: a new row, the changed fields of an existing one (never from an
answer older than the row's, and never a simple status that moves back a stage: see
``rules.payments``), or nothing. ``Row`` is a row's facts after those writes, for the decisions
that follow (is the payment void, what is left to refund).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from secu_marketplace.provider.answers import PaymentData
from secu_marketplace.redaction import redact
from secu_marketplace.rules.payments import SIMPLE_STATUS_TEXT, payment_may_move
from secu_marketplace.rules.plans import Event, PaymentWrite
from secu_marketplace.rules.statuses import PaymentRole

if TYPE_CHECKING:
    from secu_marketplace.models import CheckoutAttempt, PaymentTransaction, SubBasket
    from secu_marketplace.provider.answers import Snapshot

PAYMENT_EVENT = "payment"  # StatusEvent.Subject.PAYMENT


@dataclass(frozen=True)
class Row:
    """One Payment Transaction row's facts (``parent``: the PCI id it refunds, or "")."""

    pci_id: str
    attempt_id: int
    role: str
    parent: str
    sub_basket_id: int | None
    status_simple: int | None
    status: int | None
    amount: int | None
    currency: str
    description: str


def status_label(simple: int | None, text: str) -> str:
    """A simple status as staff read it (secuconnect's own text when it gave one)."""
    if simple is None:
        return ""
    return text or SIMPLE_STATUS_TEXT.get(simple, str(simple))


def rows_of(held: Iterable[PaymentTransaction]) -> dict[str, Row]:
    """The held rows' facts, by PCI id (parents named by PCI id, not by key)."""
    held = list(held)
    pci_of = {row.pk: row.pci_id for row in held}
    return {
        row.pci_id: Row(
            pci_id=row.pci_id,
            attempt_id=row.attempt_id,
            role=row.role,
            parent=pci_of.get(row.parent_id, "") if row.parent_id else "",
            sub_basket_id=row.sub_basket_id,
            status_simple=row.status_simple,
            status=row.status,
            amount=row.amount,
            currency=row.currency,
            description=str((row.snapshot or {}).get("description") or ""),  # own data
        )
        for row in held
    }


def _fields(
    data: PaymentData, role: str, reference: str, sub: SubBasket | None, listed: Any
) -> dict[str, Any]:
    return {
        "role": role,
        "sub_basket_id": sub.pk if sub is not None else None,
        "trans_id": (listed.trans_id if listed else None) or data.trans_id,
        "transaction_hash": ((listed.transaction_hash if listed else "") or data.transaction_hash)[
            :80
        ],
        "reference_id": reference[:50],
        "status_simple": data.status_simple,
        "status_simple_text": data.status_simple_text[:40],
        "status": data.status,
        "status_text": data.status_text[:80],
        "amount": data.amount,
        "currency": data.currency[:3],
        "snapshot": redact(data.raw),
        "provider_updated": data.updated,
    }


def _role(pci_id: str, reference: str, snap: Snapshot) -> str:
    if pci_id in snap.refund_parents:
        return PaymentRole.REFUND
    return PaymentRole.SUB if reference else PaymentRole.LEADING


def _unchanged(row: PaymentTransaction, fields: dict[str, Any], parent: str, pci_of: Any) -> bool:
    if pci_of(row.parent_id) != parent:
        return False
    return all(getattr(row, name) == value for name, value in fields.items())


def plan_payments(
    attempt: CheckoutAttempt,
    subs: Mapping[str, SubBasket],
    snap: Snapshot,
    held: Mapping[str, PaymentTransaction],
) -> list[PaymentWrite]:
    """What to write for each Payment Transaction of ``snap``: leading and sub-transactions
    first, then the refunds (whose parents they name)."""
    pci_of_pk = {row.pk: pci for pci, row in held.items()}

    def pci_of(pk: int | None) -> str:
        return pci_of_pk.get(pk, "") if pk else ""

    listed = {entry.id: entry for entry in snap.stx.transactions}
    ordered = [p for p in snap.payments if p not in snap.refund_parents] + list(snap.refund_parents)
    writes: list[PaymentWrite] = []
    for pci_id in ordered:
        data, entry = snap.payments[pci_id], listed.get(pci_id)
        reference = (entry.reference_id if entry else "") or data.reference_id
        role = _role(pci_id, reference, snap)
        sub = subs.get(reference) if role != PaymentRole.LEADING else None
        if role == PaymentRole.SUB and sub is None:
            continue  # verify() has flagged it; a row would break the model's rules
        fields = _fields(data, role, reference, sub, entry)
        parent = snap.refund_parents.get(pci_id, "")
        write = _write(attempt, pci_id, fields, parent, held.get(pci_id), pci_of)
        if write is not None:
            writes.append(write)
    return writes


def _write(
    attempt: CheckoutAttempt,
    pci_id: str,
    fields: dict[str, Any],
    parent: str,
    row: PaymentTransaction | None,
    pci_of: Any,
) -> PaymentWrite | None:
    after = status_label(fields["status_simple"], fields["status_simple_text"])
    detail = {
        "pci": pci_id,
        "role": fields["role"],
        "reference_id": fields["reference_id"],
        "amount": fields["amount"],
    }
    if row is None:
        event = Event(PAYMENT_EVENT, after, "", detail)
        return PaymentWrite(pci_id, {**fields, "attempt_id": attempt.pk}, True, parent, event)
    newer, held_at = fields["provider_updated"], row.provider_updated
    if held_at and newer and newer < held_at:
        return None  # an older answer than the one held
    if not payment_may_move(row.status_simple, fields["status_simple"]):
        # A status that would move the payment back a stage: the rest of the answer applies.
        fields = {
            **fields,
            "status_simple": row.status_simple,
            "status_simple_text": row.status_simple_text,
        }
        after = status_label(row.status_simple, row.status_simple_text)
    if _unchanged(row, fields, parent, pci_of):
        return None  # the answer repeats what is held (a push after the return page)
    before = row.status_label
    changed = Event(PAYMENT_EVENT, after, before, detail) if after != before else None
    return PaymentWrite(pci_id, fields, False, parent, changed)


def rows_after(held: Mapping[str, Row], writes: Iterable[PaymentWrite]) -> dict[str, Row]:
    """The rows' facts once ``writes`` are applied."""
    rows = dict(held)
    for write in writes:
        fields = write.fields
        base = rows.get(write.pci_id)
        facts = {
            "role": fields["role"],
            "parent": write.parent,
            "sub_basket_id": fields["sub_basket_id"],
            "status_simple": fields["status_simple"],
            "status": fields["status"],
            "amount": fields["amount"],
            "currency": fields["currency"],
            "description": str((fields["snapshot"] or {}).get("description") or ""),  # own data
        }
        if base is None:
            rows[write.pci_id] = Row(pci_id=write.pci_id, attempt_id=fields["attempt_id"], **facts)
        else:
            rows[write.pci_id] = replace(base, **facts)
    return rows
