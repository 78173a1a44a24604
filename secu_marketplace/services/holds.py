"""Money held until delivery: find the parts secuconnect holds (``accrual``), release each one
(``revokeAccrual``) once it has shipped and its hold period has passed without a refund or a
dispute, keep it for staff when one came, and let staff release or keep a part by hand.

``run`` is what ``secu_sync`` and the ``books_upkeep`` task call. A release follows the pattern
of the other calls that move money (docs/architecture.md, "Moving money"): it is claimed
(``ledger.claim``) so two runs never send it twice, checked again with the claim held, sent
outside any lock, and written through ``ledger.holds`` with its event and the
``sub_basket_released`` signal. A release whose answer is lost is sent again at the next run:
revoking a flag that is off already changes nothing (docs/provider.md, "Payouts and held
money").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from secu_marketplace import checkpoints, ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, ProcessingError, SecuconnectError
from secu_marketplace.ledger import holds as hold_writes
from secu_marketplace.ledger.holds import NewHold
from secu_marketplace.models import Hold, PaymentTransaction, Refund
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.read.payments import is_spent
from secu_marketplace.rules.books import (
    HoldDecision,
    HoldFacts,
    HoldState,
    RefundFact,
    decide_hold,
    part_figures,
)
from secu_marketplace.rules.statuses import AttemptState, PaymentRole, RefundState, Source

logger = logging.getLogger(__name__)

OPEN = (HoldState.HELD, HoldState.KEPT)


@dataclass
class HoldRun:
    found: int = 0
    released: int = 0
    kept: int = 0
    closed: int = 0
    waiting: int = 0
    failed: int = 0


def discover(*, source: str = Source.RECONCILE) -> int:
    """Record a hold for every part whose sub-transaction secuconnect reports with ``accrual``
    and the app has not seen held yet; the rule that releases it is the supplier's (or the
    settings') now."""
    candidates = PaymentTransaction.objects.filter(
        role=PaymentRole.SUB,
        attempt__state=AttemptState.SETTLED,
        snapshot__accrual=True,
        sub_basket__isnull=False,
        sub_basket__hold__isnull=True,
    ).select_related("sub_basket__supplier")
    setting = bool(app_settings.HOLD_UNTIL_SHIPPED)
    found = []
    for payment in candidates:
        sub = payment.sub_basket
        if sub is None:  # the query asks for parts only
            continue
        supplier = sub.supplier
        days = supplier.hold_days if supplier.hold_days is not None else app_settings.HOLD_DAYS
        found.append(
            NewHold(
                order_id=payment.order_id,
                sub_basket_id=sub.pk,
                payment_id=payment.pk,
                reference_id=sub.reference_id,
                until_shipped=supplier.holds_payouts(setting),
                days=int(days),
            )
        )
    return hold_writes.discovered(found, source=source)


def facts(hold: Hold, refunds: list[Refund] | None = None) -> HoldFacts:
    """What decides ``hold`` now, read from the database (``refunds``: every refund record of
    its part, when the caller read them for many parts at once)."""
    payment, sub = hold.payment, hold.sub_basket
    if refunds is None:
        refunds = list(Refund.objects.filter(sub_basket_id=hold.sub_basket_id))
    standing = [r for r in refunds if r.state != RefundState.FAILED]
    figures = part_figures(
        sum_=int(sub.sum),
        amount=int(payment.amount or 0),
        fee=int(sub.fee),
        refunds=[
            RefundFact(r.kind, r.state, r.amount, r.reduce_stakeholder_payment, r.created)
            for r in standing
        ],
        dispute=str(sub.dispute),
        changed=None,
    )
    # ``read.payments.refund_records`` of the part's own transaction, from the rows in hand.
    records = [(r.kind, r.state, r.amount) for r in refunds if r.target_id == payment.pk]
    return HoldFacts(
        until_shipped=hold.until_shipped,
        days=hold.days,
        shipped_at=sub.shipped_at,
        refund_times=tuple(r.created for r in standing),
        dispute=str(sub.dispute),
        spent=is_spent(payment, records),
        settles=bool(figures.fee or figures.net),
    )


def run(
    now: datetime | None = None,
    *,
    client: SecuconnectClient | None = None,
    source: str = Source.RECONCILE,
) -> HoldRun:
    """Find new holds, then release, keep or close each open one as ``decide_hold`` says."""
    now = now or timezone.now()
    client = client or SecuconnectClient()
    summary = HoldRun(found=discover(source=source))
    held = Hold.objects.filter(state=HoldState.HELD).select_related("payment", "sub_basket")
    # Every held part's refunds in one query: a run costs the same few queries for 10 held
    # parts as for 10,000 (plus one write per part it moves).
    by_part: dict[int, list[Refund]] = defaultdict(list)
    for record in Refund.objects.filter(sub_basket_id__in=held.values("sub_basket_id")):
        by_part[int(record.sub_basket_id or 0)].append(record)
    for hold in held:
        decision, reason = decide_hold(facts(hold, by_part[hold.sub_basket_id]), now)
        if decision == HoldDecision.WAIT:
            summary.waiting += 1
        elif decision == HoldDecision.KEEP:
            summary.kept += hold_writes.moved(hold, HoldState.KEPT, reason=reason, source=source)
        elif decision == HoldDecision.CLOSE:
            summary.closed += hold_writes.moved(
                hold, HoldState.CLOSED, reason=reason, source=source
            )
        else:
            try:
                summary.released += release(
                    hold, reason=reason, source=source, client=client, decided_at=now
                )
            except ProcessingError as error:
                logger.info("hold %s not released: %s", hold.pk, error)
                summary.failed += 1
    return summary


def release(
    hold: Hold,
    *,
    reason: str,
    source: str,
    client: SecuconnectClient | None = None,
    decided_at: datetime | None = None,
) -> bool:
    """Revoke the part's accrual at secuconnect, then record the release. Claimed: a second
    caller at the same time is refused before secuconnect is asked. ``ProcessingError`` when
    it cannot be released (released already, or secuconnect refused).

    ``decided_at``: the automatic run's time. The decision is made again with the claim held
    (a refund or a chargeback that landed since keeps the part: False, nothing sent); staff
    releasing by hand decide for themselves."""
    client = client or SecuconnectClient()
    busy = f"the payout of sub-basket {hold.sub_basket.reference_id} is being released"
    with ledger.claim(hold.order_id, f"release:{hold.sub_basket_id}", busy):
        hold = Hold.objects.select_related("payment", "sub_basket").get(pk=hold.pk)
        if hold.state not in OPEN:
            raise ProcessingError(
                f"the payout of sub-basket {hold.sub_basket.reference_id} is "
                f"{hold.get_state_display()} already"
            )
        if decided_at is not None:
            decision, _why = decide_hold(facts(hold), decided_at)
            if decision != HoldDecision.RELEASE:
                return False  # the next run acts on what it finds then
        checkpoints.reach(checkpoints.Point.RELEASE)
        try:
            client.revoke_accrual(hold.payment.pci_id)
        except ApiError as error:
            hold_writes.failed(hold, f"secuconnect refused: {error}")
            raise ProcessingError(f"secuconnect refused the release: {error}") from error
        except SecuconnectError as error:
            # Unreachable, or the answer was lost: sent again at the next run (or by hand).
            hold_writes.failed(hold, str(error))
            raise ProcessingError(f"secuconnect did not confirm the release: {error}") from error
        return hold_writes.moved(hold, HoldState.RELEASED, reason=reason, source=source)


def release_by_hand(hold: Hold, *, client: SecuconnectClient | None = None) -> bool:
    """Staff release a part now, whatever the period (their permission is checked by the
    admin)."""
    return release(
        hold, reason=gettext_noop("released by staff"), source=Source.ADMIN, client=client
    )


def keep_by_hand(hold: Hold, reason: str = "") -> bool:
    """Staff keep a part held: no automatic release until they release it."""
    why = reason.strip() or gettext_noop("kept by staff")
    if not hold_writes.moved(hold, HoldState.KEPT, reason=why, source=Source.ADMIN):
        raise ProcessingError(f"the payout is {hold.get_state_display()}: it cannot be kept")
    return True
