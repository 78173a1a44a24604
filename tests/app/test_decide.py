"""Property tests of the pure decision (``services.decide``), without a database: whatever
sequence of provider answers arrives, in whatever order, the order never moves backwards, is
never paid twice, and a refund once done is never lost."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from secu_marketplace.rules.decide import Current, Seen, decide, read_before
from secu_marketplace.rules.refunds import next_state
from secu_marketplace.rules.statuses import MONEY, AttemptState, OrderStatus, can_move

S = OrderStatus
T0 = datetime(2026, 12, 1, tzinfo=UTC)
STX_STATUSES = [
    "created",
    "approved",
    "pending",
    "ok",
    "received",
    "collection",
    "shipped",
    "collected",
    "failed",
    "cancelled",
    "something-new",
]
SETTLED_FOR_GOOD = {S.PAID, S.SHIPPED, S.REFUNDED}

answers = st.lists(
    st.tuples(
        st.sampled_from(STX_STATUSES),
        st.integers(min_value=-600, max_value=600),  # the answer's "updated", reordered freely
        st.sampled_from(["", "success", "error", "abort"]),
        st.booleans(),  # the leading payment reads void
    ),
    max_size=25,
)


@dataclass
class Run:
    order: str
    current: Current
    moves: list[tuple[str, str]]


def _play(start: str, sequence: list, others_with_money: bool, latest: bool) -> Run:
    current = Current(
        order_status=start,
        attempt_state=AttemptState.OPEN,
        provider_status="created",
        provider_updated=T0,
        returned_via="",
        latest=latest,
        others_with_money=others_with_money,
        voided=False,
    )
    run = Run(order=start, current=current, moves=[])
    for status, offset, word, voided in sequence:
        now = T0 + timedelta(seconds=len(run.moves) + 700)
        current = replace(run.current, returned_via=word or run.current.returned_via, voided=voided)
        seen = Seen(status=status, updated=T0 + timedelta(seconds=offset))
        decision = decide(current, seen, now=now)
        if decision.stale:
            assert decision.status == current.provider_status  # an old answer changes nothing
        else:
            current = replace(
                current,
                provider_status=status,
                provider_updated=seen.updated,
                attempt_state=decision.attempt_state,
            )
        target = decision.order_target
        if target is not None and target != run.order and can_move(run.order, target):
            run.moves.append((run.order, target))
            run.order = target
        run.current = replace(current, order_status=run.order)
    return run


@settings(max_examples=400, deadline=None)
@given(
    start=st.sampled_from([S.NEW, S.AWAITING_PAYMENT, S.ABORTED, S.FAILED]),
    sequence=answers,
    latest=st.booleans(),
)
@example(S.AWAITING_PAYMENT, [("approved", 10, "", False), ("failed", 20, "", False)], True)
@example(S.AWAITING_PAYMENT, [("ok", 10, "", False), ("created", 20, "success", False)], True)
@example(S.AWAITING_PAYMENT, [("ok", 10, "", False), ("pending", -5, "", False)], True)
def test_no_sequence_of_answers_moves_an_order_backwards_or_pays_it_twice(
    start: str, sequence: list, latest: bool
) -> None:
    run = _play(start, sequence, others_with_money=False, latest=latest)
    for old, new in run.moves:
        if old in MONEY:
            # Authorised or pending money may still fail (authorisation expired, transfer never
            # came), which lets the buyer pay again; it never goes back to "awaiting payment".
            assert new not in {S.NEW, S.AWAITING_PAYMENT, S.ABORTED}, (old, new)
        if old in SETTLED_FOR_GOOD:
            assert new in {S.SHIPPED, S.REFUNDED, S.CANCELLED, S.NEEDS_REVIEW}, (old, new)
    assert [new for _old, new in run.moves].count(S.PAID) <= 1


@settings(max_examples=200, deadline=None)
@given(sequence=answers)
def test_money_on_a_second_attempt_is_never_taken_as_paid(sequence: list) -> None:
    run = _play(S.AWAITING_PAYMENT, sequence, others_with_money=True, latest=True)
    assert not any(new in MONEY for _old, new in run.moves), run.moves


@settings(max_examples=200, deadline=None)
@given(sequence=st.lists(st.sampled_from(["pending", "done", "failed"]), max_size=20))
def test_a_refund_once_done_is_never_lost(sequence: list) -> None:
    state = "requested"
    done = False
    for reported in sequence:
        state = next_state(state, reported)
        done = done or reported == "done"
        if done:
            assert state == "done"


def test_the_success_word_never_moves_an_aborted_order_back() -> None:
    run = _play(S.ABORTED, [("created", 1, "success", False)], False, True)
    assert run.order == S.ABORTED


def test_an_answer_asked_for_before_the_one_applied_is_older_whatever_its_time() -> None:
    assert read_before(T0 + timedelta(milliseconds=5), T0)
    assert not read_before(T0, T0 + timedelta(milliseconds=5))
    assert not read_before(None, T0)  # nothing applied yet (an attempt from before the field)
    assert not read_before(T0, None)
    current = Current(
        order_status=S.PAID,
        attempt_state=AttemptState.SETTLED,
        provider_status="ok",
        provider_updated=T0,
        returned_via="success",
        latest=True,
        others_with_money=False,
        voided=False,
    )
    # The same second as the one held: by its time alone it would apply.
    same_second = Seen(status="failed", updated=T0)
    assert not decide(current, same_second, now=T0).stale
    older = decide(current, replace(same_second, older=True), now=T0)
    assert older.stale
    assert older.status == "ok"
