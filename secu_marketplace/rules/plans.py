"""What a decision asks the ledger to write: value objects only, built by ``rules.decide`` and
applied by ``ledger.commit``. Nothing here touches the database; rows are named by their keys
(a Payment Transaction by its PCI id, a refund record by its primary key)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One timeline row for one real change."""

    subject: str  # StatusEvent.Subject
    to_status: str
    from_status: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Move:
    """Where the order should go (the transition table still rules), and why."""

    target: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentWrite:
    """A Payment Transaction row to insert (``new``) or to update with ``fields``. ``parent``
    names the row a refund transaction refunds, by its PCI id (it may be new in the same plan)."""

    pci_id: str
    fields: dict[str, Any]
    new: bool
    parent: str = ""
    event: Event | None = None


@dataclass(frozen=True)
class RefundWrite:
    """A refund record to change (``record``: its primary key) or, for a refund made elsewhere
    (secuOffice), to create (``record`` None, with ``target``, ``amount`` and ``reason``)."""

    state: str
    refund_pci: str = ""  # its refund transaction, by PCI id ("" to leave it as it is)
    record: int | None = None
    target: str = ""  # the refunded transaction's PCI id, for a new record
    amount: int = 0
    currency: str = ""
    reason: str = ""
    event: Event | None = None
    done: bool = False  # it became done just now: the order_refunded signal is due


@dataclass(frozen=True)
class Plan:
    """Everything one provider answer changes for an order, decided at once."""

    attempt: dict[str, Any]  # the attempt's fields to set (its state through its table)
    payments: tuple[PaymentWrite, ...] = ()
    refunds: tuple[RefundWrite, ...] = ()
    # Where the order should go, in turn (the transition table still rules each move).
    order_moves: tuple[Move, ...] = ()
    order: dict[str, Any] = field(default_factory=dict)  # its other fields to set
    # Why the order needs review, set when it moves there in this commit.
    review_reason: str = ""
    events: tuple[Event, ...] = ()  # for the attempt (its status, a mismatch)
    problems: tuple[str, ...] = ()  # the answer is not this attempt's: nothing is paid
    stale: bool = False  # older than what is held: the attempt keeps its state
    # The parts whose dispute state moves (rules.disputes.DisputeWrite).
    disputes: tuple[Any, ...] = ()
    # An invoice's buyer paid it with this answer: the invoice_paid signal is due.
    invoice_paid: bool = False
