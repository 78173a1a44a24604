"""Operations on Smart Transactions: create, update (PUT), authorise (``/prepare``), start, read
and search (docs/provider.md, "Smart Transactions" and "Actions"); ``/cancel``, ``/abort`` and
``/setDelivery`` are in ``smart_actions.py``, the Payment Transactions that authorise and start
create and capture in ``smart_payments.py``.

As JAVA-SDK describes the actions (SmartTransactionsApi):

- ``/prepare/{method}`` creates the Payment Transactions; with ``auto_capture`` it also starts
  (captures) the payment.
- ``/start/{method}`` directly on a ``created`` transaction authorises and captures in one step
  ("if not in succession to /prepare"); after ``/prepare`` it captures what was authorised.
- ``PUT`` is allowed until ``/start`` (``created``, ``failed``, and ``approved``; a transaction
  prepared with ``auto_capture`` is started already). A PUT without ``basket`` drops the basket and
  resets ``basket_info`` to ``{"sum": 0, "currency": <sent or "EUR">}`` (the sandbox's reading of
  "its defaults"); ``application_context`` cannot change and is kept. The Payment Transactions an
  ``approved`` transaction already has keep their amounts (the sandbox's guess).

Where nothing public decides, the sandbox picks one reading and says so here:

- An authorisation needs a customer (given at creation, in the ``/prepare`` body, or on the
  hosted page), and invoice needs the customer's address.
- A declined authorisation leaves the Smart Transaction ``failed``; a new authorisation on it is
  allowed and unlinks the earlier Payment Transactions, as documented.
- ``GET /Smart/Transactions?q=`` spells the merchant reference as the ``QUERY_SPELLING`` switch
  says (undecided by public evidence; ``conf.py``).
- A mixed basket on a contract whose ``mixed_basket`` is off is refused with code 4028 (SDK-T
  ``testSmartTransactionsAddMixedBasket``; HTTP 403 is the sandbox's choice, ``errors.py``).
- A debit or card payment carries ``container {type, object: "payment.containers", id: PCT_}``
  once authorised (DEMO-M custom_checkout/Step3.php, payment_with_smart_checkout/Step3.php:
  ``bank_account`` and ``credit_card``); a new container per authorisation (the buyer enters the
  account or card on the hosted page).
- A collection gets its pickup ``code`` once started (SDK-T; SDK
  ``SmartTransactionsCollectionModel.php``): six digits (``ids.pickup_code``).
- ``/start`` (or ``/start/``) without a method on a transaction that ``/prepare`` with
  ``auto_capture`` already started answers it unchanged (the PHP SDK's integration tests call
  ``/start/`` after ``/prepare``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from secu_marketplace.sandbox import clock, conf, ids, transitions
from secu_marketplace.sandbox.contact_validation import normalise_contact
from secu_marketplace.sandbox.errors import (
    CODE_MIXED_BASKET_NOT_ENABLED,
    BadRequest,
    Conflict,
    NotAllowed,
    unknown_id,
)
from secu_marketplace.sandbox.instructions import payment_instructions
from secu_marketplace.sandbox.models import (
    ApiClient,
    Contract,
    Customer,
    PaymentTransaction,
    SmartTransaction,
)
from secu_marketplace.sandbox.smart_payments import (
    create_payments,
    simple_after_capture,
    stx_status_after_capture,
)
from secu_marketplace.sandbox.statuses import (
    CONTAINER_TYPES,
    PAYMENT_METHODS,
    STX_PAYABLE,
    Simple,
)
from secu_marketplace.sandbox.validation import Normalised, normalise

Kind = PaymentTransaction.Kind
OUTCOMES = ("success", "declined")
# PUT is allowed "before the payment is executed with /start" (JAVA-SDK updateTransaction).
UPDATABLE = ("created", "failed", "approved")
# Started (captured) by /prepare with auto_capture or by /start: nothing left to start.
STARTED = ("ok", "received", "collection", "pending")


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


def _check_mixed_basket(norm: Normalised) -> None:
    if norm.basket and norm.basket.get("type") == "mixed" and not norm.contract.mixed_basket:
        raise NotAllowed(
            f"contract.id: mixed baskets are not enabled for contract {norm.contract.contract_id}",
            code=CODE_MIXED_BASKET_NOT_ENABLED,
        )


def create(client: ApiClient, body: Any) -> SmartTransaction:
    norm = normalise(client, body)
    _check_mixed_basket(norm)
    with transaction.atomic():
        now = clock.now()
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
    """PUT: a full update until ``/start``. A basket that is not sent again is dropped;
    ``application_context`` cannot change after creation and is kept (JAVA-SDK)."""
    get(client, stx_id)  # an unknown id is "not found", whatever the body holds
    norm = normalise(client, body, update=True)
    _check_mixed_basket(norm)
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.status not in UPDATABLE or stx.closed:
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; it can only be changed until it "
                "is started"
            )
        _apply(stx, norm)
        customer = _customer(client, norm)
        if customer is not None:
            stx.customer = customer
        stx.updated = clock.now()
        stx.save()
    return stx


def allowed_methods(stx: SmartTransaction) -> list[str]:
    """What the hosted page offers: the request's methods that the Smart Transaction's contract
    and every supplier contract in a mixed basket accept. That the provider also honours the
    suppliers' contracts is the sandbox's reading (docs/provider.md, "Payment contracts")."""
    wanted = stx.payment_context.get("payment_methods") or list(PAYMENT_METHODS)
    accepted = set(stx.contract.payment_methods or PAYMENT_METHODS)
    suppliers = [p.get("contract_id") for p in (stx.basket or {}).get("products", [])]
    for methods in Contract.objects.filter(contract_id__in=[c for c in suppliers if c]).values_list(
        "payment_methods", flat=True
    ):
        accepted &= set(methods or PAYMENT_METHODS)
    return [m for m in wanted if m in accepted]


def expired(stx: SmartTransaction) -> bool:
    """Still unpaid after ``CHECKOUT_TTL`` seconds of sandbox time (``clock.now``)."""
    age = (clock.now() - stx.created).total_seconds()
    return stx.status in STX_PAYABLE and age > float(conf.get("CHECKOUT_TTL"))


def _check_payable(stx: SmartTransaction, method: str) -> None:
    if stx.closed or stx.status not in STX_PAYABLE:
        raise Conflict(
            f"Smart Transaction {stx.stx_id} is {stx.status}; it cannot be authorised again"
        )
    if expired(stx):
        raise Conflict(f"Smart Transaction {stx.stx_id} has expired")
    if method not in allowed_methods(stx):
        raise BadRequest(f"payment method {method!r} is not allowed for this transaction")
    if int(stx.basket_info.get("sum") or 0) <= 0:
        raise BadRequest("basket_info.sum: must be greater than 0 to pay")


def _require_customer(stx: SmartTransaction, method: str, contact: dict[str, Any] | None) -> None:
    """An authorisation needs a customer (a contact sent with it becomes a new one), and invoice
    needs the customer's address (the sandbox's reading)."""
    if contact:
        stx.customer = Customer.objects.create(
            customer_id=ids.object_id("PCU"),
            merchant=stx.merchant,
            contact=normalise_contact(contact, "customer.contact"),
        )
    if stx.customer is None:
        raise BadRequest("customer: a customer is required to authorise the payment")
    if method == "invoice" and not (stx.customer.contact.get("address") or {}).get("city"):
        raise BadRequest("customer.contact.address: invoice payment needs the customer's address")


def authorise(
    client: ApiClient,
    stx_id: str,
    method: str,
    *,
    outcome: str = "success",
    contact: dict[str, Any] | None = None,
    base: str = "",
    capture: bool | None = None,
) -> SmartTransaction:
    """``/prepare/{method}``: create the Payment Transactions, and capture with ``auto_capture``
    (or ``capture``: ``/start/{method}`` on a transaction that was not prepared)."""
    if outcome not in OUTCOMES:
        raise BadRequest(f"outcome: must be one of {', '.join(OUTCOMES)}")
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        _check_payable(stx, method)
        _require_customer(stx, method, contact)

        # A new attempt replaces the transactions of an earlier, failed one.
        stx.payment_transactions.filter(unlinked=False).update(unlinked=True)
        if capture is None:
            capture = bool(stx.payment_context.get("auto_capture"))
        simple: int
        if outcome == "declined":
            simple = Simple.DENIED
        elif capture:
            simple = simple_after_capture(method)
        else:
            simple = Simple.AUTHORIZED
        leading = create_payments(stx, method, simple)
        stx.payment_method = method
        if outcome == "declined":
            stx.status = "failed"
            stx.payment_instructions = None
            stx.container_id = ""
        else:
            stx.payment_instructions = payment_instructions(
                method, leading.trans_id, stx.stx_id, int(stx.basket_info["sum"]), base
            )
            stx.container_id = ids.object_id("PCT") if method in CONTAINER_TYPES else ""
            if capture:
                transitions.enter_captured(stx, stx_status_after_capture(stx, method))
            else:
                stx.status = "approved"
        stx.updated = clock.now()
        stx.save()
    return stx


def start(
    client: ApiClient, stx_id: str, method: str | None = None, *, base: str = ""
) -> SmartTransaction:
    """``/start[/{method}]``: capture an approved payment (needed when ``auto_capture`` is off),
    or, with a method on a ``created`` transaction, authorise and capture in one step."""
    current = get(client, stx_id)
    if not method and current.status in STARTED and not current.closed:
        return current  # /prepare with auto_capture started it already
    if current.status in STX_PAYABLE and not current.closed:
        if not method:
            raise Conflict(
                f"Smart Transaction {stx_id} is {current.status} and was not prepared; only "
                "approved ones can be started without naming the method (/start/{method})"
            )
        return authorise(client, stx_id, method, base=base, capture=True)
    with transaction.atomic():
        stx = transitions.lock_stx(client, stx_id)
        if stx.status != "approved" or stx.closed:
            raise Conflict(
                f"Smart Transaction {stx_id} is {stx.status}; only approved ones can be started"
            )
        if method and method != stx.payment_method:
            raise BadRequest(
                f"payment method {method!r} does not match the authorised {stx.payment_method!r}"
            )
        simple = simple_after_capture(stx.payment_method)
        for pt in stx.payment_transactions.filter(unlinked=False).exclude(kind=Kind.REFUND):
            if pt.status_simple == Simple.AUTHORIZED:
                transitions.set_simple(pt, simple)
        transitions.enter_captured(stx, stx_status_after_capture(stx, stx.payment_method))
        stx.updated = clock.now()
        stx.save(update_fields=["status", "delivery_options", "updated"])
    return stx


# What ``representation.smart_transaction`` reads of the related rows, and nothing more: the
# read is the sandbox's hottest path, and Django's cost grows with every column it selects.
_RELATED_COLUMNS = (
    "merchant__merchant_id",
    "merchant__companyname",
    "contract__contract_id",
    "provider_contract__contract_id",
    "customer__customer_id",
    "customer__contact",
)
_LISTED_COLUMNS = ("pci_id", "trans_id", "transaction_hash", "reference_id", "kind", "unlinked")


def get(client: ApiClient, stx_id: str) -> SmartTransaction:
    """A Smart Transaction with what its representation needs, for rendering only (the other
    columns of the related rows are deferred)."""
    own = [f.name for f in SmartTransaction._meta.concrete_fields]
    listed = PaymentTransaction.objects.order_by().only("smart_transaction", *_LISTED_COLUMNS)
    found = (
        SmartTransaction.objects.select_related(
            "merchant", "contract", "provider_contract", "customer"
        )
        .only(*own, *_RELATED_COLUMNS)
        .prefetch_related(Prefetch("payment_transactions", queryset=listed))
        .filter(stx_id=stx_id, client=client)
        .order_by()  # stx_id is unique: no ORDER BY to build or run
    )
    stx = next(iter(found[:1]), None)
    if stx is None:
        raise unknown_id(f"Smart Transaction {stx_id} not found")
    return stx


QUERY_FIELDS = {
    "id": "stx_id",
    "status": "status",
    "transactionRef": "transaction_ref",
    "payment_method": "payment_method",
}
# How the merchant reference may be spelled, per QUERY_SPELLING switch value.
MERCHANT_REF_SPELLINGS = {
    "merchantRef": ("merchantRef",),
    "merchant_ref": ("merchant_ref",),
    "both": ("merchantRef", "merchant_ref"),
}


def search(client: ApiClient, query: str) -> QuerySet[SmartTransaction]:
    """``GET /Smart/Transactions?q=...`` for the plain ``field:value AND field:value`` form."""
    fields = dict(QUERY_FIELDS)
    for spelling in MERCHANT_REF_SPELLINGS[conf.switch("QUERY_SPELLING")]:
        fields[spelling] = "merchant_ref"
    found = SmartTransaction.objects.filter(client=client)
    for term in (t.strip() for t in query.split(" AND ") if t.strip()):
        name, sep, value = term.partition(":")
        if not sep or name not in fields:
            raise BadRequest(f"q: unsupported term {term!r} (fields: {', '.join(fields)})")
        found = found.filter(**{fields[name]: value.strip('"')})
    return found.select_related(
        "merchant", "contract", "provider_contract", "customer"
    ).prefetch_related("payment_transactions")
