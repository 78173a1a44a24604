"""The marketplace's books: every movement of money per supplier (a part sold, the marketplace
fee, a refund, a chargeback, a payout), and the supplier ledger that adds them up. One
computation: the admin's pages, the CSV, the accounting exports (``services/exports.py``) and
the read API all come from ``movements``; ``supplier_ledger`` only adds them up.

Read from the database as the app last synced it (orders, refunds, the payouts
``services/payouts.py`` recorded), never from secuconnect. The figures of a part are
``rules.books.part_figures``. Each movement has its own date:

- a part sold and its fee: when the order was placed;
- a refund (and the fee share it returned): when the refund was recorded;
- a chargeback (and the fee it reversed): when the app last saw the part's payment change;
- a payout: the date secuconnect gives it.

A supplier's ``balance`` at the end of a period is what it earned from every part sold until
then (sold - fees - refunds - chargebacks) less every payout until then: what secuconnect still
has to pay it (negative: it was paid more than it earned, e.g. a refund after a payout).
``held`` is the part of that balance secuconnect holds until delivery (``services/holds.py``).

Five queries, whatever the number of orders and suppliers::

    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    for row in supplier_ledger(since=since, until=until):
        row.label, row.sold, row.fees, row.refunded, row.chargebacks, row.paid_out, row.balance
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce

from secu_marketplace.models import Hold, PaymentTransaction, Payout, Refund, Supplier
from secu_marketplace.rules.books import (
    SOLD,
    SOLD_BEFORE,
    HoldState,
    MovementKind,
    PartFigures,
    RefundFact,
    part_figures,
)
from secu_marketplace.rules.payments import payer_has_paid_q
from secu_marketplace.rules.statuses import (
    AttemptState,
    DisputeState,
    PaymentRole,
    RefundKind,
    RefundState,
)

Kind = MovementKind
MARKETPLACE = "marketplace"  # the row of the marketplace's own contract
UNASSIGNED = "unassigned"  # payouts whose contract the app could not tell


@dataclass(frozen=True)
class Movement:
    """One line of the books. ``amount`` is positive as its column shows it (a fee returned or
    reversed, and a payout clawed back, are negative)."""

    kind: MovementKind
    at: datetime
    amount: int
    currency: str
    supplier_id: int | None  # None: the marketplace's own contract, or not known
    owner: str  # "supplier", MARKETPLACE or UNASSIGNED
    order_reference: str = ""
    sub_basket: str = ""
    document: str = ""  # the order's reference, or the payout's purpose
    trans_id: int | None = None


@dataclass
class LedgerRow:
    """One supplier (or the marketplace's own contract) in one currency, over a period."""

    key: str  # the supplier's id, MARKETPLACE or UNASSIGNED
    label: str
    currency: str
    supplier: Supplier | None = None
    sold: int = 0
    fees: int = 0
    refunded: int = 0
    chargebacks: int = 0
    paid_out: int = 0
    deducted: int = 0  # what secupay kept from the payouts for itself
    balance: int = 0  # still to come at the end of the period
    held: int = 0  # of which secuconnect holds until delivery
    movements: list[Movement] = field(default_factory=list, repr=False)

    @property
    def earned(self) -> int:
        """What the period's sales earned the row's owner: for a supplier sold less fees,
        refunds and chargebacks; for the marketplace its fees."""
        if self.key == MARKETPLACE:
            return self.fees
        return self.sold - self.fees - self.refunded - self.chargebacks


@dataclass(frozen=True)
class SoldPart:
    """One part sold, with the rows its figures came from."""

    payment: PaymentTransaction
    figures: PartFigures
    refunds: tuple[Refund, ...]


def _sold() -> Q:
    """Sub-transactions of parts sold: their order is sold now, or went on to cancelled or
    review after its money showed (the buyer paid, a refund returned money, or a chargeback
    took it back): a sale stays in the books whatever happened to it later."""
    refunded = Refund.objects.filter(
        target=OuterRef("pk"), kind=RefundKind.REFUND, state=RefundState.DONE
    )
    money_showed = (
        payer_has_paid_q() | ~Q(sub_basket__dispute=DisputeState.NONE) | Q(Exists(refunded))
    )
    return Q(order__status__in=sorted(SOLD)) | (
        Q(order__status__in=sorted(SOLD_BEFORE)) & money_showed
    )


def _sold_payments(until: datetime | None, supplier_id: int | None) -> list[PaymentTransaction]:
    """The sub-transactions of the parts sold (the newest settled attempt's, per part)."""
    found = PaymentTransaction.objects.filter(
        _sold(),
        role=PaymentRole.SUB,
        attempt__state=AttemptState.SETTLED,
        sub_basket__isnull=False,
    )
    if until is not None:
        found = found.filter(order__created__lt=until)
    if supplier_id is not None:
        found = found.filter(sub_basket__supplier_id=supplier_id)
    rows = found.select_related("order", "sub_basket").annotate(number=F("attempt__number"))
    newest: dict[int, PaymentTransaction] = {}
    for row in rows.order_by("pk"):
        kept = newest.get(int(row.sub_basket_id or 0))
        if kept is None or row.number > kept.number:  # type: ignore[attr-defined]
            newest[int(row.sub_basket_id or 0)] = row
    return list(newest.values())


def sold_parts(until: datetime | None = None, supplier_id: int | None = None) -> list[SoldPart]:
    """Every part sold before ``until`` (of one supplier), with its figures; two queries."""
    payments = _sold_payments(until, supplier_id)
    by_sub: dict[int, list[Refund]] = defaultdict(list)
    # The parts' refunds, chosen as the parts are (no list of ids: it would grow with them).
    # (A few more than the parts' own: those of parts not sold are never looked up.)
    refunds = Refund.objects.filter(
        order__status__in=sorted(SOLD | SOLD_BEFORE), sub_basket__isnull=False
    )
    if until is not None:
        refunds = refunds.filter(order__created__lt=until)
    if supplier_id is not None:
        refunds = refunds.filter(sub_basket__supplier_id=supplier_id)
    for record in refunds.order_by("created", "pk"):
        by_sub[int(record.sub_basket_id or 0)].append(record)
    parts = []
    for payment in payments:
        sub = payment.sub_basket
        if sub is None:  # the query asks for parts only
            continue
        own = by_sub.get(sub.pk, [])
        facts = [
            RefundFact(r.kind, r.state, r.amount, r.reduce_stakeholder_payment, r.created)
            for r in own
        ]
        figures = part_figures(
            sum_=int(sub.sum),
            amount=int(payment.amount or 0),
            fee=int(sub.fee),
            refunds=facts,
            dispute=str(sub.dispute),
            changed=payment.provider_updated or payment.updated,
        )
        parts.append(SoldPart(payment=payment, figures=figures, refunds=tuple(own)))
    return parts


def _part_movements(part: SoldPart) -> list[Movement]:
    payment, figures = part.payment, part.figures
    order, sub = payment.order, payment.sub_basket
    if sub is None:
        return []
    common: dict[str, Any] = {
        "currency": str(order.currency),
        "supplier_id": sub.supplier_id,
        "owner": "supplier",
        "order_reference": str(order.reference),
        "sub_basket": str(sub.reference_id),
        "document": str(order.reference),
        "trans_id": payment.trans_id,
    }
    found = [Movement(Kind.PAYMENT, order.created, figures.sold, **common)] if figures.sold else []
    for move in figures.fee_moves:
        found.append(Movement(Kind.FEE, move.at or order.created, move.amount, **common))
    for record in part.refunds:
        if record.kind == RefundKind.REFUND and record.state == RefundState.DONE:
            found.append(Movement(Kind.REFUND, record.created, int(record.amount), **common))
    if figures.chargeback:
        at = payment.provider_updated or payment.updated
        found.append(Movement(Kind.CHARGEBACK, at, figures.chargeback, **common))
    return found


def _payout_movements(until: datetime | None, supplier_id: int | None) -> list[Movement]:
    # A payout whose date secuconnect did not say readably counts from when it was recorded.
    payouts = Payout.objects.annotate(at=Coalesce("date", "created"))
    if until is not None:
        payouts = payouts.filter(at__lt=until)
    if supplier_id is not None:
        payouts = payouts.filter(supplier_id=supplier_id)
    found = []
    for payout in payouts.order_by("at", "pk"):
        owner = (
            MARKETPLACE
            if payout.for_marketplace
            else "supplier"
            if payout.supplier_id
            else UNASSIGNED
        )
        common: dict[str, Any] = {
            "currency": str(payout.currency),
            "supplier_id": payout.supplier_id,
            "owner": owner,
            "document": str(payout.purpose),
        }
        at = payout.at
        found.append(Movement(Kind.PAYOUT, at, int(payout.payout_amount), **common))
        deducted = int(payout.invoice_amount) + int(payout.misc_amount)
        if deducted:
            found.append(Movement(Kind.DEDUCTION, at, deducted, **common))
    return found


def movements(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    supplier: Supplier | int | None = None,
) -> list[Movement]:
    """Every movement in [``since``, ``until``) (of one supplier), oldest first."""
    supplier_id = supplier.pk if isinstance(supplier, Supplier) else supplier
    found = [m for part in sold_parts(until, supplier_id) for m in _part_movements(part)]
    found += _payout_movements(until, supplier_id)
    if since is not None:
        found = [m for m in found if m.at >= since]
    if until is not None:
        found = [m for m in found if m.at < until]
    return sorted(found, key=lambda m: (m.at, m.kind, m.document))


def _held_net(parts: Iterable[SoldPart]) -> dict[tuple[int, str], int]:
    """What the parts secuconnect still holds would pay their suppliers, per supplier and
    currency."""
    held = set(
        Hold.objects.filter(state__in=[HoldState.HELD, HoldState.KEPT]).values_list(
            "sub_basket_id", flat=True
        )
    )
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for part in parts:
        sub = part.payment.sub_basket
        if sub is not None and sub.pk in held:
            sums[(int(sub.supplier_id), str(part.payment.order.currency))] += part.figures.net
    return sums


def _add(row: LedgerRow, move: Movement, in_period: bool, marketplace_fee: bool) -> None:
    column = {
        Kind.PAYMENT: "sold",
        Kind.FEE: "fees",
        Kind.REFUND: "refunded",
        Kind.CHARGEBACK: "chargebacks",
        Kind.PAYOUT: "paid_out",
        Kind.DEDUCTION: "deducted",
    }[move.kind]
    if in_period:
        setattr(row, column, getattr(row, column) + move.amount)
        row.movements.append(move)
    if move.kind in (Kind.PAYOUT, Kind.DEDUCTION):
        row.balance -= move.amount
    elif marketplace_fee or move.kind == Kind.PAYMENT:
        row.balance += move.amount
    else:
        row.balance -= move.amount


class _Rows:
    """The ledger's rows as they fill: one per owner (a supplier's id, the marketplace, the
    unassigned payouts) and currency."""

    def __init__(self, suppliers: dict[int, Supplier]) -> None:
        self.suppliers = suppliers
        self.rows: dict[tuple[str, str], LedgerRow] = {}

    def row(self, key: str, currency: str) -> LedgerRow:
        if (key, currency) not in self.rows:
            found = self.suppliers.get(int(key)) if key.isdigit() else None
            label = str(found.name) if found else {MARKETPLACE: "marketplace"}.get(key, key)
            self.rows[(key, currency)] = LedgerRow(
                key=key, label=label, currency=currency, supplier=found
            )
        return self.rows[(key, currency)]

    def sorted(self) -> list[LedgerRow]:
        # Suppliers without any movement get a row of zeros.
        for sid in self.suppliers:
            if not any(key == str(sid) for key, _currency in self.rows):
                self.row(str(sid), "EUR")
        last = {MARKETPLACE: 1, UNASSIGNED: 2}
        return sorted(self.rows.values(), key=lambda r: (last.get(r.key, 0), r.label, r.currency))


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def supplier_ledger(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    supplier: Supplier | int | None = None,
) -> list[LedgerRow]:
    """Per supplier and currency (and a row for the marketplace's own contract, and one for
    payouts the app could not assign): the period's movements added up, and the balance at its
    end. Suppliers without any movement are listed too (with zeros) unless one is asked for."""
    supplier_id = supplier.pk if isinstance(supplier, Supplier) else supplier
    parts = sold_parts(until, supplier_id)
    moves = [m for part in parts for m in _part_movements(part)]
    moves += _payout_movements(until, supplier_id)
    suppliers = Supplier.objects.all()
    if supplier_id is not None:
        suppliers = suppliers.filter(pk=supplier_id)
    rows = _Rows({s.pk: s for s in suppliers})
    for move in sorted(moves, key=lambda m: m.at):
        in_period = _within(move.at, since, until)
        key = str(move.supplier_id) if move.owner == "supplier" else move.owner
        _add(rows.row(key, move.currency), move, in_period, marketplace_fee=False)
        if move.kind == Kind.FEE and supplier_id is None:
            _add(rows.row(MARKETPLACE, move.currency), move, in_period, marketplace_fee=True)
    for (sid, currency), amount in _held_net(parts).items():
        rows.row(str(sid), currency).held += amount
    return rows.sorted()


def totals(found: Iterable[Movement]) -> dict[str, int]:
    """The movements added up by kind (what the exports' totals are checked against)."""
    sums: dict[str, int] = defaultdict(int)
    for move in found:
        sums[str(move.kind)] += move.amount
    return dict(sums)


def ledger_totals(rows: Iterable[LedgerRow]) -> dict[str, int]:
    """The suppliers' rows (and the unassigned payouts) added up by kind: the same sums as
    ``totals(movements(...))`` for the same period."""
    sums: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.key == MARKETPLACE:
            sums[str(Kind.PAYOUT)] += row.paid_out
            continue
        sums[str(Kind.PAYMENT)] += row.sold
        sums[str(Kind.FEE)] += row.fees
        sums[str(Kind.REFUND)] += row.refunded
        sums[str(Kind.CHARGEBACK)] += row.chargebacks
        sums[str(Kind.PAYOUT)] += row.paid_out
    return {kind: amount for kind, amount in sums.items() if amount}
