"""The moving parts every sandbox operation shares: new Payment Transactions, simple-status
changes (each one pushed), and how a Smart Transaction follows its leading Payment Transaction.

Callers hold the Smart Transaction's row lock (``lock_stx``) for the whole operation, so two
requests on the same transaction never interleave.

TA numbers (``trans_id``): 8 digits; a sub-transaction's follows the leading one consecutively
(DEMO custom_checkout_for_marketplace/Step3.php: 40015109 → 40015110). Each authorisation
reserves a block from a counter row in the database (docs/provider.md, "Smart Transactions").
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum

from secu_marketplace.sandbox import clock, conf, ids, pushes
from secu_marketplace.sandbox.errors import unknown_id
from secu_marketplace.sandbox.models import (
    ApiClient,
    Contract,
    PaymentTransaction,
    SandboxState,
    SmartTransaction,
)
from secu_marketplace.sandbox.statuses import Simple, captured_status, payer_pays

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
        raise unknown_id(f"Smart Transaction {stx_id} not found")
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
        raise unknown_id(f"Payment Transaction {pci_id} not found")
    SmartTransaction.objects.select_for_update().filter(pk=found[1]).first()
    return PaymentTransaction.objects.select_for_update().get(pk=found[0])


TRANS_ID_COUNTER = "trans_id.last"
TRANS_ID_FIRST = 40_000_001
TRANS_ID_LAST = 99_999_999


def reserve_trans_ids(count: int) -> int:
    """Reserve ``count`` consecutive TA numbers; returns the first.

    ``UPDATE ... SET number = number + count`` is atomic and row-locks the counter until the
    caller's transaction ends, so processes creating at once get disjoint blocks. The row is
    created on first use (above any TA number already in the 8-digit range); a process losing
    that race retries the update.
    """
    for _ in range(3):
        with transaction.atomic():
            if SandboxState.objects.filter(name=TRANS_ID_COUNTER).update(
                number=F("number") + count
            ):
                last = SandboxState.objects.get(name=TRANS_ID_COUNTER).number
                if last > TRANS_ID_LAST:
                    raise RuntimeError("the sandbox has run out of 8-digit TA numbers")
                return int(last) - count + 1
        highest = (
            PaymentTransaction.objects.filter(trans_id__range=(TRANS_ID_FIRST, TRANS_ID_LAST))
            .order_by("-trans_id")
            .values_list("trans_id", flat=True)
            .first()
        )
        try:
            with transaction.atomic():
                SandboxState.objects.create(
                    name=TRANS_ID_COUNTER, number=(highest or TRANS_ID_FIRST - 1) + count
                )
            return (highest or TRANS_ID_FIRST - 1) + 1
        except IntegrityError:
            continue  # another process created it just now: take a block from it
    raise RuntimeError("could not reserve TA numbers")


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
    url_push: str,
    is_demo: bool,
    trans_id: int | None = None,
    reference_id: str = "",
    stakeholder_amount: int = 0,
    description: str = "",
    accrual: bool = False,
) -> PaymentTransaction:
    trans_id = trans_id or reserve_trans_ids(1)
    now = clock.now()
    paid = kind != Kind.REFUND and bool(payer_pays(method, simple))
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
        payer_paid=paid,
        paid_at=now if paid else None,
        completion_date=now if simple in (Simple.ACCEPTED, Simple.PAID) else None,
        url_push=url_push,
        description=description,
        is_demo=is_demo,
        accrual=accrual,
        created=now,
        updated=now,
    )
    # A refund is a new transaction ("added"); an authorisation gives the payment its first
    # simple status, which is a change of status like every later one ("changed")
    # (DOC:Push_Notifications_for_Payments).
    push(pt, "added" if kind == Kind.REFUND else "changed")
    return pt


def push(pt: PaymentTransaction, event_type: str) -> None:
    """Queue a push for ``pt``, unless the SUB_PUSHES switch keeps sub-transactions quiet."""
    if pt.kind == Kind.SUB and not conf.switch("SUB_PUSHES"):
        return
    pushes.enqueue(pt, event_type)


def set_simple(pt: PaymentTransaction, simple: int, *, paid: bool | None = None) -> bool:
    """Move one Payment Transaction; a real change of the simple status is pushed.

    Whether the payer has paid follows from the new status (``statuses.payer_pays``) unless the
    caller says so (``paid``); void and refund leave it as it was. The first accepted or paid
    status sets ``completion_date``."""
    changed = pt.status_simple != simple
    pt.status_simple = simple
    if pt.kind != Kind.REFUND:
        news = payer_pays(pt.payment_method, simple) if paid is None else paid
        if news is not None:
            pt.payer_paid = news
    now = clock.now()
    if pt.payer_paid and pt.paid_at is None:
        pt.paid_at = now
    if simple in (Simple.ACCEPTED, Simple.PAID) and pt.completion_date is None:
        pt.completion_date = now
    pt.updated = now
    pt.save(update_fields=["status_simple", "payer_paid", "paid_at", "completion_date", "updated"])
    if changed:
        push(pt, "changed")
    return changed


def capture_invoice(pt: PaymentTransaction, info: dict[str, Any]) -> None:
    """Capture one invoice transaction: 86, accepted, unpaid, with the shipment's numbers.

    ``order_id`` falls back to the Smart Transaction's ``merchantRef``, ``invoice_number`` to the
    TA number: the real answer shows both set (DOC:Mark_as_Shipped); the fallbacks are the
    sandbox's own."""
    pt.shipping_information = info or None
    pt.invoice_number = str(info.get("invoice_number") or pt.invoice_number or pt.trans_id)
    pt.order_id = str(info.get("order_id") or pt.smart_transaction.merchant_ref or pt.trans_id)
    pt.save(update_fields=["shipping_information", "invoice_number", "order_id"])
    set_simple(pt, Simple.ACCEPTED, paid=False)


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
    if not leading.payer_paid:
        # Before the payer has paid, a reduction shrinks the amount (JAVA-SDK cancel).
        leading.amount = sum(sub.amount for sub in subs)
        leading.save(update_fields=["amount"])
    statuses = {sub.status_simple for sub in subs}
    if len(statuses) == 1:
        set_simple(leading, statuses.pop(), paid=all(sub.payer_paid for sub in subs))
    elif statuses <= {Simple.VOID, Simple.REFUND, Simple.ACCEPTED, Simple.PAID} and (
        statuses & {Simple.ACCEPTED, Simple.PAID}
    ):
        # Some suppliers refunded, others not: the payment as a whole still stands.
        set_simple(leading, Simple.ACCEPTED)


def enter_captured(stx: SmartTransaction, status: str) -> None:
    """The payment is started: the Smart Transaction takes ``status``; a collection gets its
    pickup ``code`` now, unless the shop sent one (SDK-T; SmartTransactionsCollectionModel)."""
    stx.status = status
    if status == "collection" and not stx.delivery_options.get("code"):
        stx.delivery_options = {**stx.delivery_options, "code": ids.pickup_code()}


def follow(stx: SmartTransaction | None) -> None:
    """Move the Smart Transaction after its leading Payment Transaction
    (DOC:Status_Flow_of_a_Smart_Transaction)."""
    if stx is None:
        return
    leading = stx.payment_transactions.filter(kind=Kind.ORIGINAL, unlinked=False).first()
    if leading is None:
        return
    before = stx.status
    simple = leading.status_simple
    if simple in (Simple.ACCEPTED, Simple.PAID) and stx.status in ("approved", "pending"):
        enter_captured(stx, captured_status(stx.intent, stx.delivery_options.get("type", "")))
    elif simple == Simple.DENIED and stx.status in AWAITING:
        stx.status = "failed"
    elif simple == Simple.VOID and stx.status in AWAITING:
        # Voided before the payer paid: the CANCEL_STATUS switch (undecided for a void through
        # the Payment Transaction; /cancel itself answers "cancelled"), and never payable again.
        # After that, refunds show on the Payment Transactions only: what they do to the Smart
        # Transaction is undocumented, so it stays as it is.
        stx.status = conf.switch("CANCEL_STATUS")
        stx.closed = True
    if stx.status != before:
        stx.updated = clock.now()
        stx.save(update_fields=["status", "closed", "delivery_options", "updated"])


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
