"""Operations on Smart Transactions: create, update, authorise (prepare), capture (start), cancel,
abort and setDelivery, with the status paths of ``secuconnect-api.md`` §3.1.

Where the documentation is silent the sandbox picks one reading and says so here:

- ``/abort`` and ``/cancel`` leave the Smart Transaction ``cancelled``.
- ``/cancel`` is refused once money has moved; refunds go through the Payment Transactions.
- An authorisation needs a customer (given at creation, in the ``/prepare`` body, or on the
  hosted page), and invoice needs the customer's address.
- A declined authorisation leaves the Smart Transaction ``failed``; a new authorisation on it is
  allowed and unlinks the earlier Payment Transactions, as documented.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import ids, transitions
from .errors import BadRequest, Conflict, NotFound
from .models import ApiClient, Contract, Customer, PaymentTransaction, SmartTransaction
from .statuses import PAYMENT_METHODS, STX_PAYABLE, Simple, captured_status
from .validation import Normalised, normalise, normalise_contact

Kind = PaymentTransaction.Kind

# What secupay asks prepaid and invoice payers to transfer to (the guide's example account).
BANK_ACCOUNT = {
    "owner": "secupay AG",
    "iban": "DE81850400611005523759",
    "bic": "COBADEFFXXX",
    "bankname": "Commerzbank CC",
}
OUTCOMES = ("success", "declined")


def _customer(client: ApiClient, norm: Normalised) -> Customer | None:
    if norm.customer_id:
        customer = Customer.objects.filter(
            customer_id=norm.customer_id, merchant=client.merchant
        ).first()
        if customer is None:
            raise BadRequest(f"customer.id: unknown customer {norm.customer_id}")
        return customer
    if norm.customer_contact:
        return Customer.objects.create(
            customer_id=ids.object_id("PCU"),
            merchant=client.merchant,
            contact=norm.customer_contact,
        )
    return None


def _apply(stx: SmartTransaction, norm: Normalised) -> None:
    stx.contract = norm.contract
    stx.provider_contract = norm.provider_contract
    stx.intent = norm.intent
    stx.is_demo = norm.is_demo
    stx.basket = norm.basket
    stx.basket_info = norm.basket_info
    stx.payment_context = norm.payment_context
    stx.delivery_options = norm.delivery_options
    stx.merchant_ref = norm.merchant_ref
    stx.transaction_ref = norm.transaction_ref


def create(client: ApiClient, body: Any) -> SmartTransaction:
    norm = normalise(client, body)
    with transaction.atomic():
        now = timezone.now()
        stx = SmartTransaction(
            stx_id=ids.object_id("STX"),
            created=now,
            updated=now,
            client=client,
            merchant=client.merchant,
            customer=_customer(client, norm),
            application_context=norm.application_context,
        )
        _apply(stx, norm)
        stx.save()
    return stx


def update(client: ApiClient, stx_id: str, body: Any) -> SmartTransaction:
    """PUT: a full update while ``created``. Like the real service, a basket that is not sent
    again is dropped; ``application_context`` cannot change after creation and is kept."""
    get(client, stx_id)  # an unknown id is "not found", whatever the body holds
    norm = normalise(client, body)
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.status != "created":
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; it can only be changed while created"
            )
        _apply(stx, norm)
        customer = _customer(client, norm)
        if customer is not None:
            stx.customer = customer
        stx.updated = timezone.now()
        stx.save()
    return stx


def allowed_methods(stx: SmartTransaction) -> list[str]:
    wanted = stx.payment_context.get("payment_methods") or list(PAYMENT_METHODS)
    contract_methods = stx.contract.payment_methods or list(PAYMENT_METHODS)
    return [m for m in wanted if m in contract_methods]


def expired(stx: SmartTransaction) -> bool:
    from . import conf

    age = (timezone.now() - stx.created).total_seconds()
    return stx.status in STX_PAYABLE and age > float(conf.get("CHECKOUT_TTL"))


def _instructions(
    method: str, trans_id: int, stx: SmartTransaction, base: str
) -> dict[str, Any] | None:
    if method not in ("prepaid", "invoice"):
        return None
    return {
        **BANK_ACCOUNT,
        "purpose": f"TA {trans_id}",
        "girocode_url": f"{base}/qr/epc?stx={stx.stx_id}",
    }


def _status_after_capture(method: str) -> tuple[int, bool]:
    """The simple status (and whether money moved) once a payment is captured."""
    if method == "prepaid":
        return Simple.PENDING, False  # waiting for the buyer's transfer
    if method == "invoice":
        return Simple.WAITING_FOR_SHIPMENT, False  # due once the goods are shipped
    return Simple.ACCEPTED, True


def authorise(
    client: ApiClient,
    stx_id: str,
    method: str,
    *,
    outcome: str = "success",
    contact: dict[str, Any] | None = None,
    base: str = "",
) -> SmartTransaction:
    """``/prepare/{method}``: create the Payment Transactions, and capture with ``auto_capture``."""
    if outcome not in OUTCOMES:
        raise BadRequest(f"outcome: must be one of {', '.join(OUTCOMES)}")
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.status not in ("created", "failed"):
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; it cannot be authorised again"
            )
        if expired(stx):
            raise Conflict(f"Smart Transaction {stx_id} has expired")
        if method not in allowed_methods(stx):
            raise BadRequest(f"payment method {method!r} is not allowed for this transaction")
        if contact:
            stx.customer = Customer.objects.create(
                customer_id=ids.object_id("PCU"),
                merchant=stx.merchant,
                contact=normalise_contact(contact, "customer.contact"),
            )
        if stx.customer is None:
            raise BadRequest("customer: a customer is required to authorise the payment")
        if method == "invoice" and not (stx.customer.contact.get("address") or {}).get("city"):
            raise BadRequest(
                "customer.contact.address: invoice payment needs the customer's address"
            )

        # A new attempt replaces the transactions of an earlier, failed one.
        stx.payment_transactions.filter(unlinked=False).update(unlinked=True)
        auto_capture = bool(stx.payment_context.get("auto_capture"))
        simple: int
        if outcome == "declined":
            simple, executed = Simple.DENIED, False
        elif auto_capture:
            simple, executed = _status_after_capture(method)
        else:
            simple, executed = Simple.AUTHORIZED, False
        common = {
            "stx": stx,
            "method": method,
            "currency": stx.basket_info.get("currency", "EUR"),
            "simple": simple,
            "executed": executed,
            "url_push": stx.url_push,
            "is_demo": stx.is_demo,
        }
        leading = transitions.create_pci(
            kind=Kind.ORIGINAL,
            parent=None,
            contract=stx.contract,
            amount=int(stx.basket_info["sum"]),
            description=stx.transaction_ref,
            **common,
        )
        if stx.basket and stx.basket.get("type") == "mixed":
            for product in stx.basket["products"]:
                fees = sum(
                    item["sum"]
                    for item in product["sub_basket"]
                    if item["item_type"] == "stakeholder_payment"
                )
                transitions.create_pci(
                    kind=Kind.SUB,
                    parent=leading,
                    contract=Contract.objects.get(contract_id=product["contract_id"]),
                    amount=int(product["sum"]),
                    reference_id=product["reference_id"],
                    stakeholder_amount=fees,
                    description=product.get("desc", ""),
                    **common,
                )
        stx.payment_method = method
        if outcome == "declined":
            stx.status = "failed"
            stx.payment_instructions = None
        else:
            stx.payment_instructions = _instructions(method, leading.trans_id, stx, base)
            if not auto_capture:
                stx.status = "approved"
            elif method == "prepaid":
                stx.status = "pending"
            else:
                stx.status = captured_status(stx.intent, stx.delivery_options.get("type", ""))
        stx.updated = timezone.now()
        stx.save()
    return stx


def start(client: ApiClient, stx_id: str, method: str | None = None) -> SmartTransaction:
    """``/start[/{method}]``: capture an approved payment (needed when ``auto_capture`` is off)."""
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.status != "approved":
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; only approved ones can be started"
            )
        if method and method != stx.payment_method:
            raise BadRequest(
                f"payment method {method!r} does not match the authorised {stx.payment_method!r}"
            )
        simple, executed = _status_after_capture(stx.payment_method)
        for pt in stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND):
            if pt.status_simple == Simple.AUTHORIZED:
                transitions.set_simple(pt, simple, executed=executed)
        stx.status = (
            "pending"
            if stx.payment_method == "prepaid"
            else captured_status(stx.intent, stx.delivery_options.get("type", ""))
        )
        stx.updated = timezone.now()
        stx.save(update_fields=["status", "updated"])
    return stx


def cancel(client: ApiClient, stx_id: str) -> SmartTransaction:
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        payments = list(stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND))
        if stx.status == "cancelled":
            return stx
        if any(pt.executed for pt in payments) or stx.status in ("shipped", "collected"):
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status} and its money has moved; "
                "refund it through POST /Payment/Transactions/{id}/cancel"
            )
        for pt in payments:
            if pt.status_simple not in transitions.DEAD:
                transitions.set_simple(pt, Simple.VOID)
        stx.status = "cancelled"
        stx.updated = timezone.now()
        stx.save(update_fields=["status", "updated"])
    return stx


def abort(client: ApiClient, stx_id: str) -> SmartTransaction:
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.status not in ("created", "failed", "cancelled"):
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; only unpaid ones can be aborted"
            )
        stx.status = "cancelled"
        stx.updated = timezone.now()
        stx.save(update_fields=["status", "updated"])
    return stx


SHIPPING_KEYS = ("type", "shipped_at", "shipped_by", "tracking_code", "invoice_number")
COLLECTION_KEYS = ("type", "scheduled_slot", "store_id", "delivered_at", "code")


def set_delivery(client: ApiClient, stx_id: str, body: Any) -> SmartTransaction:
    """``/setDelivery``: intent order moves to shipped/collected; invoices become due."""
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
        # Repeated calls overwrite the detail fields; omitted ones are removed (documented).
        stx.delivery_options = {"type": kind, **{k: data[k] for k in keys[1:] if data.get(k)}}
        if stx.intent == "order":
            stx.status = "shipped" if kind == "shipping" else "collected"
        for pt in stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND):
            if pt.status_simple == Simple.WAITING_FOR_SHIPMENT:
                pt.shipping_information = {
                    "carrier": data.get("shipped_by"),
                    "tracking_id": data.get("tracking_code"),
                    "invoice_number": data.get("invoice_number"),
                    "shipped_at": data.get("shipped_at"),
                }
                pt.invoice_number = str(data.get("invoice_number") or "")
                pt.save(update_fields=["shipping_information", "invoice_number"])
                transitions.set_simple(pt, Simple.ACCEPTED, executed=True)
        stx.updated = timezone.now()
        stx.save(update_fields=["status", "delivery_options", "updated"])
    return stx


def get(client: ApiClient, stx_id: str) -> SmartTransaction:
    stx = (
        SmartTransaction.objects.select_related(
            "merchant", "contract", "provider_contract", "customer"
        )
        .prefetch_related("payment_transactions")
        .filter(stx_id=stx_id, client=client)
        .first()
    )
    if stx is None:
        raise NotFound(f"Smart Transaction {stx_id} not found")
    return stx


QUERY_FIELDS = {
    "id": "stx_id",
    "status": "status",
    "merchantRef": "merchant_ref",
    "transactionRef": "transaction_ref",
    "payment_method": "payment_method",
}


def search(client: ApiClient, query: str) -> QuerySet[SmartTransaction]:
    """``GET /Smart/Transactions?q=...`` for the plain ``field:value AND field:value`` form."""
    found = SmartTransaction.objects.filter(client=client)
    for term in (t.strip() for t in query.split(" AND ") if t.strip()):
        name, sep, value = term.partition(":")
        if not sep or name not in QUERY_FIELDS:
            raise BadRequest(f"q: unsupported term {term!r} (fields: {', '.join(QUERY_FIELDS)})")
        found = found.filter(**{QUERY_FIELDS[name]: value.strip('"')})
    return found.select_related(
        "merchant", "contract", "provider_contract", "customer"
    ).prefetch_related("payment_transactions")
