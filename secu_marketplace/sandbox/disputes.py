"""The buyer's money comes back: a chargeback (card, PayPal) or a returned direct debit
("Rücklastschrift"), and later the issue resolved; as secuconnect reports them (docs/provider.md,
"Chargebacks and returned debits"): the Payment Transaction's simple status 4 "issue" with the
status text "Rückbelastung", then 6 "issue resolved" ("Rückbelastung erledigt"), each change
pushed. The Smart Transaction keeps its status: nothing public says one moves.

Which transactions secuconnect marks is undecided (docs/provider.md, "Undecided"). The sandbox
marks the transaction it is told of, and with the ``CHARGEBACK_PARTS`` switch on (the default)
a leading transaction's live sub-transactions with it: the whole payment came back. Off, only
the leading one is marked. Naming a sub-transaction marks that supplier's part alone.
"""

from __future__ import annotations

from django.db import transaction

from secu_marketplace.sandbox import conf, transitions
from secu_marketplace.sandbox.errors import Conflict
from secu_marketplace.sandbox.models import PaymentTransaction
from secu_marketplace.sandbox.statuses import SIMPLE_TEXT, Simple

Kind = PaymentTransaction.Kind
# Money that can come back: accepted or paid (an issue resolved may be charged back again).
RETURNABLE = (Simple.ACCEPTED, Simple.PAID, Simple.ISSUE_RESOLVED)


def _targets(pt: PaymentTransaction, wanted: tuple[int, ...]) -> list[PaymentTransaction]:
    targets = [pt]
    if pt.kind == Kind.ORIGINAL and conf.switch("CHARGEBACK_PARTS"):
        targets += [sub for sub in transitions.subs_of(pt) if sub.status_simple in wanted]
    return targets


def _move(pci_id: str, wanted: tuple[int, ...], new: int, what: str) -> PaymentTransaction:
    with transaction.atomic():
        found = (
            PaymentTransaction.objects.filter(pci_id=pci_id)
            .select_related("smart_transaction__client")
            .first()
        )
        if found is None:
            raise LookupError(f"no Payment Transaction {pci_id}")
        pt = transitions.lock_pci(found.smart_transaction.client, pci_id)
        if pt.kind == Kind.REFUND:
            raise Conflict(f"{pt.pci_id} is a refund: its money cannot {what}")
        if pt.status_simple not in wanted:
            raise Conflict(
                f"{pt.pci_id} is {SIMPLE_TEXT.get(pt.status_simple, pt.status_simple)}: its "
                f"money cannot {what}"
            )
        for target in _targets(pt, wanted):
            transitions.set_simple(target, new, paid=target.payer_paid)
        transitions.propagate(pt)
        pt.refresh_from_db()
    return pt


def money_back(pci_id: str) -> PaymentTransaction:
    """The buyer's money for ``pci_id`` came back: simple status 4 "issue", pushed."""
    return _move(pci_id, RETURNABLE, Simple.ISSUE, "come back")


def issue_resolved(pci_id: str) -> PaymentTransaction:
    """The issue on ``pci_id`` is resolved (the chargeback objected successfully): 6, pushed."""
    return _move(pci_id, (Simple.ISSUE,), Simple.ISSUE_RESOLVED, "be resolved (it has no issue)")
