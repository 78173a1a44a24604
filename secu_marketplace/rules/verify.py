"""Is a provider answer really this attempt's? What in it does not belong (empty: it is ours).

The answer is compared with what the attempt was created with: its Smart Transaction id,
``merchantRef``, contract, amount, currency and demo flag, and each Payment Transaction's
currency and sub-basket. Any difference is a problem, and a problem is never paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from secu_marketplace.provider.answers import PaymentData

if TYPE_CHECKING:
    from secu_marketplace.models import CheckoutAttempt, Order, SubBasket
    from secu_marketplace.provider.answers import Snapshot


def problems(
    attempt: CheckoutAttempt, order: Order, subs: Mapping[str, SubBasket], snap: Snapshot
) -> list[str]:
    stx = snap.stx
    found: list[str] = []
    if stx.id != attempt.stx_id:
        found.append(f"secuconnect answered for {stx.id!r}, not {attempt.stx_id}")
    # Tolerated when absent (older answers omit it); never when it names another order.
    if stx.merchant_ref is not None and stx.merchant_ref != order.reference:
        found.append(f"merchantRef {stx.merchant_ref!r} is not this order's {order.reference!r}")
    if stx.contract_id and stx.contract_id != attempt.contract_id:
        found.append(f"contract {stx.contract_id} is not {attempt.contract_id}")
    if stx.basket_sum != attempt.amount:
        found.append(f"amount {stx.basket_sum_text} is not {attempt.amount}")
    if stx.currency != attempt.currency:
        found.append(f"currency {stx.currency_text} is not {attempt.currency}")
    if stx.is_demo != attempt.is_demo:
        found.append(f"is_demo {stx.is_demo_text} is not {attempt.is_demo}")
    for entry in stx.transactions:
        data = snap.payments.get(entry.id)
        if data is not None:
            found += _payment_problems(entry.id, entry.reference_id, data, attempt, subs)
    return found


def _payment_problems(
    pci_id: str,
    listed_reference: str,
    data: PaymentData,
    attempt: CheckoutAttempt,
    subs: Mapping[str, SubBasket],
) -> list[str]:
    found: list[str] = []
    if data.id != pci_id:
        found.append(f"asked for {pci_id}, secuconnect answered {data.id!r}")
    if data.currency and data.currency != attempt.currency:
        found.append(f"{pci_id}: currency {data.currency_text} is not {attempt.currency}")
    reference = listed_reference or data.reference_id
    if reference:
        sub = subs.get(reference)
        if sub is None:
            found.append(f"{pci_id}: sub-basket {reference!r} is not part of this order")
        elif data.amount is not None and data.amount > sub.sum:
            found.append(
                f"{pci_id}: amount {data.amount} exceeds sub-basket {reference} ({sub.sum})"
            )
    elif data.amount is not None and data.amount > attempt.amount:
        found.append(f"{pci_id}: amount {data.amount} exceeds the order's {attempt.amount}")
    return found
