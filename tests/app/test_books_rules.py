"""The books' pure rules (``rules/books.py``, ``rules/erasure.py``): a part's figures, what
happens to a held part, and what erasing finds and scrubs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from secu_marketplace.rules.books import (
    HoldDecision,
    HoldFacts,
    RefundFact,
    decide_hold,
    part_figures,
)
from secu_marketplace.rules.erasure import ERASED, needle_pattern, scrub, scrub_text

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)


def _refund(
    amount: int, *, kind: str = "refund", state: str = "done", fee: bool = False, at: datetime = T0
) -> RefundFact:
    return RefundFact(kind, state, amount, fee, at)


def test_a_plain_part_earns_its_sum_less_the_fee() -> None:
    f = part_figures(sum_=4440, amount=4440, fee=80, refunds=[], dispute="", changed=None)
    assert (f.sold, f.fee, f.refunded, f.chargeback, f.net) == (4440, 80, 0, 0, 4360)


def test_a_refund_with_the_fee_flag_returns_its_share_rounded_down() -> None:
    refund = _refund(1000, fee=True, at=T0 + timedelta(days=3))
    f = part_figures(sum_=4440, amount=4440, fee=80, refunds=[refund], dispute="", changed=None)
    assert f.fee == 80 - 80 * 1000 // 4440
    assert [m.amount for m in f.fee_moves] == [80, -(80 * 1000 // 4440)]
    assert f.fee_moves[1].at == refund.created


def test_failed_or_pending_refunds_count_for_nothing() -> None:
    refunds = [_refund(500, state="failed"), _refund(500, state="pending")]
    f = part_figures(sum_=4440, amount=4440, fee=80, refunds=refunds, dispute="", changed=None)
    assert f.refunded == 0


def test_a_reduction_before_payment_lowers_the_fee_as_the_sandbox_does() -> None:
    reduction = _refund(1440, kind="reduction", fee=True)
    f = part_figures(sum_=4440, amount=3000, fee=80, refunds=[reduction], dispute="", changed=None)
    assert (f.sold, f.fee) == (3000, 80 * 3000 // 4440)


def test_a_chargeback_takes_what_was_left_and_reverses_the_fee() -> None:
    f = part_figures(
        sum_=4440, amount=4440, fee=80, refunds=[_refund(440)], dispute="open", changed=T0
    )
    assert (f.chargeback, f.fee, f.net) == (4000, 0, 0)
    assert [m.amount for m in f.fee_moves] == [80, -80]


def test_a_lost_dispute_stays_charged_back_and_a_resolved_one_earns_again() -> None:
    lost = part_figures(sum_=4440, amount=4440, fee=80, refunds=[], dispute="lost", changed=T0)
    assert (lost.chargeback, lost.fee, lost.net) == (4440, 0, 0)
    won = part_figures(sum_=4440, amount=4440, fee=80, refunds=[], dispute="resolved", changed=T0)
    assert (won.chargeback, won.fee, won.net) == (0, 80, 4360)


@given(
    amount=st.integers(min_value=1, max_value=10**7),
    fee_share=st.integers(min_value=0, max_value=100),
    # Refunds never exceed what was paid (the refund flow refuses more than is left).
    refunds=st.lists(st.tuples(st.integers(min_value=1, max_value=25), st.booleans()), max_size=4),
    dispute=st.sampled_from(["", "open", "resolved", "lost"]),
)
def test_the_figures_always_add_up(
    amount: int, fee_share: int, refunds: list[tuple[int, bool]], dispute: str
) -> None:
    fee = amount * fee_share // 100
    facts = [
        _refund(max(amount * a // 100, 1), fee=flag, at=T0 + timedelta(hours=i))
        for i, (a, flag) in enumerate(refunds)
        if amount * a // 100
    ]
    f = part_figures(
        sum_=amount, amount=amount, fee=fee, refunds=facts, dispute=dispute, changed=T0
    )
    assert f.net == f.sold - f.fee - f.refunded - f.chargeback
    assert sum(m.amount for m in f.fee_moves) == f.fee
    assert 0 <= f.fee <= fee
    if dispute in ("open", "lost"):
        assert f.fee == 0
        assert f.net <= 0


def _facts(**kwargs: object) -> HoldFacts:
    base = {
        "until_shipped": True,
        "days": 14,
        "shipped_at": T0,
        "refund_times": (),
        "dispute": "",
        "spent": False,
    }
    return HoldFacts(**{**base, **kwargs})  # type: ignore[arg-type]


def test_a_hold_waits_for_shipping_and_the_period_then_is_released() -> None:
    assert decide_hold(_facts(shipped_at=None), T0)[0] == HoldDecision.WAIT
    assert decide_hold(_facts(), T0 + timedelta(days=13))[0] == HoldDecision.WAIT
    assert decide_hold(_facts(), T0 + timedelta(days=14))[0] == HoldDecision.RELEASE
    assert decide_hold(_facts(until_shipped=False, shipped_at=None), T0)[0] == HoldDecision.RELEASE


def test_a_refund_after_shipping_or_a_dispute_keeps_it_and_a_spent_part_closes() -> None:
    refund = (T0 + timedelta(days=2),)
    assert decide_hold(_facts(refund_times=refund), T0 + timedelta(days=20))[0] == HoldDecision.KEEP
    before = (T0 - timedelta(days=1),)  # a partial refund before it shipped
    assert (
        decide_hold(_facts(refund_times=before), T0 + timedelta(days=20))[0] == HoldDecision.RELEASE
    )
    assert decide_hold(_facts(dispute="open"), T0)[0] == HoldDecision.KEEP
    assert decide_hold(_facts(dispute="lost"), T0)[0] == HoldDecision.CLOSE
    assert decide_hold(_facts(dispute="resolved"), T0 + timedelta(days=20))[0] == (
        HoldDecision.RELEASE
    )
    assert decide_hold(_facts(spent=True, dispute="open"), T0)[0] == HoldDecision.CLOSE
    # Refunded in full but the fee is still owed: released, so that secuconnect settles it.
    assert decide_hold(_facts(spent=True, settles=True), T0)[0] == HoldDecision.RELEASE


def test_erasure_finds_the_buyers_words_and_redacts_the_rest() -> None:
    pattern = needle_pattern(
        {
            "forename": "Max",
            "surname": "Mustermann",
            "email": "max@example.net",
            "phone": "+49 555 5555555",
        }
    )
    assert scrub_text("Rückfrage von Max Mustermann", pattern) == f"Rückfrage von {ERASED}"
    assert scrub_text("Maximum", pattern) == "Maximum"  # whole words only
    stored = {
        "amount": 4440,
        "note": "call 495555555555",
        "account_owner": "M. Mustermann",
        "purpose": "TA 40000123",
        "customer": {"id": "PCU_X", "contact": {"surname": "Mustermann"}},
    }
    clean = scrub(stored, pattern)
    assert clean["amount"] == 4440
    assert clean["purpose"] == "TA 40000123"
    assert clean["note"] == ERASED
    assert "Mustermann" not in repr(clean)
