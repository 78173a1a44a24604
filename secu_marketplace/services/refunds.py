"""Cancelling or refunding one supplier's part, or the whole order.

A refund is recorded before secuconnect is asked (``ledger.refunds``), so a lost answer leaves a
trace; what the cancel did is read from secuconnect's answer, and the attempt re-read after.
Choices where the documentation is thin (docs/provider.md, "Cancel and refund"):

- One supplier's part is cancelled or refunded through its sub-basket's sub-transaction.
- The whole order, before any money moved (authorised, or prepaid still waiting), is cancelled
  through the leading transaction. After money moved it is refunded supplier by supplier
  through each sub-transaction, so each supplier's share (and the fee taken from it) is
  accounted for separately; a failure halfway leaves the remaining parts refundable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from secu_marketplace import checkpoints
from secu_marketplace.exceptions import (
    ApiError,
    OutcomeUnknown,
    ProcessingError,
    SecuconnectError,
)
from secu_marketplace.ledger import refunds as refund_writes
from secu_marketplace.models import CheckoutAttempt, Order, PaymentTransaction, Refund, SubBasket
from secu_marketplace.money import format_money
from secu_marketplace.provider.answers import refunds_created
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.read.payments import (
    part_payment,
    paying_attempt,
    refundable,
    refunded_lines,
)
from secu_marketplace.rules.payments import FAILED_SIMPLE, payer_has_paid
from secu_marketplace.rules.refund_lines import Chosen, choose
from secu_marketplace.rules.statuses import (
    REFUNDABLE,
    DisputeState,
    PaymentRole,
    RefundKind,
    RefundState,
    Source,
)
from secu_marketplace.services.capture import resync
from secu_marketplace.services.sync import SyncResult

REASON_RE = re.compile(r"^[A-Za-z0-9 .,+\-:?()/']{0,100}$")


@dataclass
class RefundOutcome:
    refunds: list[Refund]
    sync: SyncResult | None


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not REASON_RE.match(reason):
        raise ProcessingError(
            "the reason may have at most 100 characters of A-Z a-z 0-9 space . , + - : ? ( ) / ' "
            "(it appears on the buyer's bank statement)"
        )
    return reason


def _more_than_left(amount: int, currency: str) -> Callable[[int], ProcessingError]:
    """The error for asking ``amount`` when only ``left`` is left (given later, under locks)."""

    def too_much(left: int) -> ProcessingError:
        return ProcessingError(
            f"{format_money(amount, currency)} is more than is left to refund on this part "
            f"({format_money(left, currency)})"
        )

    return too_much


def _request(
    order: Order,
    target: PaymentTransaction,
    amount: int,
    *,
    reason: str,
    reduce_stakeholder_payment: bool,
    source: str,
    client: SecuconnectClient,
    lines: list[dict[str, Any]],
    seen_refunds: int | None = None,
) -> Refund:
    """Record, then ask secuconnect to cancel ``amount`` of ``target``. Whether that refunds
    money or only lowers what the buyer owes is guessed for the record and then taken from the
    answer: a refund transaction in it, or none (docs/provider.md, "Cancel and refund")."""
    paid = payer_has_paid(order.payment_method, target.status, target.status_simple)
    record = refund_writes.record_request(
        order,
        target,
        amount,
        kind=RefundKind.REFUND if paid else RefundKind.REDUCTION,
        reason=reason,
        reduce_stakeholder_payment=reduce_stakeholder_payment,
        source=source,
        too_much=_more_than_left(amount, order.currency),
        lines=lines,
        seen_refunds=seen_refunds,
    )
    checkpoints.reach(checkpoints.Point.REFUND)
    try:
        answer = client.cancel_payment_transaction(
            target.pci_id,
            reduce_amount_by=amount,
            reason=reason,
            reduce_stakeholder_payment=reduce_stakeholder_payment,
        )
    except OutcomeUnknown as error:
        return refund_writes.not_answered(
            record, RefundState.UNKNOWN, error.as_dict(), source=source
        )
    except SecuconnectError as error:
        # Not executed (unreachable, refused, or our credentials refused): it never ran.
        refund_writes.not_answered(record, RefundState.FAILED, error.as_dict(), source=source)
        if isinstance(error, ApiError):
            raise ProcessingError(f"secuconnect refused: {error}") from error
        raise
    created = refunds_created(answer)
    return refund_writes.answered(record, created[0] if created else "", source=source)


def _targets(
    order: Order, attempt: CheckoutAttempt, sub_basket: SubBasket | None, amount: int | None
) -> list[PaymentTransaction]:
    """The transactions a refund goes through (see the module docstring)."""
    if sub_basket is not None:
        if sub_basket.order_id != order.pk:
            raise ProcessingError("that sub-basket belongs to another order")
        if sub_basket.dispute == DisputeState.OPEN:
            raise ProcessingError(
                f"the buyer's money for sub-basket {sub_basket.reference_id} came back (a "
                "chargeback or a returned debit): it is not refunded while the issue is open"
            )
        return [part_payment(attempt, sub_basket)]
    if order.sub_baskets.filter(dispute=DisputeState.OPEN).exists():
        raise ProcessingError(
            f"part of order {order.reference} is disputed (its money came back): refund the "
            "other parts one by one"
        )
    leading = part_payment(attempt, None)
    if amount is not None and amount != refundable(leading):
        raise ProcessingError(
            "a marketplace order is refunded in part supplier by supplier: choose the sub-basket"
        )
    if not payer_has_paid(order.payment_method, leading.status, leading.status_simple):
        return [leading]  # nothing paid yet: void the whole payment at once
    return list(attempt.payments.filter(role=PaymentRole.SUB).order_by("reference_id"))


def _amount_for(
    target: PaymentTransaction, sub_basket: SubBasket | None, amount: int | None, currency: str
) -> int:
    """What to refund on ``target``: the amount asked for one part, else all that is left (0:
    nothing; a part asked for by name that has nothing left is an error)."""
    if target.status_simple in FAILED_SIMPLE:
        if sub_basket is not None:
            raise ProcessingError(
                f"sub-basket {target.reference_id} is cancelled or fully refunded already"
            )
        return 0
    left = refundable(target)
    if left == 0:
        if sub_basket is not None:
            raise ProcessingError(f"nothing is left to refund on sub-basket {target.reference_id}")
        return 0
    wanted = amount if (amount is not None and sub_basket is not None) else left
    if wanted > left:
        raise _more_than_left(wanted, currency)(left)
    return wanted


def _check(order: Order, reason: str, amount: int | None) -> str:
    order.refresh_from_db()
    if order.status not in REFUNDABLE:
        raise ProcessingError(
            f"order {order.reference} is {order.get_status_display()}: nothing to refund"
        )
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
    ):
        raise ProcessingError("the amount must be a positive whole number of minor units (cents)")
    return check_reason(reason)


def _lines(
    sub_basket: SubBasket | None,
    amount: int | None,
    lines: Mapping[int, int] | None,
    shipping: bool,
) -> Chosen | None:
    """The lines (and shipping) chosen, priced (``rules.refund_lines``); None for a refund by
    amount or in full."""
    if not lines and not shipping:
        return None
    if sub_basket is None:
        raise ProcessingError("lines and shipping are refunded per supplier: choose the sub-basket")
    if amount is not None:
        raise ProcessingError("refund either lines and shipping, or an amount, not both")
    items = list(sub_basket.items.all())
    return choose(items, lines or {}, shipping=shipping, refunded=refunded_lines(sub_basket))


def refund(
    order: Order,
    *,
    sub_basket: SubBasket | None = None,
    amount: int | None = None,
    lines: Mapping[int, int] | None = None,
    shipping: bool = False,
    reason: str = "",
    reduce_stakeholder_payment: bool = False,
    source: str = Source.SHOP,
    client: SecuconnectClient | None = None,
    seen_refunds: int | None = None,
) -> RefundOutcome:
    """Cancel or refund one supplier's part (``sub_basket``): fully, by ``amount`` minor units,
    or by ``lines`` (quantity by ``LineItem`` id) and/or its ``shipping``; or the whole order
    (``sub_basket=None``, in full). A part whose money came back (a chargeback) is refused.

    ``seen_refunds``: the newest refund record's id (0: none) when the person asking confirmed
    what they saw (``read.payments.newest_refund``); if another refund was recorded since, or
    the same confirmation is sent twice, nothing is sent and ``StaleRefund`` is raised."""
    client = client or SecuconnectClient()
    reason = _check(order, reason, amount)
    chosen = _lines(sub_basket, amount, lines, shipping)
    if chosen is not None:
        amount = chosen.amount
    attempt = paying_attempt(order)
    records: list[Refund] = []
    for target in _targets(order, attempt, sub_basket, amount):
        wanted = _amount_for(target, sub_basket, amount, order.currency)
        if wanted:
            records.append(
                _request(
                    order,
                    target,
                    wanted,
                    reason=reason,
                    reduce_stakeholder_payment=reduce_stakeholder_payment,
                    source=source,
                    client=client,
                    lines=chosen.lines if chosen is not None else [],
                    # Only the first: the whole order's next parts follow this one's record.
                    seen_refunds=None if records else seen_refunds,
                )
            )
    if not records:
        raise ProcessingError(f"nothing is left to refund on order {order.reference}")
    result = resync(attempt, source, client)
    for record in records:
        record.refresh_from_db()
    return RefundOutcome(refunds=records, sync=result)
