"""Which rows hold an order's payment, and what is left of it: read from the database as the
app last synced it, by the rules of ``rules.refunds`` (the one place they are written down)."""

from __future__ import annotations

from collections.abc import Iterable

from secu_marketplace.exceptions import ProcessingError
from secu_marketplace.models import CheckoutAttempt, Order, PaymentTransaction, Refund, SubBasket
from secu_marketplace.rules.payments import FAILED_SIMPLE
from secu_marketplace.rules.refunds import left_to_refund
from secu_marketplace.rules.statuses import AttemptState, PaymentRole, RefundState


def paying_attempt(order: Order) -> CheckoutAttempt:
    """The attempt whose payment the order holds (the newest settled one)."""
    attempt = (
        order.attempts.filter(state=AttemptState.SETTLED, stx_id__isnull=False)
        .order_by("-number")
        .first()
    )
    if attempt is None:
        raise ProcessingError(f"order {order.reference} has no payment to act on")
    return attempt


def part_payment(attempt: CheckoutAttempt, sub_basket: SubBasket | None) -> PaymentTransaction:
    """The Payment Transaction of one supplier's part, or of the whole order (``None``)."""
    query = attempt.payments.all()
    if sub_basket is None:
        found = query.filter(role=PaymentRole.LEADING).first()
    else:
        found = query.filter(role=PaymentRole.SUB, sub_basket=sub_basket).first()
    if found is None:
        what = f"sub-basket {sub_basket.reference_id}" if sub_basket else "the order"
        raise ProcessingError(
            f"secuconnect has not named the transaction of {what} yet; refresh the order first"
        )
    return found


def refund_records(target: PaymentTransaction) -> list[tuple[str, str, int]]:
    """The refund records in ``target``'s scope as (kind, state, amount): its own, or for the
    leading transaction (the whole order) those of every part."""
    scope = (
        {"order_id": target.order_id} if target.role == PaymentRole.LEADING else {"target": target}
    )
    return list(Refund.objects.filter(**scope).values_list("kind", "state", "amount"))


def refunded_lines(sub_basket: SubBasket) -> dict[int, int]:
    """The quantity of each of the part's lines (by LineItem id) refunds took by lines (those
    not known to have failed)."""
    taken: dict[int, int] = {}
    records = Refund.objects.filter(sub_basket=sub_basket).exclude(state=RefundState.FAILED)
    for lines in records.values_list("lines", flat=True):
        for line in lines or ():
            ident, quantity = line.get("line"), line.get("quantity")  # own data
            if isinstance(ident, int) and isinstance(quantity, int):
                taken[ident] = taken.get(ident, 0) + quantity
    return taken


def refundable(target: PaymentTransaction) -> int:
    """What is left to refund on ``target`` (a sub-transaction, or the leading one)."""
    if target.status_simple in FAILED_SIMPLE or not target.amount:
        return 0
    return left_to_refund(target.amount, target.status_simple, refund_records(target))


def is_spent(payment: PaymentTransaction, records: Iterable[tuple[str, str, int]]) -> bool:
    """A part cancelled, denied or refunded in full: there is nothing left of it to ship."""
    if payment.status_simple in FAILED_SIMPLE:
        return True
    return (
        bool(payment.amount) and left_to_refund(payment.amount, payment.status_simple, records) == 0
    )


def all_shipped(order: Order, attempt: CheckoutAttempt) -> bool:
    """Every part of the order is shipped, or has nothing left to ship."""
    parts = {p.sub_basket_id: p for p in attempt.payments.filter(role=PaymentRole.SUB)}
    for sub in order.sub_baskets.all():
        if sub.shipped_at:
            continue
        part = parts.get(sub.pk)
        if part is not None and is_spent(part, refund_records(part)):
            continue  # cancelled parts are never shipped
        return False
    return True


def newest_refund(order: Order) -> int:
    """The id of the order's newest refund record (0: none): what a refund's confirmation saw
    (``services.refunds.refund(seen_refunds=...)``)."""
    return int(
        Refund.objects.filter(order=order).order_by("-pk").values_list("pk", flat=True).first() or 0
    )
