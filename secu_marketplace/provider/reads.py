"""Reading an attempt's state from secuconnect, and checking that the answer is really ours.

``fetch`` makes the calls (outside any lock): the Smart Transaction, each Payment Transaction it
lists (the leading one and one per sub-basket), and the refund transactions linked to them.
``verify`` compares the answer with what the attempt was created with; any difference is a
problem, and a problem is never paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secu_marketplace.models import CheckoutAttempt, Order, SubBasket
from secu_marketplace.provider.answers import (
    PCI_ID_RE,
    STX_ID_RE,
    PaymentData,
    SmartData,
    as_int,
    parse_payment,
    parse_smart,
    parse_time,
)
from secu_marketplace.provider.client import SecuconnectClient

__all__ = [
    "STX_ID_RE",
    "Snapshot",
    "as_int",
    "fetch",
    "parse_time",
    "read_payments",
    "verify",
]


@dataclass
class Snapshot:
    stx: SmartData
    payments: dict[str, PaymentData] = field(default_factory=dict)
    # refund PCI id -> the PCI id it refunds
    refund_parents: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.stx.status


def fetch(client: SecuconnectClient, stx_id: str, *, payments: bool = True) -> Snapshot:
    snap = Snapshot(stx=parse_smart(client.get_smart_transaction(stx_id)))
    if payments:
        read_payments(client, snap)
    return snap


def read_payments(client: SecuconnectClient, snap: Snapshot) -> Snapshot:
    """Add to ``snap`` the Payment Transactions its Smart Transaction lists, and their refunds."""
    for entry in snap.stx.transactions:
        snap.payments[entry.id] = parse_payment(client.get_payment_transaction(entry.id))
    for parent_id, data in list(snap.payments.items()):
        for child in data.refund_ids:
            if child not in snap.payments and PCI_ID_RE.match(child):
                snap.payments[child] = parse_payment(client.get_payment_transaction(child))
                snap.refund_parents[child] = parent_id
    return snap


def verify(
    attempt: CheckoutAttempt, order: Order, subs: dict[str, SubBasket], snap: Snapshot
) -> list[str]:
    """What in the answer does not belong to this attempt (empty: it is ours)."""
    stx = snap.stx
    problems: list[str] = []
    if stx.id != attempt.stx_id:
        problems.append(f"secuconnect answered for {stx.id!r}, not {attempt.stx_id}")
    # Tolerated when absent (older answers omit it); never when it names another order.
    if stx.merchant_ref is not None and stx.merchant_ref != order.reference:
        problems.append(f"merchantRef {stx.merchant_ref!r} is not this order's {order.reference!r}")
    if stx.contract_id and stx.contract_id != attempt.contract_id:
        problems.append(f"contract {stx.contract_id} is not {attempt.contract_id}")
    if stx.basket_sum != attempt.amount:
        problems.append(f"amount {stx.basket_sum_text} is not {attempt.amount}")
    if stx.currency != attempt.currency:
        problems.append(f"currency {stx.currency_text} is not {attempt.currency}")
    if stx.is_demo != attempt.is_demo:
        problems.append(f"is_demo {stx.is_demo_text} is not {attempt.is_demo}")
    for entry in stx.transactions:
        data = snap.payments.get(entry.id)
        if data is None:
            continue
        if data.id != entry.id:
            problems.append(f"asked for {entry.id}, secuconnect answered {data.id!r}")
        if data.currency and data.currency != attempt.currency:
            problems.append(f"{entry.id}: currency {data.currency_text} is not {attempt.currency}")
        reference = entry.reference_id or data.reference_id
        if reference:
            sub = subs.get(reference)
            if sub is None:
                problems.append(f"{entry.id}: sub-basket {reference!r} is not part of this order")
            elif data.amount is not None and data.amount > sub.sum:
                problems.append(
                    f"{entry.id}: amount {data.amount} exceeds sub-basket {reference} ({sub.sum})"
                )
        elif data.amount is not None and data.amount > attempt.amount:
            problems.append(
                f"{entry.id}: amount {data.amount} exceeds the order's {attempt.amount}"
            )
    return problems
