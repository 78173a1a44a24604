"""Chargebacks and accepted invoices in the pure decision, without a database: which parts a
chargeback concerns under every reading of the undecided evidence, how a part's dispute moves,
and that no sequence of answers ever takes an order's money backwards (paid to "confirmed",
shipped to paid) on its way through "disputed"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from secu_marketplace.rules.decide import Current, Seen, decide
from secu_marketplace.rules.disputes import Issue, next_dispute, part_issues
from secu_marketplace.rules.rows import Row
from secu_marketplace.rules.statuses import (
    DISPUTE_TRANSITIONS,
    AttemptState,
    DisputeState,
    OrderStatus,
    can_move,
)

S, D = OrderStatus, DisputeState
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def row(simple: int, sub: int | None = None) -> Row:
    return Row(
        pci_id=f"PCI_{sub}",
        attempt_id=1,
        role="sub" if sub else "leading",
        parent="",
        sub_basket_id=sub,
        status_simple=simple,
        status=None,
        amount=1000,
        currency="EUR",
        description="",
    )


def test_the_leading_transaction_speaks_for_every_part_when_no_part_does() -> None:
    issues = part_issues(row(4), {1: row(1, 1), 2: row(5, 2)}, [1, 2])
    # The part refunded before (void) is disputed too: the buyer would have its money twice.
    assert issues == {1: Issue(open=True, dead=False), 2: Issue(open=True, dead=False)}


def test_parts_that_speak_say_which_bore_it() -> None:
    issues = part_issues(row(4), {1: row(4, 1), 2: row(1, 2)}, [1, 2])
    assert (issues[1].open, issues[2].open) == (True, False)
    issues = part_issues(row(1), {1: row(1, 1), 2: row(6, 2)}, [1, 2])
    assert (issues[1].open, issues[2].open) == (False, False)


def test_a_part_without_a_transaction_of_its_own_follows_the_payment() -> None:
    assert part_issues(row(4), {}, [1]) == {1: Issue(open=True, dead=False)}


def test_a_dispute_opens_resolves_or_is_lost() -> None:
    assert next_dispute(D.NONE, Issue(open=True, dead=False)) == D.OPEN
    assert next_dispute(D.OPEN, Issue(open=False, dead=False)) == D.RESOLVED
    assert next_dispute(D.OPEN, Issue(open=False, dead=True)) == D.LOST
    assert next_dispute(D.RESOLVED, Issue(open=True, dead=False)) == D.OPEN
    assert next_dispute(D.LOST, Issue(open=True, dead=False)) == D.LOST  # final
    assert next_dispute(D.NONE, Issue(open=False, dead=True)) == D.NONE
    assert set(DISPUTE_TRANSITIONS) == set(D.values)


def current(status: str, **facts: object) -> Current:
    base = Current(
        order_status=status,
        attempt_state=AttemptState.SETTLED,
        provider_status="received",
        provider_updated=T0,
        returned_via="success",
        latest=True,
        others_with_money=False,
        voided=False,
    )
    return Current(**{**base.__dict__, **facts})  # type: ignore[arg-type]


def target(status: str, stx: str = "received", **facts: object) -> str | None:
    seen = Seen(status=stx, updated=T0 + timedelta(seconds=1))
    return decide(current(status, **facts), seen, now=T0 + timedelta(seconds=2)).order_target


def test_an_accepted_invoice_is_confirmed_until_its_buyer_pays() -> None:
    assert target(S.AWAITING_PAYMENT, method="invoice") == S.CONFIRMED
    assert target(S.CONFIRMED, method="invoice", buyer_paid=True) == S.PAID
    assert target(S.AWAITING_PAYMENT, method="creditcard", buyer_paid=True) == S.PAID


def test_money_that_came_back_disputes_the_order_and_the_resolution_restores_it() -> None:
    assert target(S.PAID, method="debit", buyer_paid=True, in_issue=True) == S.DISPUTED
    assert target(S.DISPUTED, method="debit", buyer_paid=True, before_dispute=S.PAID) == S.PAID
    shipped = {"method": "debit", "buyer_paid": True, "everything_shipped": True}
    assert target(S.DISPUTED, "ok", **shipped) == S.SHIPPED  # intent sale: "ok" for ever
    assert target(S.DISPUTED, method="debit", voided=True) == S.CANCELLED
    # A paid invoice whose issue is resolved is paid, whatever its simple status now says.
    unpaid_now = {"method": "invoice", "buyer_paid": False, "before_dispute": S.PAID}
    assert target(S.DISPUTED, **unpaid_now) == S.PAID


@dataclass
class Walk:
    status: str = S.AWAITING_PAYMENT
    before: str = ""


RANK = {S.CONFIRMED: 0, S.PAID: 1, S.SHIPPED: 2}
steps = st.lists(
    st.tuples(
        st.sampled_from(["received", "ok", "shipped"]),
        st.booleans(),  # the buyer's money has arrived
        st.booleans(),  # a part's money came back
        st.booleans(),  # every part shipped
    ),
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["invoice", "debit"]), sequence=steps)
def test_no_sequence_takes_the_money_backwards_through_a_dispute(
    method: str, sequence: list[tuple[str, bool, bool, bool]]
) -> None:
    walk = Walk()
    seen: list[str] = []
    for stx, paid, issue, shipped in sequence:
        facts = {
            "method": method,
            "buyer_paid": paid,
            "in_issue": issue,
            "everything_shipped": shipped,
            "before_dispute": walk.before,
        }
        found = target(walk.status, stx, **facts)
        if found is None or found == walk.status or not can_move(walk.status, found):
            continue
        if found == S.DISPUTED:
            walk.before = walk.status
        walk.status = found
        if found in RANK:
            seen.append(found)
    ranks = [RANK[s] for s in seen]
    assert ranks == sorted(ranks), seen
