"""Operations on Payment Transactions: cancel/refund, capture (invoice), shipping information and
the testing helper ``TestChangedPaymentStatus`` (docs/provider.md, "Payment Transactions" and
"Cancel and refund").

``/cancel`` as JAVA-SDK (PaymentTransactionsApi cancel) describes it: before the payer has paid
(an invoice, even a captured one; a prepayment waiting for the transfer; an authorised card) the
amount is reduced (``reduce_amount_by``) or, wholly, the transaction is voided with amount 0, and
no transaction is created. After the payer has paid a refund transaction is created (negative
amount, ``ref_type_id`` 19, DOC:Read_a_Payment_Transaction) and the original's ``amount`` stays.
``reduce_stakeholder_payment`` reduces the stakeholder share proportionately ("only for the mixed
basket", PHP-SDK PaymentTransactionCancelDTO.php). The deprecated ``amount`` is honoured with its
documented meaning (DOC "Cancel or Refund a Payment"): for an invoice it is the amount that is to
*remain*, for every other method the reduction; 0 means in full (PHP-SDK
``docs/Model/PaymentTransactionCancelDTO.md``: '"0" means full refund'). When both are sent,
``reduce_amount_by`` (its replacement) wins and ``amount`` is ignored (the sandbox's reading).
The answer is an array (PHP-SDK PaymentTransactionsApi.php): the transaction itself, then any
refund transactions created.

``/capture`` (invoice only, status 85 → 86 "abgeschlossen (Rechnung offen)", simple 1, cleared
"open", ``completion_date``/``invoice_number``/``order_id`` set; JAVA-SDK; DOC:Mark_as_Shipped):
the invoice is captured, the buyer has not paid.

Choices where nothing public decides (docs/provider.md, "Undecided"):

- With ``SECU_SANDBOX["REFUNDS"] == "settle"`` a refund is accepted at once; with "pending" it
  stays ``pending`` until the testing helper moves it (1: done, 3: failed).
- A partial cancel of a mixed basket's leading transaction is refused: a supplier's part is
  reduced through its sub-transaction. A full cancel of the leading one cancels every part.
- ``new_status_id`` of the testing helper (PRETIX) is a ``status_simple`` value (0-16): 1 on a
  prepayment is the transfer arriving; on an invoice 1 is its capture and 9 "paid" the buyer
  paying it (status 87).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import transaction

from secu_marketplace.sandbox import clock, conf, transitions
from secu_marketplace.sandbox.errors import BadRequest, Conflict, NotFound, unknown_id
from secu_marketplace.sandbox.models import ApiClient, PaymentTransaction
from secu_marketplace.sandbox.statuses import LEGACY_RESOURCES, SIMPLE_TEXT, Simple

Kind = PaymentTransaction.Kind
REASON_RE = re.compile(r"^[A-Za-z0-9 .,+\-:?()/']{0,100}$")
SHIPPING_FIELDS = ("carrier", "tracking_id", "invoice_number", "shipped_at", "order_id")


def get(client: ApiClient, pci_id: str) -> PaymentTransaction:
    from django.db.models import Q

    pt = (
        PaymentTransaction.objects.select_related(
            "merchant", "contract", "parent", "smart_transaction__customer"
        )
        .prefetch_related("children")
        .filter(Q(pci_id=pci_id) | Q(transaction_hash=pci_id))
        .filter(smart_transaction__client=client)
        .first()
    )
    if pt is None:
        raise unknown_id(f"Payment Transaction {pci_id} not found")
    return pt


def _reduce(
    pt: PaymentTransaction, amount: int, reason: str, reduce_stakeholder: bool
) -> list[PaymentTransaction]:
    """Cancel ``amount`` of one transaction; returns the refund transaction it created, if any."""
    left = transitions.remaining(pt)
    if not pt.payer_paid:
        # Before the payer has paid the amount itself shrinks; nothing new is created.
        if pt.payment_method == "creditcard" and amount < left and pt.partial_cancels >= 1:
            raise Conflict("a credit card payment can be partially cancelled once only")
        old = pt.amount
        pt.amount -= amount
        if reduce_stakeholder and old:
            pt.stakeholder_amount = pt.stakeholder_amount * pt.amount // old
        pt.partial_cancels += 1 if pt.amount else 0
        pt.description = reason or pt.description
        pt.updated = clock.now()
        pt.save(
            update_fields=[
                "amount",
                "stakeholder_amount",
                "partial_cancels",
                "description",
                "updated",
            ]
        )
        if pt.amount == 0:
            transitions.set_simple(pt, Simple.VOID)
        return []
    settle = conf.get("REFUNDS") == "settle"
    refund = transitions.create_pci(
        kind=Kind.REFUND,
        stx=pt.smart_transaction,
        parent=pt,
        contract=pt.contract,
        method=pt.payment_method,
        amount=-amount,
        currency=pt.currency,
        simple=Simple.ACCEPTED if settle else Simple.PENDING,
        url_push=pt.url_push,
        is_demo=pt.is_demo,
        reference_id=pt.reference_id,
        description=reason,
    )
    if reduce_stakeholder and pt.amount:
        refund.stakeholder_amount = -(pt.stakeholder_amount * amount // pt.amount)
        refund.save(update_fields=["stakeholder_amount"])
    if transitions.remaining(pt) == 0:
        transitions.set_simple(pt, Simple.VOID if settle else Simple.REFUND)
    return [refund]


def refund_in_full(pt: PaymentTransaction, amount: int) -> list[PaymentTransaction]:
    """Cancel ``amount`` (what is left) of ``pt``, as ``/cancel`` would (a Smart Transaction
    cancelled after its buyer paid, ``CANCEL_PAID`` "refund")."""
    return _reduce(pt, amount, "", False)


def _whole(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadRequest(f"{field}: must be an integer of at least {minimum}, got {value!r}")
    return value


def _reduction(pt: PaymentTransaction, data: dict[str, Any], left: int) -> tuple[str, int]:
    """By how much to cancel, and the field that said so: ``reduce_amount_by``; else the
    deprecated ``amount`` (an invoice's remaining amount, any other method's reduction, 0 in
    full); else everything that is left."""
    if data.get("reduce_amount_by") is not None:
        return "reduce_amount_by", _whole(data["reduce_amount_by"], "reduce_amount_by", 1)
    if data.get("amount") is None:
        return "reduce_amount_by", left
    amount = _whole(data["amount"], "amount", 0)
    if amount == 0:
        return "amount", left
    if pt.payment_method != "invoice":
        return "amount", amount
    if amount >= left:
        raise BadRequest(
            f"amount: for an invoice it is the amount that remains; {amount} leaves nothing to "
            f"cancel of the remaining {left}"
        )
    return "amount", left - amount


def cancel(client: ApiClient, pci_id: str, body: Any) -> list[PaymentTransaction]:
    data = body if isinstance(body, dict) else {}
    reason = data.get("reason") or ""
    if not isinstance(reason, str) or not REASON_RE.match(reason):
        raise BadRequest("reason: at most 100 characters of A-Z a-z 0-9 space . , + - : ? ( ) / '")
    reduce_stakeholder = bool(data.get("reduce_stakeholder_payment", False))
    with transaction.atomic():
        pt = transitions.lock_pci(client, pci_id)
        if pt.kind == Kind.REFUND:
            raise Conflict(f"{pt.pci_id} is a refund; refunds cannot be cancelled")
        if pt.status_simple in transitions.DEAD:
            raise Conflict(
                f"{pt.pci_id} is {SIMPLE_TEXT[pt.status_simple]}; nothing left to cancel"
            )
        left = transitions.remaining(pt)
        field, amount = _reduction(pt, data, left)
        if amount <= 0:
            raise BadRequest(f"{field}: nothing left to cancel of {pt.pci_id}")
        if amount > left:
            raise BadRequest(
                f"{field}: {amount} exceeds the remaining amount {left} of {pt.pci_id}"
            )
        subs = transitions.subs_of(pt) if pt.kind == Kind.ORIGINAL else []
        created: list[PaymentTransaction] = []
        if subs:
            if amount != left:
                raise BadRequest(
                    f"{field}: a mixed basket is reduced per supplier, through the "
                    "sub-transaction of the sub-basket; the leading transaction can only be "
                    "cancelled as a whole"
                )
            for sub in subs:
                sub_left = transitions.remaining(sub)
                if sub_left and sub.status_simple not in transitions.DEAD:
                    created += _reduce(sub, sub_left, reason, reduce_stakeholder)
            transitions.recompute_leading(pt)
        else:
            created += _reduce(pt, amount, reason, reduce_stakeholder)
        transitions.propagate(pt)
        pt.refresh_from_db()
    return [pt, *created]


def _shipping(data: Any) -> dict[str, Any]:
    info = data if isinstance(data, dict) else {}
    unknown = sorted(set(info) - set(SHIPPING_FIELDS))
    if unknown:
        raise BadRequest(f"shipping_information: unknown field(s) {', '.join(unknown)}")
    if info.get("shipped_at"):
        try:
            moment = datetime.fromisoformat(str(info["shipped_at"]))
        except ValueError:
            raise BadRequest(
                "shipping_information.shipped_at: must be ISO 8601 with a time zone"
            ) from None
        if moment.tzinfo is None:
            raise BadRequest("shipping_information.shipped_at: must carry a time zone offset")
    return {key: info.get(key) for key in SHIPPING_FIELDS if info.get(key) is not None}


def capture(client: ApiClient, pci_id: str, body: Any) -> PaymentTransaction:
    """Invoice capture with the final delivery: 85 (authorised invoice) → 86 / simple accepted,
    the buyer not paid yet. A leading transaction is captured with its sub-transactions."""
    data = body if isinstance(body, dict) else {}
    info = _shipping(data.get("shipping_information"))
    with transaction.atomic():
        pt = transitions.lock_pci(client, pci_id)
        if pt.payment_method != "invoice" or pt.kind == Kind.REFUND:
            raise Conflict(
                f"{pt.pci_id} is not an invoice payment; only invoices are captured here"
            )
        if pt.status_simple not in (Simple.AUTHORIZED, Simple.WAITING_FOR_SHIPMENT):
            raise Conflict(
                f"{pt.pci_id} is {SIMPLE_TEXT.get(pt.status_simple)}; capture needs an authorised "
                "invoice transaction (status 85)"
            )
        targets = [pt, *transitions.subs_of(pt)] if pt.kind == Kind.ORIGINAL else [pt]
        for target in targets:
            if target.status_simple not in (Simple.AUTHORIZED, Simple.WAITING_FOR_SHIPMENT):
                continue
            transitions.capture_invoice(target, info)
        transitions.propagate(pt)
        pt.refresh_from_db()
    return pt


def update_shipping(client: ApiClient, pci_id: str, body: Any) -> None:
    info = _shipping(body)
    with transaction.atomic():
        pt = transitions.lock_pci(client, pci_id)
        pt.shipping_information = {**(pt.shipping_information or {}), **info}
        if info.get("invoice_number"):
            pt.invoice_number = str(info["invoice_number"])
        pt.updated = clock.now()
        pt.save(update_fields=["shipping_information", "invoice_number", "updated"])


def test_change_status(
    client: ApiClient, resource: str, pci_id: str, body: Any
) -> PaymentTransaction:
    """The testing helper: force a simple status, as if the bank or a risk check had moved it."""
    method = LEGACY_RESOURCES.get(resource)
    if method is None:
        raise NotFound(f"unknown resource Payment/{resource}")
    data = body if isinstance(body, dict) else {}
    new = data.get("new_status_id")
    with transaction.atomic():
        pt = transitions.lock_pci(client, pci_id)
        if pt.payment_method != method:
            raise NotFound(f"{pt.pci_id} is not a {resource} transaction")
        if isinstance(new, bool) or not isinstance(new, int) or new not in SIMPLE_TEXT:
            raise BadRequest(f"new_status_id: must be a status_simple id (0-16), got {new!r}")
        targets = [pt]
        if pt.kind == Kind.ORIGINAL:
            # The leading transaction carries the whole payment: its parts move with it.
            targets += [
                s for s in transitions.subs_of(pt) if s.status_simple not in transitions.DEAD
            ]
        for target in targets:
            if method == "invoice" and new == Simple.ACCEPTED:
                transitions.capture_invoice(target, {})  # an invoice accepted is captured, not paid
            else:
                transitions.set_simple(target, new)
        transitions.propagate(pt)
        pt.refresh_from_db()
    return pt


def money_arrived_status(pt: PaymentTransaction) -> int:
    """The simple status that means "the buyer's money arrived": 9 "paid" for an invoice (87),
    1 "accepted" for everything else (a prepayment's transfer)."""
    return Simple.PAID if pt.payment_method == "invoice" else Simple.ACCEPTED


def change_status(pt: PaymentTransaction, new_status_id: int) -> PaymentTransaction:
    """``TestChangedPaymentStatus`` for a row instead of an API call (the sandbox's admin):
    the same change, made as the transaction's own client through its method's resource, so a
    person playing the demo can make a prepaid transfer "arrive" by hand."""
    resource = next(
        (name for name, method in LEGACY_RESOURCES.items() if method == pt.payment_method), None
    )
    if resource is None:
        raise NotFound(
            f"{pt.pci_id} is a {pt.payment_method} transaction; the testing helper only moves "
            f"{', '.join(sorted(LEGACY_RESOURCES.values()))} transactions"
        )
    return test_change_status(
        pt.smart_transaction.client, resource, pt.pci_id, {"new_status_id": new_status_id}
    )


def search(client: ApiClient, query: str) -> list[PaymentTransaction]:
    """``GET /Payment/Transactions?q=`` for ``parents.trans_id:<n>``, ``trans_id:<n>`` and
    ``transaction_hash:<h>``, the queries the SDK demos use to find sub-transactions."""
    found = PaymentTransaction.objects.filter(smart_transaction__client=client)
    for term in (t.strip() for t in query.split(" AND ") if t.strip()):
        name, _, value = term.partition(":")
        value = value.strip('"')
        if name in ("parents.trans_id", "trans_id") and not value.isdigit():
            raise BadRequest(f"q: {name} must be a number")
        if name == "parents.trans_id":
            found = found.filter(parent__trans_id=int(value))
        elif name == "trans_id":
            found = found.filter(trans_id=int(value))
        elif name == "transaction_hash":
            found = found.filter(transaction_hash=value)
        else:
            raise BadRequest(f"q: unsupported term {term!r}")
    return list(
        found.select_related("merchant", "contract", "parent", "smart_transaction__customer")
        .prefetch_related("children")
        .order_by("pk")  # creation order: leading first, then the basket's order
    )
