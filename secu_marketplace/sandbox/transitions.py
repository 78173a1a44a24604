"""The moving parts every sandbox operation shares: new Payment Transactions, simple-status
changes (each one pushed), and how a Smart Transaction follows its leading Payment Transaction.

Callers hold the Smart Transaction's row lock (``lock_stx``) for the whole operation, so two
requests on the same transaction never interleave.
"""

from __future__ import annotations

import secrets

from django.db.models import Q, Sum
from django.utils import timezone

from . import ids, pushes
from .errors import NotFound
from .models import ApiClient, Contract, PaymentTransaction, SmartTransaction
from .statuses import Simple, captured_status

Kind = PaymentTransaction.Kind

# Simple statuses after which a transaction can no longer change by itself.
DEAD = {Simple.DENIED, Simple.VOID}
# The Smart Transaction statuses that still wait for the money.
AWAITING = {"created", "approved", "pending"}


def lock_stx(client: ApiClient, stx_id: str) -> SmartTransaction:
    """The caller's own Smart Transaction, row-locked; anyone else's is "not found".

    Visibility is per API client (issue 2: "a client sees only its own transactions"), also
    between two clients of the same merchant."""
    stx = SmartTransaction.objects.select_for_update().filter(stx_id=stx_id, client=client).first()
    if stx is None:
        raise NotFound(f"Smart Transaction {stx_id} not found")
    return stx


def lock_pci(client: ApiClient, pci_id: str) -> PaymentTransaction:
    """A Payment Transaction of the caller's Smart Transactions, by PCI id or legacy hash, locked
    after its Smart Transaction (always the same lock order: Smart Transaction, then payments)."""
    found = (
        PaymentTransaction.objects.filter(Q(pci_id=pci_id) | Q(transaction_hash=pci_id))
        .filter(smart_transaction__client=client)
        .values_list("pk", "smart_transaction_id")
        .first()
    )
    if found is None:
        raise NotFound(f"Payment Transaction {pci_id} not found")
    SmartTransaction.objects.select_for_update().filter(pk=found[1]).first()
    return PaymentTransaction.objects.select_for_update().get(pk=found[0])


def new_trans_id() -> int:
    # TA numbers are nine digits; random keeps processes from racing for a counter.
    while True:
        candidate = 100_000_000 + secrets.randbelow(900_000_000)
        if not PaymentTransaction.objects.filter(trans_id=candidate).exists():
            return candidate


def create_pci(
    *,
    kind: str,
    stx: SmartTransaction,
    parent: PaymentTransaction | None,
    contract: Contract,
    method: str,
    amount: int,
    currency: str,
    simple: int,
    executed: bool,
    url_push: str,
    is_demo: bool,
    reference_id: str = "",
    stakeholder_amount: int = 0,
    description: str = "",
) -> PaymentTransaction:
    trans_id = new_trans_id()
    if kind == Kind.SUB and parent is not None:
        tx_hash = f"{parent.transaction_hash}_{trans_id}"
    else:
        tx_hash = ids.transaction_hash()
    pt = PaymentTransaction.objects.create(
        pci_id=ids.object_id("PCI"),
        trans_id=trans_id,
        transaction_hash=tx_hash,
        kind=kind,
        smart_transaction=stx,
        parent=parent,
        merchant=contract.merchant,
        contract=contract,
        reference_id=reference_id,
        payment_method=method,
        amount=amount,
        original_amount=amount,
        stakeholder_amount=stakeholder_amount,
        currency=currency,
        status_simple=simple,
        executed=executed,
        url_push=url_push,
        description=description,
        is_demo=is_demo,
        updated=timezone.now(),
    )
    # A refund is a new transaction ("added", §5); an authorisation gives the payment its first
    # simple status, which is a change of status like every later one ("changed").
    pushes.enqueue(pt, "added" if kind == Kind.REFUND else "changed")
    return pt


def set_simple(pt: PaymentTransaction, simple: int, *, executed: bool | None = None) -> bool:
    """Move one Payment Transaction; a real change of the simple status is pushed."""
    changed = pt.status_simple != simple
    pt.status_simple = simple
    if executed is not None:
        pt.executed = executed
    pt.updated = timezone.now()
    pt.save(update_fields=["status_simple", "executed", "updated"])
    if changed:
        pushes.enqueue(pt, "changed")
    return changed


def refunded(pt: PaymentTransaction) -> int:
    """What refunds (open or completed, not failed) have taken from ``pt`` so far."""
    total = (
        pt.children.filter(kind=Kind.REFUND)
        .exclude(status_simple=Simple.DENIED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return -(total or 0)


def remaining(pt: PaymentTransaction) -> int:
    """What is left of ``pt`` after cancellations and refunds (``checkStatus``'s ``amount``).

    A mixed basket's leading transaction carries the whole payment, but its refunds hang off the
    sub-transactions (a supplier's part is refunded through its sub-transaction): what is left
    of it is what is left of its parts."""
    if pt.status_simple in DEAD:
        return 0
    if pt.kind == Kind.ORIGINAL:
        subs = subs_of(pt)
        if subs:
            return sum(remaining(sub) for sub in subs)
    return max(pt.amount - refunded(pt), 0)


def subs_of(leading: PaymentTransaction) -> list[PaymentTransaction]:
    return list(leading.children.filter(kind=Kind.SUB).order_by("pk"))  # basket order


def recompute_leading(leading: PaymentTransaction) -> None:
    """A mixed basket's leading transaction mirrors its sub-transactions once they all agree."""
    subs = subs_of(leading)
    if not subs:
        return
    if not leading.executed:
        leading.amount = sum(sub.amount for sub in subs)
        leading.save(update_fields=["amount"])
    statuses = {sub.status_simple for sub in subs}
    if len(statuses) == 1:
        set_simple(leading, statuses.pop(), executed=all(sub.executed for sub in subs))
    elif statuses <= {Simple.VOID, Simple.REFUND, Simple.ACCEPTED, Simple.PAID} and (
        statuses & {Simple.ACCEPTED, Simple.PAID}
    ):
        # Some suppliers refunded, others not: the payment as a whole still stands.
        set_simple(leading, Simple.ACCEPTED)


def follow(stx: SmartTransaction | None) -> None:
    """Move the Smart Transaction after its leading Payment Transaction (§3.1)."""
    if stx is None:
        return
    leading = stx.payment_transactions.filter(kind=Kind.ORIGINAL, unlinked=False).first()
    if leading is None:
        return
    before = stx.status
    simple = leading.status_simple
    if simple in (Simple.ACCEPTED, Simple.PAID) and stx.status in ("approved", "pending"):
        stx.status = captured_status(stx.intent, stx.delivery_options.get("type", ""))
    elif simple == Simple.DENIED and stx.status in AWAITING:
        stx.status = "failed"
    elif simple == Simple.VOID and stx.status in AWAITING:
        # Voided before any money moved. After that, refunds show on the Payment Transactions
        # only: what they do to the Smart Transaction is undocumented, so it stays as it is.
        stx.status = "cancelled"
    if stx.status != before:
        stx.updated = timezone.now()
        stx.save(update_fields=["status", "updated"])


def propagate(pt: PaymentTransaction) -> None:
    """After ``pt`` changed: settle its parent (leading or refunded transaction), then the STX."""
    if pt.kind == Kind.SUB and pt.parent is not None:
        recompute_leading(pt.parent)
    elif pt.kind == Kind.REFUND and pt.parent is not None:
        origin = pt.parent
        if pt.status_simple in (Simple.ACCEPTED, Simple.PAID) and remaining(origin) == 0:
            set_simple(origin, Simple.VOID)
        elif pt.status_simple == Simple.DENIED and origin.status_simple == Simple.REFUND:
            set_simple(origin, Simple.ACCEPTED)
        propagate(origin)
        return
    follow(pt.smart_transaction)
