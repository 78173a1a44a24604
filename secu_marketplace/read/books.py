"""The marketplace's books: every movement of money per supplier (a part sold, the marketplace
fee, a refund, a chargeback, a payout), and the supplier ledger that adds them up. One
computation: the admin's pages, the CSV, the accounting exports (``services/exports.py``) and
the read API all come from ``movements``; ``supplier_ledger`` only adds them up.

Read from the database as the app last synced it (orders, refunds, the payouts
``services/payouts.py`` recorded), never from secuconnect. The figures of a part are
``rules.books.part_figures``; its movements and their dates are ``read.sold`` (each dated once,
when it became a fact: a month exported never changes afterwards); a payout is dated as
secuconnect gives it (when it was recorded, if that cannot be read).

A supplier's ``balance`` at the end of a period is what it earned from every part sold until
then (sold - fees - refunds - chargebacks) less every payout until then: what secuconnect still
has to pay it (negative: it was paid more than it earned, e.g. a refund after a payout).
``held`` is the part of that balance secuconnect holds until delivery (``services/holds.py``).

Six queries, whatever the number of orders and suppliers::

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

from django.db.models.functions import Coalesce

from secu_marketplace.models import Hold, Payout, Supplier
from secu_marketplace.read.sold import SoldPart, all_movements, sold_parts
from secu_marketplace.rules.books import HoldState, Movement, MovementKind

Kind = MovementKind
MARKETPLACE = "marketplace"  # the row of the marketplace's own contract
UNASSIGNED = "unassigned"  # payouts whose contract the app could not tell


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
    found = all_movements(sold_parts(until, supplier_id))
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
    moves = all_movements(parts)
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
