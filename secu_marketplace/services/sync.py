"""``sync_attempt``: the one function every entry point calls to learn an attempt's state.

The return pages, the push endpoint, the admin's refresh and ``secu_sync`` all come here. It
reads, decides, commits:

1. **read** the Smart Transaction and its Payment Transactions, outside any lock
   (``provider.reads``; reconciliation stops after the Smart Transaction when it reads exactly
   as held: ``stop_if_unchanged``);
2. **decide**, under the ledger's locks, everything the answer changes (``rules.decide.plan``):
   whether it is this attempt's at all (a mismatch sends the order to review and never pays
   it), whether it is older than what is held (then it changes nothing), the Payment
   Transaction rows, the refund records, the attempt's state and where the order goes;
3. **commit** that plan (``ledger.commit``): each state through its transition table, one event
   per real change, signals after commit.

So return, push and reconciliation may race freely. The result carries the rows the commit holds
(``SyncResult``), so the payment page renders from them without reading them again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from secu_marketplace import checkpoints, ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import NotAllowed, NotFound, SecuconnectError
from secu_marketplace.ledger import attempts as attempt_writes
from secu_marketplace.models import CheckoutAttempt, Order, PaymentTransaction, Refund
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.reads import Snapshot, fetch, read_payments
from secu_marketplace.read.presentation import PaymentPage, payment_page
from secu_marketplace.rules.decide import Held, When, plan
from secu_marketplace.rules.statuses import AttemptState, Source
from secu_marketplace.services.lost_create import resolve_unknown

logger = logging.getLogger(__name__)


@dataclass
class SyncResult:
    attempt: CheckoutAttempt
    order: Order
    reachable: bool = True
    changed: bool = False
    error: SecuconnectError | None = None
    problems: list[str] = field(default_factory=list)
    # The order's Payment Transaction rows and refund records as this sync left them (None:
    # nothing was read, as when secuconnect could not be asked).
    payments: list[PaymentTransaction] | None = None
    refunds: list[Refund] | None = None
    settled: dict[int, int] | None = None  # the settled attempts' numbers, by id


def sync_attempt(
    attempt: CheckoutAttempt,
    *,
    source: str,
    returned_via: str = "",
    client: SecuconnectClient | None = None,
    stop_if_unchanged: bool = False,
) -> SyncResult:
    """Bring ``attempt`` (and its order) up to date with secuconnect. Never raises for the
    provider being unreachable: the result says ``reachable=False`` and nothing changed.

    ``stop_if_unchanged`` (reconciliation): when the Smart Transaction reads as the one held
    for the attempt (status, ``updated`` and the transactions it lists), that one call is all:
    its Payment Transactions are not read and nothing is written. A payment that moves shows on
    its Smart Transaction, so only a change there is worth the further reads."""
    client = client or SecuconnectClient()
    if not attempt.stx_id:
        attempt = resolve_unknown(attempt, client=client)
        if not attempt.stx_id:
            reachable = attempt.state != AttemptState.UNKNOWN
            return SyncResult(attempt=attempt, order=_order_of(attempt), reachable=reachable)
    fetched_at = timezone.now()
    try:
        snap = fetch(client, attempt.stx_id, payments=False)
        if stop_if_unchanged and _unchanged(attempt, snap):
            return SyncResult(attempt=attempt, order=_order_of(attempt))
        read_payments(client, snap)
    except (NotFound, NotAllowed) as error:
        # Our own id is unknown to secuconnect: nothing we can trust, so a human looks. Whether
        # the real API answers an id it does not show us with 404 or with 403
        # ProductNotAllowedException is undecided (docs/provider.md, "Undecided"): both mean
        # the same here. (A 403 that is about the token, code 2003, never gets this far: the
        # client re-authenticates, and a refused new token is an AuthenticationError.)
        return apply(
            attempt,
            None,
            source=source,
            returned_via=returned_via,
            fetched_at=fetched_at,
            lost=str(error),
        )
    except SecuconnectError as error:  # unreachable, or an answer we cannot use: nothing changes
        logger.warning("could not sync %s: %s", attempt, error)
        attempt_writes.note_error(attempt, error.as_dict())
        return SyncResult(attempt=attempt, order=_order_of(attempt), reachable=False, error=error)
    # A test may pause here (tests/races.py): this answer is read, and a newer one may be
    # committed before it; no lock is held yet.
    checkpoints.reach(checkpoints.Point.SYNC_COMMIT)
    return apply(attempt, snap, source=source, returned_via=returned_via, fetched_at=fetched_at)


def apply(
    attempt: CheckoutAttempt,
    snap: Snapshot | None,
    *,
    source: str,
    returned_via: str = "",
    fetched_at: datetime | None = None,
    lost: str = "",
) -> SyncResult:
    """Decide and commit an answer already read (``snap``; None with ``lost`` when our own id
    is unknown to secuconnect) under the ledger's locks: order, attempt, payment rows,
    refunds. ``fetched_at`` is when the read began (default: now): an answer older than what
    is held changes nothing."""
    now = timezone.now()
    when = When(now=now, fetched_at=fetched_at or now, landing_window=app_settings.landing_window)
    with ledger.locked(
        attempt.order_id, attempt_id=attempt.pk, source=source, payments=True, refunds=True
    ) as w:
        held = ledger.gather(w)
        decided = plan(held, snap, when, returned_via=returned_via, lost=lost)
        ledger.commit(w, decided)
    if decided.problems:
        logger.error("order %s needs review: %s", w.order.reference, "; ".join(decided.problems))
    return SyncResult(
        attempt=w.locked_attempt,
        order=w.order,
        changed=w.moved or any(write.done for write in decided.refunds),
        problems=list(decided.problems),
        payments=w.payments,
        refunds=w.refunds,
        settled=_settled(held, w.locked_attempt),
    )


def _settled(held: Held, attempt: CheckoutAttempt) -> dict[int, int]:
    """The settled attempts' numbers by id, as the commit left them (it changed only
    ``attempt``)."""
    states = {pk: (number, state) for pk, number, state, _status in held.attempts}
    states[attempt.pk] = (attempt.number, attempt.state)
    return {pk: number for pk, (number, state) in states.items() if state == AttemptState.SETTLED}


def _unchanged(attempt: CheckoutAttempt, snap: Snapshot) -> bool:
    """Whether ``snap`` says nothing the attempt does not already hold: the same status, the
    same ``updated`` and the same transactions as the answer last applied without error. A
    stored error or any other state is re-read in full, so that the full read clears or
    settles it. (Comparing these, not the whole answer, keeps a reconciliation run's cost per
    unchanged attempt to the one call: no redaction of the answer to compare it.)"""
    held = attempt.snapshot or {}
    listed = sorted(entry.id for entry in snap.stx.transactions)
    return (
        attempt.state in (AttemptState.OPEN, AttemptState.SETTLED)
        and not attempt.last_error
        and snap.stx.id == attempt.stx_id
        and snap.status == attempt.provider_status
        and snap.stx.updated is not None
        and snap.stx.updated == attempt.provider_updated
        and listed == sorted(t.get("id", "") for t in held.get("transactions") or [])  # own data
    )


def _order_of(attempt: CheckoutAttempt) -> Order:
    # secu_sync's claim loads the order with the attempt: no second query then.
    if CheckoutAttempt.order.is_cached(attempt):
        return attempt.order
    return Order.objects.get(pk=attempt.order_id)


# A buyer checking back on a payment in flight gets a fresh read at most this often.
RECHECK_AFTER = timedelta(seconds=5)
IN_FLIGHT_PAGES = frozenset({"confirming", "pending_transfer", "pending_check", "authorized"})


def page_after(result: SyncResult) -> PaymentPage:
    """The buyer's payment page as a sync left the order, from the rows it holds."""
    return payment_page(
        result.order,
        result.attempt,
        reachable=result.reachable,
        payments=result.payments,
        refunds=result.refunds,
        settled=result.settled,
    )


def _fresh(attempt: CheckoutAttempt) -> bool:
    synced = attempt.last_synced_at
    return synced is not None and timezone.now() - synced < RECHECK_AFTER


def return_page(attempt: CheckoutAttempt, outcome: str) -> PaymentPage:
    """The page a buyer coming back from Smart Checkout sees (``url_success``/``_error``/
    ``_abort``): secuconnect re-read, unless this attempt was read for the same return moments
    ago. A reload or a replayed return link costs at most one read per ``RECHECK_AFTER``."""
    if attempt.returned_via == outcome and _fresh(attempt):
        return payment_page(_order_of(attempt), attempt)
    return page_after(sync_attempt(attempt, source=Source.RETURN, returned_via=outcome))


def buyer_page(order: Order) -> PaymentPage:
    """The order's payment page as a buyer checking back sees it (the status page and the
    headless API's order read): while a payment is in flight, secuconnect is asked first, at
    most every ``RECHECK_AFTER``."""
    attempt = order.attempts.order_by("-number").first()
    page = payment_page(order, attempt)
    if attempt is not None and page.state in IN_FLIGHT_PAGES and not _fresh(attempt):
        page = page_after(sync_attempt(attempt, source=Source.RETURN))
    return page
