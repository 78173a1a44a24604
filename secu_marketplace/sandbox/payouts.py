"""Payouts, money held (``accrual``) and a contract's balance, as the sandbox emulates them
(docs/provider.md, "Payouts and held money": what is evidence and what is the sandbox's reading).

Evidence (PHP-SDK, release 2.63.0): ``GET /Payment/Payouts`` and ``GET /Payment/Payouts/{id}``
(``lib/Api/PaymentPayoutsApi.php``) answer ``PaymentPayoutsList`` ``{count, data[]}`` of
``PaymentPayoutsProductModel`` (``lib/Model/PaymentPayoutsProductModel.php``: ``object, id,
store_name, merchant, trans_id, amount, currency, date, simple_status_id,
simple_status_description, receiver, purpose, trans_status_id, documents[], product_id,
refund_amount, stakeholder_amount, claim_amount, invoice_amount, misc_amount, payout_amount,
transaction_volume``, plus the aggregation fields ``l, k, ks, c, s, t``, never sent here);
``GET /General/Contracts/{id}/transferBalance`` answers ``{balances: {currency: int}}``
(``lib/Model/GeneralContractsTransferBalanceModel.php``; JAVA-SDK ``GeneralContractsApi.java``:
"the balance eligible for payouts resulting from bank transfers"); ``payment_context.accrual``
"The payment will not be executed until the accrual flag of the Payment Transaction is removed"
(``lib/Model/PaymentContext.php``) and ``POST /Payment/Transactions/{id}/revokeAccrual`` answers
the Payment Transaction (``lib/Api/PaymentTransactionsApi.php``; JAVA-SDK: "The payment will now
be made if it has not already been made").

No public source shows a payout record, says what one record stands for, or when payouts are
made. The sandbox's reading:

- A payout run (the control API's ``payouts``, the sandbox admin's "Pay out now") pays every
  contract what it is owed now. One record is what one Payment Transaction (``trans_id``) gives
  one contract in that run; the records of one contract's transfer share ``purpose``
  ("Auszahlung <number>"), ``date``, ``merchant`` and ``receiver``. ``amount`` equals
  ``payout_amount``; ``simple_status_id``, ``trans_status_id`` and ``product_id`` are the
  settled payment's.
- A payment is owed once the buyer's money has arrived and its ``accrual`` flag is off. A
  supplier's sub-transaction gives its contract ``transaction_volume`` (its amount) less
  ``refund_amount`` (refunds executed), ``stakeholder_amount`` (the fee, less the share a refund
  or reduction with ``reduce_stakeholder_payment`` returned) and ``claim_amount`` (for simple
  status 4 "issue": what was left after refunds; the fee is then reversed). The fee goes to the
  contract its ``stakeholder_payment`` item names, as a record of its own. A later run pays only
  what changed since (a refund after a payout: a negative record). ``invoice_amount`` and
  ``misc_amount`` are always 0: the sandbox charges no fees of its own.
- After a run each paid contract gets one push, ``target`` "payment.payouts", ``type`` "added",
  naming (up to 20 of) the transfer's records: to the contract's ``payout_push_url`` if one is
  set, else to the ``url_push`` of the newest payment paid out (secuconnect pushes name the
  endpoint's object type as target: DOC:Push-Service).
- ``transferBalance`` answers what the next run would pay the contract, whatever the method.
- ``revokeAccrual`` on a leading transaction revokes its sub-transactions' flags too; on a
  transaction whose flag is off it answers the transaction unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet

from secu_marketplace.sandbox import clock, ids, pushes, transitions
from secu_marketplace.sandbox.errors import BadRequest, unknown_id
from secu_marketplace.sandbox.models import (
    ApiClient,
    Contract,
    PaymentTransaction,
    PayoutLine,
    SandboxState,
)
from secu_marketplace.sandbox.representation import iso
from secu_marketplace.sandbox.statuses import (
    PRODUCT_IDS,
    SIMPLE_TEXT,
    Simple,
    internal_status,
)

Kind = PaymentTransaction.Kind
OBJECT = "payment.payouts"
AMOUNTS = (
    "transaction_volume",
    "refund_amount",
    "stakeholder_amount",
    "claim_amount",
    "invoice_amount",
    "misc_amount",
)
PAYOUT_COUNTER = "payout.last"
EXECUTED = (Simple.ACCEPTED, Simple.PAID)
MAX_PUSHED_IDS = 20


@dataclass
class Owed:
    """What one payment owes one contract in total so far (before what was paid out)."""

    contract: Contract
    payment: PaymentTransaction
    amounts: dict[str, int]

    @property
    def payout(self) -> int:
        a = self.amounts
        if a["transaction_volume"]:
            return a["transaction_volume"] - sum(a[k] for k in AMOUNTS[1:])
        return a["stakeholder_amount"]  # the marketplace's fee record


def _fee_payee(pt: PaymentTransaction) -> str:
    """The contract the sub-basket's stakeholder payment names (the Smart Transaction's own
    contract when it names none)."""
    for product in (pt.smart_transaction.basket or {}).get("products") or []:
        if product.get("reference_id") != pt.reference_id:
            continue
        for item in product.get("sub_basket") or []:
            if item.get("item_type") == "stakeholder_payment" and item.get("contract_id"):
                return str(item["contract_id"])
    return str(pt.smart_transaction.contract.contract_id)


def owed(pt: PaymentTransaction, contracts: dict[str, Contract]) -> list[Owed]:
    """What ``pt`` owes its contract (and the fee's payee) in total, by the rule above."""
    executed = [
        c for c in pt.children.all() if c.kind == Kind.REFUND and c.status_simple in EXECUTED
    ]
    refunded = -sum(c.amount for c in executed)
    fee = min(pt.stakeholder_amount, pt.amount) + sum(c.stakeholder_amount for c in executed)
    claim = 0
    if pt.status_simple == Simple.ISSUE:
        claim, fee = max(pt.amount - refunded, 0), 0
    zero = dict.fromkeys(AMOUNTS, 0)
    found = [
        Owed(
            pt.contract,
            pt,
            {
                **zero,
                "transaction_volume": pt.amount,
                "refund_amount": refunded,
                "stakeholder_amount": fee,
                "claim_amount": claim,
            },
        )
    ]
    payee = contracts.get(_fee_payee(pt)) if pt.kind == Kind.SUB else None
    if payee is not None and (fee or pt.stakeholder_amount):
        found.append(Owed(payee, pt, {**zero, "stakeholder_amount": fee}))
    return found


def _payable() -> QuerySet[PaymentTransaction]:
    """Payments whose money arrived and is not held: sub-transactions, and the leading one of a
    basket without sub-baskets."""
    leading_alone = Q(kind=Kind.ORIGINAL) & ~Q(children__kind=Kind.SUB)
    return (
        PaymentTransaction.objects.filter(payer_paid=True, accrual=False)
        .filter(Q(kind=Kind.SUB) | leading_alone)
        .select_related("contract__merchant", "smart_transaction__contract")
        .prefetch_related("children", "payout_lines")
        .distinct()
        .order_by("pk")
    )


def _due(contract_ids: Iterable[str] | None) -> dict[int, list[tuple[Owed, dict[str, int]]]]:
    """Per contract (row id): what each payment owes it beyond what earlier runs paid."""
    contracts = {c.contract_id: c for c in Contract.objects.select_related("merchant")}
    wanted = set(contract_ids) if contract_ids is not None else None
    due: dict[int, list[tuple[Owed, dict[str, int]]]] = defaultdict(list)
    for pt in _payable():
        for item in owed(pt, contracts):
            if wanted is not None and item.contract.contract_id not in wanted:
                continue
            before = [
                line for line in pt.payout_lines.all() if line.contract_id == item.contract.pk
            ]
            delta = {
                key: value - sum(int(line.amounts.get(key, 0)) for line in before)
                for key, value in item.amounts.items()
            }
            paid = sum(line.payout_amount for line in before)
            if any(delta.values()) or item.payout != paid:
                due[item.contract.pk].append((item, {**delta, "payout_amount": item.payout - paid}))
    return due


def _next_number() -> int:
    if not SandboxState.objects.filter(name=PAYOUT_COUNTER).update(number=F("number") + 1):
        SandboxState.objects.create(name=PAYOUT_COUNTER, number=1)
    return int(SandboxState.objects.get(name=PAYOUT_COUNTER).number)


def pay_out(contract_ids: Iterable[str] | None = None) -> list[PayoutLine]:
    """One payout run: every contract (or those named) is paid what it is owed now; one push
    per paid contract. Returns the records made."""
    made: list[PayoutLine] = []
    with transaction.atomic():
        now = clock.now()
        for items in _due(contract_ids).values():
            number = _next_number()
            lines = [
                PayoutLine.objects.create(
                    payout_id=ids.object_id("PPO"),
                    number=number,
                    contract=item.contract,
                    payment_transaction=item.payment,
                    currency=item.payment.currency,
                    amounts={k: v for k, v in delta.items() if k in AMOUNTS},
                    payout_amount=delta["payout_amount"],
                    date=now,
                )
                for item, delta in items
            ]
            made += lines
            _push(items[0][0].contract, lines)
    return made


def _push(contract: Contract, lines: list[PayoutLine]) -> None:
    newest = max(lines, key=lambda line: line.payment_transaction.pk).payment_transaction
    url = contract.payout_push_url or newest.url_push
    ids_ = [line.payout_id for line in lines][:MAX_PUSHED_IDS]
    pushes.enqueue_about(url, OBJECT, ids_, "added")


# --- the API's answers ---------------------------------------------------------------------


def representation(line: PayoutLine) -> dict[str, Any]:
    pt = line.payment_transaction
    contract = line.contract
    merchant = contract.merchant
    status, _text = internal_status(pt.status_simple, pt.payment_method)
    owner = (contract.payout_account or {}).get("owner")
    return {
        "object": OBJECT,
        "id": line.payout_id,
        "store_name": contract.name or merchant.companyname,
        "merchant": {
            "object": "general.merchants",
            "id": merchant.merchant_id,
            "companyname": merchant.companyname,
        },
        "trans_id": pt.trans_id,
        "amount": line.payout_amount,
        "currency": line.currency,
        "date": iso(line.date),
        "simple_status_id": pt.status_simple,
        "simple_status_description": SIMPLE_TEXT.get(pt.status_simple, "unknown"),
        "receiver": str(owner or merchant.companyname),
        "purpose": f"Auszahlung {line.number}",
        "trans_status_id": status,
        "documents": [],
        "product_id": PRODUCT_IDS.get(pt.payment_method),
        **{key: int(line.amounts.get(key, 0)) for key in AMOUNTS},
        "payout_amount": line.payout_amount,
    }


def _visible(client: ApiClient) -> QuerySet[PayoutLine]:
    return PayoutLine.objects.filter(payment_transaction__smart_transaction__client=client)


def listing(client: ApiClient, query: str, count: int, offset: int) -> dict[str, Any]:
    """Newest first; ``q`` takes ``trans_id:<n>`` and ``merchant.id:<id>`` terms joined by
    AND (the generic grammar of PaymentPayoutsApi.php; no recording shows one)."""
    found = _visible(client)
    for term in (t.strip() for t in query.split(" AND ") if t.strip()):
        name, _, value = term.partition(":")
        value = value.strip('"')
        if name == "trans_id" and value.isdigit():
            found = found.filter(payment_transaction__trans_id=int(value))
        elif name == "merchant.id":
            found = found.filter(contract__merchant__merchant_id=value)
        else:
            raise BadRequest(f"q: unsupported term {term!r}")
    rows = found.select_related("contract__merchant", "payment_transaction").order_by(
        "-number", "pk"
    )[offset : offset + count]
    return {"count": found.count(), "data": [representation(line) for line in rows]}


def read(client: ApiClient, payout_id: str) -> dict[str, Any]:
    line = (
        _visible(client)
        .select_related("contract__merchant", "payment_transaction")
        .filter(payout_id=payout_id)
        .first()
    )
    if line is None:
        raise unknown_id(f"Payment Payout {payout_id} not found")
    return representation(line)


def transfer_balance(contract: Contract) -> dict[str, Any]:
    """What the next run would pay ``contract``, per currency."""
    balances: dict[str, int] = defaultdict(int)
    for item, delta in _due([contract.contract_id]).get(contract.pk, []):
        balances[item.payment.currency] += delta["payout_amount"]
    return {"balances": dict(balances)}


def revoke_accrual(client: ApiClient, pci_id: str) -> PaymentTransaction:
    """Lift the flag (and, on a leading transaction, its sub-transactions' flags)."""
    with transaction.atomic():
        pt = transitions.lock_pci(client, pci_id)
        targets = [pt, *transitions.subs_of(pt)] if pt.kind == Kind.ORIGINAL else [pt]
        for target in targets:
            if target.accrual:
                target.accrual = False
                target.updated = clock.now()
                target.save(update_fields=["accrual", "updated"])
    return pt
