"""The Smart Transaction actions after authorisation: ``/cancel``, ``/abort`` and ``/setDelivery``
(docs/provider.md, "Actions").

- ``/abort`` "abandons a Smart Transaction that has not yet been started" (JAVA-SDK): ``created``,
  ``failed`` and also ``approved``, whose authorised Payment Transactions are voided.
- ``/cancel`` "cancels the Smart Transaction" (JAVA-SDK). Before the payer has paid every Payment
  Transaction is voided (amount 0, no new transaction, as the Payment Transaction cancel does);
  once the payer has paid it is refused with 409, and refunds go through
  ``POST /Payment/Transactions/{id}/cancel`` (the sandbox's reading).
- ``/setDelivery``: intent order → ``shipped`` (``collected`` for a collection), intent sale stays
  ``ok``; invoices waiting for shipment are captured (86). Later calls overwrite the details and
  omitted ones are removed (DOC:Mark_as_Shipped, DOC:Mark_as_Collected_or_Shipped2; JAVA-SDK).

``/cancel`` leaves the Smart Transaction ``cancelled`` (DEMO-M ``src/migrate/cancel_order.php``
checks ``getStatus() === 'cancelled'`` after ``cancelTransaction``). The status ``/abort`` leaves
is undecided by public evidence (docs/provider.md, "Undecided"): the ``ABORT_STATUS`` switch
("cancelled" by default, or "failed"). Either way the transaction is ``closed`` and can no longer
be paid, on the API or on the hosted page.

A collection's pickup ``code`` is the provider's: a later ``/setDelivery`` that does not send one
keeps it (the sandbox's reading; the shop's own details are overwritten as documented).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from secu_marketplace.sandbox import clock, conf, transitions
from secu_marketplace.sandbox.errors import BadRequest, Conflict
from secu_marketplace.sandbox.models import ApiClient, PaymentTransaction, SmartTransaction
from secu_marketplace.sandbox.statuses import Simple

Kind = PaymentTransaction.Kind
# Not yet started (JAVA-SDK abort): nothing has been captured.
ABORTABLE = ("created", "failed", "approved")
# The status after /cancel (DEMO-M cancel_order.php).
CANCELLED = "cancelled"


def _void(pt: PaymentTransaction) -> None:
    """Cancel wholly before the payer paid: status void, amount 0 (JAVA-SDK cancel)."""
    if pt.status_simple in transitions.DEAD:
        return
    pt.amount = 0
    pt.save(update_fields=["amount"])
    transitions.set_simple(pt, Simple.VOID)


def _close(stx: SmartTransaction, status: str) -> None:
    stx.status = status
    stx.closed = True
    stx.updated = clock.now()
    stx.save(update_fields=["status", "closed", "updated"])


def cancel(client: ApiClient, stx_id: str) -> SmartTransaction:
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.closed:
            return stx
        payments = list(stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND))
        if any(pt.payer_paid for pt in payments):
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status} and the payer has paid; "
                "refund it through POST /Payment/Transactions/{id}/cancel"
            )
        for pt in payments:
            _void(pt)
        _close(stx, CANCELLED)
    return stx


def abort(client: ApiClient, stx_id: str) -> SmartTransaction:
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.closed:
            return stx
        if stx.status not in ABORTABLE:
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; only transactions not yet started "
                "can be aborted"
            )
        for pt in stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND):
            if pt.status_simple == Simple.AUTHORIZED:
                transitions.set_simple(pt, Simple.VOID)
        _close(stx, conf.switch("ABORT_STATUS"))
    return stx


SHIPPING_KEYS = ("type", "shipped_at", "shipped_by", "tracking_code", "invoice_number")
COLLECTION_KEYS = ("type", "scheduled_slot", "store_id", "delivered_at", "code")


def set_delivery(client: ApiClient, stx_id: str, body: Any) -> SmartTransaction:
    """``/setDelivery``: intent order moves to shipped/collected; invoices are captured."""
    data = body.get("delivery_options") if isinstance(body, dict) else None
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if not isinstance(data, dict):
            raise BadRequest("delivery_options: an object is required")
        if stx.status not in ("ok", "received", "collection", "shipped", "collected"):
            raise Conflict(f"Smart Transaction {stx_id} is {stx.status}; nothing to deliver yet")
        kind = data.get("type") or stx.delivery_options.get("type") or "shipping"
        if kind not in ("shipping", "collection"):
            raise BadRequest("delivery_options.type: must be shipping or collection")
        keys = SHIPPING_KEYS if kind == "shipping" else COLLECTION_KEYS
        # Repeated calls overwrite the detail fields; omitted ones are removed (JAVA-SDK). The
        # pickup code is secuconnect's, not one of the shop's details: it stays.
        code = stx.delivery_options.get("code") if kind == "collection" else None
        stx.delivery_options = {"type": kind, **{k: data[k] for k in keys[1:] if data.get(k)}}
        if code and not data.get("code"):
            stx.delivery_options["code"] = code
        if stx.intent == "order":
            stx.status = "shipped" if kind == "shipping" else "collected"
        for pt in stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND):
            if pt.status_simple == Simple.WAITING_FOR_SHIPMENT:
                transitions.capture_invoice(
                    pt,
                    {
                        key: value
                        for key, value in (
                            ("carrier", data.get("shipped_by")),
                            ("tracking_id", data.get("tracking_code")),
                            ("invoice_number", data.get("invoice_number")),
                            ("shipped_at", data.get("shipped_at")),
                        )
                        if value
                    },
                )
        stx.updated = clock.now()
        stx.save(update_fields=["status", "delivery_options", "updated"])
    return stx
