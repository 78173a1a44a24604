"""Erasing a buyer's personal data while keeping the records (GDPR Art. 17 with the
retention of booking records, HGB §257 / AO §147): by order, by e-mail address, or for every
order older than ``ERASE_BUYERS_AFTER_DAYS``.

For each order: the buyer's fields on the order (``rules.erasure.BUYER_FIELDS``) are emptied,
and every value the app stored about its payment (the Smart and Payment Transaction snapshots,
errors, refund reasons, push bodies, the timeline's details) is scrubbed of the buyer's words
and of anything ``redaction`` hides. Amounts, ids, dates, statuses, the basket and the supplier
split stay. ``ERASURE_HOOK`` erases the shop's own copies (the demo's: the link from the
buyer's session to the order). An order whose money is still on its way, or with a part in
dispute, is refused with the reason (``rules.books.erasure_refused``).

A dry run answers the same report and changes nothing. Each erased order gets one ``erasure``
event and the ``buyer_erased`` signal. secuconnect's own copy of the buyer's data is not the
app's to erase: the operator asks secupay for that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.module_loading import import_string

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.ledger import erasure as erasure_writes
from secu_marketplace.ledger.erasure import Plan
from secu_marketplace.models import (
    CheckoutAttempt,
    Order,
    PaymentTransaction,
    PushNotification,
    Refund,
    StatusEvent,
    SubBasket,
)
from secu_marketplace.rules.books import KEEP_DATA_WHILE, disputed, erasure_refused
from secu_marketplace.rules.erasure import (
    BUYER_FIELDS,
    erased_fields,
    needle_pattern,
    scrub,
    scrub_text,
)
from secu_marketplace.rules.statuses import DisputeState, OrderStatus, Source

# The stored values each kind of row holds, and whether each is JSON (else text).
STORED: dict[str, tuple[type[Any], dict[str, bool]]] = {
    "attempt": (CheckoutAttempt, {"snapshot": True, "last_error": True}),
    "payment": (PaymentTransaction, {"snapshot": True}),
    "refund": (Refund, {"reason": False, "error": True}),
    "push": (PushNotification, {"body": True, "error": False, "object_ids": True}),
    "event": (StatusEvent, {"detail": True}),
}


@dataclass
class OrderErasure:
    reference: str
    refused: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class ErasureReport:
    dry_run: bool
    orders: list[OrderErasure] = field(default_factory=list)
    shop: list[str] = field(default_factory=list)  # what the ERASURE_HOOK changed (or would)

    @property
    def erased(self) -> list[OrderErasure]:
        return [o for o in self.orders if not o.refused]

    @property
    def refused(self) -> list[OrderErasure]:
        return [o for o in self.orders if o.refused]


def _rows(order: Order) -> dict[str, list[Any]]:
    attempts = list(CheckoutAttempt.objects.filter(order=order))
    return {
        "attempt": attempts,
        "payment": list(PaymentTransaction.objects.filter(order=order)),
        "refund": list(Refund.objects.filter(order=order)),
        "push": list(PushNotification.objects.filter(attempt__in=attempts)),
        "event": list(StatusEvent.objects.filter(order=order)),
    }


def plan(order: Order) -> Plan:
    """What erasing the buyer would change on ``order`` (nothing is written)."""
    values = {name: getattr(order, name) for name in BUYER_FIELDS}
    pattern = needle_pattern(values)
    found = Plan(order_id=order.pk, order_fields=erased_fields(values))
    if order.review_reason and pattern is not None and pattern.search(order.review_reason):
        found.order_fields["review_reason"] = scrub_text(order.review_reason, pattern)
    for kind, rows in _rows(order).items():
        for row in rows:
            for name, is_json in STORED[kind][1].items():
                before = getattr(row, name)
                if before in (None, "", {}, []):
                    continue
                after = scrub(before, pattern) if is_json else scrub_text(before, pattern)
                if after != before:
                    found.rows[(kind, row.pk, name)] = after
    return found


def refusal(order: Order) -> str:
    """Why ``order``'s buyer may not be erased yet ("" when it may)."""
    disputes = SubBasket.objects.filter(order=order).values_list("dispute", flat=True)
    return erasure_refused(order.status, any(disputed(state) for state in disputes))


def _hook(emails: set[str], orders: list[Order], dry_run: bool) -> list[str]:
    hook = app_settings.ERASURE_HOOK
    if not hook:
        return []
    call = import_string(hook) if isinstance(hook, str) else hook
    return [str(line) for line in call(emails, orders, dry_run) or []]


def _planner(entry: OrderErasure) -> Callable[[Order], Plan | None]:
    """What to erase from the locked order, or None (and why, in ``entry``) if it may not be
    erased now."""

    def decide(locked_order: Order) -> Plan | None:
        entry.refused = refusal(locked_order)
        return None if entry.refused else plan(locked_order)

    return decide


def erase(
    orders: Iterable[Order], *, dry_run: bool = False, source: str = Source.ADMIN
) -> ErasureReport:
    """Erase (or, ``dry_run``, report) the buyer's data on each of ``orders``."""
    report = ErasureReport(dry_run=dry_run)
    done: list[Order] = []
    emails: set[str] = set()
    for order in orders:
        entry = OrderErasure(reference=str(order.reference), refused=refusal(order))
        report.orders.append(entry)
        if entry.refused:
            continue
        email = str(order.email).lower()
        if dry_run:
            entry.changes = plan(order).describe()
        else:
            # Decided again with the order locked, and written even when nothing is left to
            # change: the event marks the order erased.
            written = erasure_writes.apply(order.pk, _planner(entry), source=source)
            if written is None:
                continue
            entry.changes = written.describe()
        if email:
            emails.add(email)
        done.append(order)
    report.shop = _hook(emails, done, dry_run)
    return report


def orders_of(*, email: str = "", reference: str = "") -> list[Order]:
    """The orders a request names: by the buyer's e-mail address (any case), or one order."""
    if reference:
        return list(Order.objects.filter(reference=reference))
    if email:
        return list(Order.objects.filter(email__iexact=email.strip()).order_by("created"))
    raise ProcessingError("name an order or an e-mail address")


def expired(now: datetime | None = None) -> list[Order]:
    """Orders placed before ``ERASE_BUYERS_AFTER_DAYS`` whose buyer was not erased yet."""
    days = app_settings.ERASE_BUYERS_AFTER_DAYS
    if not days:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=int(days))
    erased = StatusEvent.objects.filter(order=OuterRef("pk"), subject=StatusEvent.Subject.ERASURE)
    # Orders ``refusal`` would refuse are left out here, so that they never crowd out the
    # ones that may go (500 a run).
    disputes = SubBasket.objects.filter(order=OuterRef("pk"), dispute=DisputeState.OPEN)
    waiting = sorted(KEEP_DATA_WHILE | {OrderStatus.DISPUTED})
    due = Order.objects.filter(created__lt=cutoff).exclude(status__in=waiting)
    return list(due.exclude(Exists(erased)).exclude(Exists(disputes)).order_by("created")[:500])


def erase_expired(now: datetime | None = None, *, dry_run: bool = False) -> ErasureReport:
    """The retention rule: erase the buyers of every order older than the setting says (500 per
    run; the next run goes on)."""
    return erase(expired(now), dry_run=dry_run, source=Source.RECONCILE)
