"""Chargebacks and returned direct debits, per supplier's part: pure decisions.

secuconnect reports both as a Payment Transaction's simple status 4 "issue" (status text
"Rückbelastung"), and 6 "issue resolved" once the claim is settled in the merchant's favour
(docs/provider.md, "Chargebacks and returned debits"). Which transactions it marks is not
documented (docs/provider.md, "Undecided"): the leading one (the buyer's whole payment), the
sub-transactions of the parts concerned, or both. ``part_issues`` reads every answer the same
way: when any sub-transaction speaks of an issue (4 or 6), the sub-transactions say which parts
bore it; when none does, an issue on the leading transaction is every live part's.

A part's ``DisputeState`` then moves along ``DISPUTE_TRANSITIONS``: open while its money is
back with the buyer (shipping waits), resolved once secuconnect says so, lost when the
payment ends void. ``everything_shipped`` says where a resolved order goes back to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from secu_marketplace.rules.payments import FAILED_SIMPLE, Simple
from secu_marketplace.rules.plans import Event
from secu_marketplace.rules.refunds import left_to_refund
from secu_marketplace.rules.rows import Row
from secu_marketplace.rules.statuses import (
    DISPUTE_TRANSITIONS,
    DisputeState,
    PaymentRole,
    allowed,
)

if TYPE_CHECKING:
    from secu_marketplace.models import Refund, SubBasket

DISPUTE_EVENT = "dispute"  # StatusEvent.Subject.DISPUTE
SPEAKING = frozenset({Simple.ISSUE, Simple.ISSUE_RESOLVED})


@dataclass(frozen=True)
class DisputeWrite:
    """A part's dispute state to set (``sub_basket_id``), and its timeline row."""

    sub_basket_id: int
    state: str
    event: Event


@dataclass(frozen=True)
class Issue:
    """One part's standing: its money came back (``open``), or the payment that spoke for it
    ended void or denied (``dead``: a dispute open until then is lost)."""

    open: bool
    dead: bool


def attempt_rows(rows: Iterable[Row], attempt_id: int) -> tuple[Row | None, dict[int, Row]]:
    """The attempt's leading row and its sub-transactions' rows by sub-basket id."""
    mine = [row for row in rows if row.attempt_id == attempt_id]
    leading = next((row for row in mine if row.role == PaymentRole.LEADING), None)
    parts = {
        row.sub_basket_id: row
        for row in mine
        if row.role == PaymentRole.SUB and row.sub_basket_id is not None
    }
    return leading, parts


def part_issues(leading: Row | None, parts: Mapping[int, Row], subs: Iterable[int]) -> dict:
    """Each part (by sub-basket id, ``subs``) as the payment's rows report it (module
    docstring: the sub-transactions decide when any of them speaks, else the leading one)."""
    speaking = any(row.status_simple in SPEAKING for row in parts.values())
    found: dict[int, Issue] = {}
    for sub_id in subs:
        # The row that speaks for the part: its own, or the buyer's whole payment. A part
        # refunded or cancelled before is disputed too: the buyer would have its money twice.
        row = parts.get(sub_id) if speaking else leading
        simple = row.status_simple if row is not None else None
        found[sub_id] = Issue(open=simple == Simple.ISSUE, dead=simple in FAILED_SIMPLE)
    return found


def next_dispute(current: str, issue: Issue) -> str:
    """Where a part's dispute goes, given how its payment reads now."""
    if issue.open:
        target = DisputeState.OPEN
    elif current == DisputeState.OPEN:
        target = DisputeState.LOST if issue.dead else DisputeState.RESOLVED
    else:
        return current
    return target if allowed(DISPUTE_TRANSITIONS, current, target) else current


def plan_disputes(
    subs: Iterable[SubBasket], issues: Mapping[int, Issue], *, stx_id: str
) -> list[DisputeWrite]:
    """The parts whose dispute state the answer changes, with one event each."""
    writes = []
    for sub in subs:
        issue = issues.get(sub.pk)
        if issue is None:
            continue
        state = next_dispute(sub.dispute, issue)
        if state != sub.dispute:
            detail = {"sub_basket": sub.reference_id, "supplier": sub.supplier_id, "stx": stx_id}
            event = Event(DISPUTE_EVENT, state, sub.dispute, detail)
            writes.append(DisputeWrite(sub_basket_id=sub.pk, state=state, event=event))
    return writes


def everything_shipped(
    subs: Iterable[SubBasket],
    parts: Mapping[int, Row],
    records: Iterable[Refund],
    pci_of: Mapping[int, str],
) -> bool:
    """Every part is shipped or has nothing left to ship (cancelled, refunded in full): where
    a resolved dispute takes the order back to, whatever the Smart Transaction says (with
    intent "sale" it never reads "shipped")."""
    subs = list(subs)
    if not subs:
        return False
    taken: dict[str, list[tuple[str, str, int]]] = {}
    for record in records:
        taken.setdefault(pci_of.get(record.target_id, ""), []).append(
            (record.kind, record.state, record.amount)
        )
    for sub in subs:
        if sub.shipped_at is not None:
            continue
        row = parts.get(sub.pk)
        if row is None:
            return False
        spent = row.status_simple in FAILED_SIMPLE or (
            bool(row.amount)
            and left_to_refund(row.amount, row.status_simple, taken.get(row.pci_id, [])) == 0
        )
        if not spent:
            return False
    return True
