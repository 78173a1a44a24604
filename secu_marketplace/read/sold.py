"""The parts sold and the movements of money each one makes (a sale, the marketplace fee, refunds,
a chargeback), each dated once, when the app learned it became a fact, so that a month already
exported never changes afterwards:

- a part sold (and its fee): when its order first became sold (the buyer paid, or secupay
  accepted the invoice: the order's first move to one of ``rules.books.SOLD``), else when it
  was placed;
- a refund (and the fee share it returned): when secuconnect executed it (the refund's move to
  "done" on the timeline), else when it was recorded;
- a chargeback (and the fee it reversed): when the part's dispute last opened;

never a date a later change moves (``updated``, the provider's last change). ``read.books`` adds
the movements up. Three queries, whatever the number of parts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from secu_marketplace.models import PaymentTransaction, Refund, StatusEvent
from secu_marketplace.rules.books import (
    SOLD,
    SOLD_BEFORE,
    Movement,
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
Subject = StatusEvent.Subject


@dataclass(frozen=True)
class SoldPart:
    """One part sold, with the rows its figures came from and when each became a fact."""

    payment: PaymentTransaction
    figures: PartFigures
    refunds: tuple[Refund, ...]
    sold_at: datetime
    refunds_done_at: dict[int, datetime] = field(default_factory=dict)
    charged_back_at: datetime | None = None


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


def _sold_rows(until: datetime | None, supplier_id: int | None) -> QuerySet[PaymentTransaction]:
    """The sold parts' sub-transactions, each with when its order first became sold."""
    first_sold = StatusEvent.objects.filter(
        order=OuterRef("order_id"), subject=Subject.ORDER, to_status__in=sorted(SOLD)
    ).order_by("created", "pk")
    found = PaymentTransaction.objects.filter(
        _sold(),
        role=PaymentRole.SUB,
        attempt__state=AttemptState.SETTLED,
        sub_basket__isnull=False,
    ).annotate(
        sold_at=Coalesce(Subquery(first_sold.values("created")[:1]), F("order__created")),
        number=F("attempt__number"),
    )
    if until is not None:
        found = found.filter(sold_at__lt=until)
    if supplier_id is not None:
        found = found.filter(sub_basket__supplier_id=supplier_id)
    return found


def _newest(rows: QuerySet[PaymentTransaction]) -> list[PaymentTransaction]:
    """Per part, the newest settled attempt's sub-transaction."""
    newest: dict[int, PaymentTransaction] = {}
    for row in rows.select_related("order", "sub_basket").order_by("pk"):
        kept = newest.get(int(row.sub_basket_id or 0))
        if kept is None or row.number > kept.number:  # type: ignore[attr-defined]
            newest[int(row.sub_basket_id or 0)] = row
    return list(newest.values())


def _fact_times(
    orders: QuerySet[Any],
) -> tuple[dict[int, datetime], dict[tuple[int, str], datetime]]:
    """From the timeline of ``orders``: when each refund was executed (by refund id), and when
    each part's dispute last opened (by order id and sub-basket reference)."""
    done: dict[int, datetime] = {}
    opened: dict[tuple[int, str], datetime] = {}
    events = StatusEvent.objects.filter(order_id__in=orders).filter(
        Q(subject=Subject.REFUND, to_status=RefundState.DONE)
        | Q(subject=Subject.DISPUTE, to_status=DisputeState.OPEN)
    )
    for subject, order_id, detail, created in events.order_by("created", "pk").values_list(
        "subject", "order_id", "detail", "created"
    ):
        detail = detail if isinstance(detail, dict) else {}
        if subject == Subject.REFUND and isinstance(detail.get("refund"), int):
            done.setdefault(detail["refund"], created)
        elif subject == Subject.DISPUTE:
            opened[(order_id, str(detail.get("sub_basket", "")))] = created
    return done, opened


def sold_parts(until: datetime | None = None, supplier_id: int | None = None) -> list[SoldPart]:
    """Every part sold before ``until`` (of one supplier), with its figures; three queries."""
    rows = _sold_rows(until, supplier_id)
    payments = _newest(rows)
    done, opened = _fact_times(rows.values("order_id"))
    by_sub: dict[int, list[Refund]] = defaultdict(list)
    # The parts' refunds, chosen as the parts are (no list of ids: it would grow with them).
    # (A few more than the parts' own: those of parts not sold are never looked up.)
    refunds = Refund.objects.filter(
        order__status__in=sorted(SOLD | SOLD_BEFORE), sub_basket__isnull=False
    )
    if supplier_id is not None:
        refunds = refunds.filter(sub_basket__supplier_id=supplier_id)
    for record in refunds.order_by("created", "pk"):
        by_sub[int(record.sub_basket_id or 0)].append(record)
    parts = []
    for payment in payments:
        sub = payment.sub_basket
        if sub is None:  # the query asks for parts only
            continue
        own = tuple(by_sub.get(sub.pk, []))
        own_done = {r.pk: done.get(r.pk, r.created) for r in own}
        charged_back_at = opened.get((payment.order_id, str(sub.reference_id)))
        dispute = str(sub.dispute)
        if until is not None:  # the part as it stood at ``until``
            own = tuple(r for r in own if own_done[r.pk] < until)
            if charged_back_at is not None and charged_back_at >= until:
                dispute, charged_back_at = DisputeState.NONE, None
        figures = part_figures(
            sum_=int(sub.sum),
            amount=int(payment.amount or 0),
            fee=int(sub.fee),
            refunds=[
                RefundFact(r.kind, r.state, r.amount, r.reduce_stakeholder_payment, own_done[r.pk])
                for r in own
            ],
            dispute=dispute,
            changed=charged_back_at or payment.created,
        )
        sold_at = payment.sold_at  # type: ignore[attr-defined]
        parts.append(SoldPart(payment, figures, own, sold_at, own_done, charged_back_at))
    return parts


def part_movements(part: SoldPart) -> list[Movement]:
    """The part's movements, each at its own date (module docstring)."""
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
    found = [Movement(Kind.PAYMENT, part.sold_at, figures.sold, **common)] if figures.sold else []
    for move in figures.fee_moves:
        found.append(Movement(Kind.FEE, move.at or part.sold_at, move.amount, **common))
    for record in part.refunds:
        if record.kind == RefundKind.REFUND and record.state == RefundState.DONE:
            at = part.refunds_done_at.get(record.pk, record.created)
            found.append(Movement(Kind.REFUND, at, int(record.amount), **common))
    if figures.chargeback:
        at = part.charged_back_at or payment.created
        found.append(Movement(Kind.CHARGEBACK, at, figures.chargeback, **common))
    return found


def all_movements(parts: Iterable[SoldPart]) -> list[Movement]:
    return [move for part in parts for move in part_movements(part)]
