"""Reading an attempt's state from secuconnect, and checking that the answer is really ours.

``fetch`` makes the calls (outside any lock): the Smart Transaction, each Payment Transaction it
lists (the leading one and one per sub-basket), and the refund transactions linked to them.
``verify`` compares the answer with what the attempt was created with; any difference is a
problem, and a problem is never paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.models import Order, SmartTransaction, SubBasket

STX_ID_RE = re.compile(r"^STX_[A-Z0-9]{30}$")
PCI_ID_RE = re.compile(r"^PCI_[A-Z0-9]{30}$")
# ``ref_type_id`` of a refund in ``related_transactions`` (docs/provider.md, "Cancel and refund").
REFUND_REF_TYPE = "19"


@dataclass
class Snapshot:
    stx: dict[str, Any]
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # refund PCI id -> the PCI id it refunds
    refund_parents: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.stx.get("status") or "")

    def listed(self) -> list[dict[str, Any]]:
        """``transactions`` entries with well-formed PCI ids, leading first."""
        entries = [t for t in self.stx.get("transactions") or [] if isinstance(t, dict)]
        valid = [t for t in entries if PCI_ID_RE.match(str(t.get("id", "")))]
        return sorted(valid, key=lambda t: bool(t.get("reference_id")))


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


def fetch(client: SecuconnectClient, stx_id: str, *, payments: bool = True) -> Snapshot:
    snap = Snapshot(stx=client.get_smart_transaction(stx_id))
    if not payments:
        return snap
    for entry in snap.listed():
        snap.payments[entry["id"]] = client.get_payment_transaction(entry["id"])
    for parent_id, data in list(snap.payments.items()):
        for related in data.get("related_transactions") or []:
            if not isinstance(related, dict):
                continue
            child = str(related.get("id", ""))
            if (
                related.get("hierarchy") == "child"
                and str(related.get("ref_type_id")) == REFUND_REF_TYPE
                and PCI_ID_RE.match(child)
                and child not in snap.payments
            ):
                snap.payments[child] = client.get_payment_transaction(child)
                snap.refund_parents[child] = parent_id
    return snap


def _contract_id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def verify(
    attempt: SmartTransaction, order: Order, subs: dict[str, SubBasket], snap: Snapshot
) -> list[str]:
    """What in the answer does not belong to this attempt (empty: it is ours)."""
    stx = snap.stx
    problems: list[str] = []
    if stx.get("id") != attempt.stx_id:
        problems.append(f"secuconnect answered for {stx.get('id')!r}, not {attempt.stx_id}")
    ref = stx.get("merchantRef")
    # Tolerated when absent (older answers omit it); never when it names another order.
    if ref not in (None, "") and ref != order.reference:
        problems.append(f"merchantRef {ref!r} is not this order's {order.reference!r}")
    contract = _contract_id(stx.get("contract"))
    if contract and contract != attempt.contract_id:
        problems.append(f"contract {contract} is not {attempt.contract_id}")
    info = stx.get("basket_info") or {}
    amount = as_int(info.get("sum"))
    if amount != attempt.amount:
        problems.append(f"amount {info.get('sum')!r} is not {attempt.amount}")
    if (info.get("currency") or "EUR") != attempt.currency:
        problems.append(f"currency {info.get('currency')!r} is not {attempt.currency}")
    if bool(stx.get("is_demo")) != attempt.is_demo:
        problems.append(f"is_demo {stx.get('is_demo')!r} is not {attempt.is_demo}")
    for entry in snap.listed():
        data = snap.payments.get(entry["id"])
        if data is None:
            continue
        if data.get("id") != entry["id"]:
            problems.append(f"asked for {entry['id']}, secuconnect answered {data.get('id')!r}")
        if data.get("currency") and data.get("currency") != attempt.currency:
            problems.append(
                f"{entry['id']}: currency {data.get('currency')!r} is not {attempt.currency}"
            )
        pci_amount = as_int(data.get("amount"))
        reference = entry.get("reference_id") or data.get("reference_id")
        if reference:
            sub = subs.get(str(reference))
            if sub is None:
                problems.append(
                    f"{entry['id']}: sub-basket {reference!r} is not part of this order"
                )
            elif pci_amount is not None and pci_amount > sub.sum:
                problems.append(
                    f"{entry['id']}: amount {pci_amount} exceeds sub-basket {reference} ({sub.sum})"
                )
        elif pci_amount is not None and pci_amount > attempt.amount:
            problems.append(
                f"{entry['id']}: amount {pci_amount} exceeds the order's {attempt.amount}"
            )
    return problems
