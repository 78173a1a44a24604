"""Reading an attempt's state from secuconnect: the calls, made outside any lock.

``fetch`` reads the Smart Transaction, each Payment Transaction it lists (the leading one and one
per sub-basket), and the refund transactions linked to them, into a ``Snapshot``
(``provider.answers``);
``search_by_reference`` finds Smart Transactions by the order's reference (a lost create's).
Whether an answer is really the attempt's is ``rules.verify``'s question.
"""

from __future__ import annotations

from secu_marketplace.exceptions import BadRequest
from secu_marketplace.provider.answers import (
    PCI_ID_RE,
    SmartData,
    Snapshot,
    parse_payment,
    parse_search,
    parse_smart,
)
from secu_marketplace.provider.client import SecuconnectClient


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


# How the real ``q`` spells the merchant reference is undecided (docs/provider.md, "Undecided"):
# the wire name is ``merchantRef``; a search index may know it as ``merchant_ref``.
QUERY_SPELLINGS = ("merchantRef", "merchant_ref")


def search_by_reference(client: SecuconnectClient, reference: str) -> list[SmartData]:
    """Smart Transactions whose merchant reference is ``reference``, under either spelling."""
    first, *others = QUERY_SPELLINGS
    for name in others:
        try:
            return parse_search(client.search_smart_transactions(f"{first}:{reference}"))
        except BadRequest:  # this host does not know the field by that name: try the other
            first = name
    return parse_search(client.search_smart_transactions(f"{first}:{reference}"))
