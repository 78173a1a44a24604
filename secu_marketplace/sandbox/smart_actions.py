"""The Smart Transaction actions after authorisation: ``/cancel``, ``/abort`` and ``/setDelivery``
(docs/provider.md, "Actions").

- ``/abort`` "abandons a Smart Transaction that has not yet been started" (JAVA-SDK): ``created``,
  ``failed`` and also ``approved``, whose authorised Payment Transactions are voided.
- ``/cancel`` "cancels the Smart Transaction" (JAVA-SDK). Before the payer has paid every Payment
  Transaction is voided (amount 0, no new transaction, as the Payment Transaction cancel does);
  once the payer has paid it is refused with 409, and refunds go through
  ``POST /Payment/Transactions/{id}/cancel`` (the sandbox's reading; undecided: with the
  ``CANCEL_PAID`` switch "refund" the paid parts are refunded and the transaction cancelled).
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

from secu_marketplace.sandbox import clock, conf, payment_ops, transitions
from secu_marketplace.sandbox.errors import BadRequest, Conflict
from secu_marketplace.sandbox.models import ApiClient, PaymentTransaction, SmartTransaction
from secu_marketplace.sandbox.statuses import DeliveryType, Intent, Simple

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
        paid = [pt for pt in payments if pt.payer_paid]
        if paid and conf.switch("CANCEL_PAID") == "refuse":
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status} and the payer has paid; "
                "refund it through POST /Payment/Transactions/{id}/cancel"
            )
        _refund(paid)
        for pt in payments:
            if not pt.payer_paid:
                _void(pt)
        _close(stx, CANCELLED)
    return stx


def _refund(paid: list[PaymentTransaction]) -> None:
    """``CANCEL_PAID`` "refund": every paid part is refunded in full (a refund transaction each,
    as the Payment Transaction cancel makes one), the leading one through its parts."""
    parts = [pt for pt in paid if pt.kind == Kind.SUB] or paid
    for pt in parts:
        left = transitions.remaining(pt)
        if left and pt.status_simple not in transitions.DEAD:
            payment_ops.refund_in_full(pt, left)
            transitions.propagate(pt)


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
DETAIL_KEYS = {DeliveryType.SHIPPING: SHIPPING_KEYS, DeliveryType.COLLECTION: COLLECTION_KEYS}
DELIVERY_TYPES = tuple(DeliveryType)
# Captured or delivered already: there is something to ship or collect.
DELIVERABLE = ("ok", "received", "collection", "shipped", "collected")
# The shipment details an invoice's capture records, each from the delivery option it names.
SHIPMENT_DETAILS = (
    ("carrier", "shipped_by"),
    ("tracking_id", "tracking_code"),
    ("invoice_number", "invoice_number"),
    ("shipped_at", "shipped_at"),
)


def set_delivery(client: ApiClient, stx_id: str, body: Any) -> SmartTransaction:
    """``/setDelivery``: intent order moves to shipped/collected; invoices are captured."""
    data = body.get("delivery_options") if isinstance(body, dict) else None
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if not isinstance(data, dict):
            raise BadRequest("delivery_options: an object is required")
        if stx.status not in DELIVERABLE:
            raise Conflict(f"Smart Transaction {stx_id} is {stx.status}; nothing to deliver yet")
        kind = _delivery_type(data, stx.delivery_options)
        stx.delivery_options = _delivery_options(kind, data, stx.delivery_options)
        if stx.intent == Intent.ORDER:
            stx.status = "shipped" if kind == DeliveryType.SHIPPING else "collected"
        _capture_invoices(stx, data)
        stx.updated = clock.now()
        stx.save(update_fields=["status", "delivery_options", "updated"])
    return stx


def _delivery_type(data: dict[str, Any], current: dict[str, Any]) -> DeliveryType:
    """The type sent, else the one the transaction has, else shipping."""
    kind = data.get("type") or current.get("type") or DeliveryType.SHIPPING
    if kind not in DELIVERY_TYPES:
        raise BadRequest("delivery_options.type: must be shipping or collection")
    return DeliveryType(kind)


def _delivery_options(
    kind: DeliveryType, data: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any]:
    """The new options: repeated calls overwrite the detail fields and omitted ones are removed
    (JAVA-SDK). A collection's pickup code is secuconnect's, not one of the shop's details: it
    stays unless a new one is sent."""
    details = {key: data[key] for key in DETAIL_KEYS[kind][1:] if data.get(key)}
    options = {"type": kind.value, **details}
    code = current.get("code") if kind == DeliveryType.COLLECTION else None
    if code and not data.get("code"):
        options["code"] = code
    return options


def _capture_invoices(stx: SmartTransaction, data: dict[str, Any]) -> None:
    """Capture every invoice waiting for the shipment (85 -> 86), with the shipment's details."""
    for pt in stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND):
        if pt.status_simple == Simple.WAITING_FOR_SHIPMENT:
            shipment = {
                key: data.get(option) for key, option in SHIPMENT_DETAILS if data.get(option)
            }
            transitions.capture_invoice(pt, shipment)
