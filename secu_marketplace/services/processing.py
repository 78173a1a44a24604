"""After checkout: capture, cancel and refund per supplier, and shipping. The admin's actions
and a shop's own code call these functions; each one checks what the current state allows and
raises ``ProcessingError`` with a clear message when it does not.

Every action asks secuconnect first and then re-reads the attempt through ``sync_attempt``, so
the order's state is always secuconnect's, never our guess.

Choices where the documentation is thin (docs/provider.md, "Cancel and refund"):

- One supplier's part is cancelled or refunded through its sub-basket's sub-transaction.
- The whole order, before any money moved (authorised, or prepaid still waiting), is cancelled
  through the leading transaction. After money moved it is refunded supplier by supplier
  through each sub-transaction, so each supplier's share (and the fee taken from it) is
  accounted for separately; a failure halfway leaves the remaining parts refundable.
- Invoice payments are captured per sub-basket with ``shipping_information`` (that makes the
  invoice due); other methods get the shipping information as a note. With intent ``order``
  the Smart Transaction is marked delivered (``setDelivery``) once every sub-basket has shipped.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from secu_marketplace import checkpoints, ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import (
    ApiError,
    OutcomeUnknown,
    ProcessingError,
    ProviderUnavailable,
    SecuconnectError,
)
from secu_marketplace.models import (
    CheckoutAttempt,
    Order,
    PaymentTransaction,
    Refund,
    StatusEvent,
    SubBasket,
)
from secu_marketplace.money import format_money
from secu_marketplace.provider.answers import parse_payment, refunds_created
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.rules.statuses import (
    AttemptState,
    OrderStatus,
    PaymentRole,
    Source,
    payer_has_paid,
)
from secu_marketplace.services.refund_records import FAILED_SIMPLE, refundable
from secu_marketplace.services.sync import SyncResult, sync_attempt

logger = logging.getLogger(__name__)

REASON_RE = re.compile(r"^[A-Za-z0-9 .,+\-:?()/']{0,100}$")
REFUNDABLE = (OrderStatus.AUTHORIZED, OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED)


def _paid_by_buyer(order: Order, payment: PaymentTransaction) -> bool:
    return payer_has_paid(order.payment_method, payment.status, payment.status_simple)


@dataclass
class RefundOutcome:
    refunds: list[Refund]
    sync: SyncResult | None


def paying_attempt(order: Order) -> CheckoutAttempt:
    attempt = (
        order.attempts.filter(state=AttemptState.SETTLED, stx_id__isnull=False)
        .order_by("-number")
        .first()
    )
    if attempt is None:
        raise ProcessingError(f"order {order.reference} has no payment to act on")
    return attempt


def _part(attempt: CheckoutAttempt, sub_basket: SubBasket | None) -> PaymentTransaction:
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


def _resync(attempt: CheckoutAttempt, source: str, client: SecuconnectClient) -> SyncResult:
    result = sync_attempt(attempt, source=source, client=client)
    if not result.reachable:
        logger.warning(
            "%s: done at secuconnect, but re-reading it failed; secu_sync will catch up", attempt
        )
    return result


# --- capture ---------------------------------------------------------------------------------


def capture(
    order: Order, *, source: str = Source.SHOP, client: SecuconnectClient | None = None
) -> SyncResult:
    """Capture an authorised order (``AUTO_CAPTURE`` off): the Smart Transaction's ``start``."""
    client = client or SecuconnectClient()
    with ledger.claim(
        order.pk, f"capture:{order.pk}", f"order {order.reference} is being captured"
    ):
        # Re-checked with the claim held: a capture that finished just before sees its result.
        order.refresh_from_db()
        if order.status != OrderStatus.AUTHORIZED:
            raise ProcessingError(
                f"order {order.reference} is {order.get_status_display()}: "
                "only authorised orders are captured"
            )
        attempt = paying_attempt(order)
        if attempt.provider_status != "approved":
            raise ProcessingError(
                f"the Smart Transaction is {attempt.provider_status}, not approved"
            )
        checkpoints.reach("capture.before_call")
        try:
            client.start_smart_transaction(str(attempt.stx_id))
        except ApiError as error:
            raise ProcessingError(f"secuconnect refused the capture: {error}") from error
        return _resync(attempt, source, client)


# --- cancel and refund -----------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not REASON_RE.match(reason):
        raise ProcessingError(
            "the reason may have at most 100 characters of A-Z a-z 0-9 space . , + - : ? ( ) / ' "
            "(it appears on the buyer's bank statement)"
        )
    return reason


def _request(
    order: Order,
    target: PaymentTransaction,
    amount: int,
    *,
    reason: str,
    reduce_stakeholder_payment: bool,
    source: str,
    client: SecuconnectClient,
) -> Refund:
    """Record, then ask secuconnect to cancel ``amount`` of ``target``. Whether that refunds
    money or only lowers what the buyer owes is guessed for the record and then taken from the
    answer: a refund transaction in it, or none (docs/provider.md, "Cancel and refund")."""
    executed = _paid_by_buyer(order, target)
    with ledger.locked(order.pk, source=source, refunds=True):
        left = refundable(target)  # re-checked with every refund record of the order locked
        if amount > left:
            raise ProcessingError(_more_than_left(amount, left, order.currency))
        record = Refund.objects.create(
            order=order,
            sub_basket=target.sub_basket,
            target=target,
            kind=Refund.Kind.REFUND if executed else Refund.Kind.REDUCTION,
            amount=amount,
            currency=order.currency,
            reason=reason,
            reduce_stakeholder_payment=reduce_stakeholder_payment,
            source=source,
            target_amount_before=target.amount,
        )
    checkpoints.reach("refund.before_call")
    try:
        answer = client.cancel_payment_transaction(
            target.pci_id,
            reduce_amount_by=amount,
            reason=reason,
            reduce_stakeholder_payment=reduce_stakeholder_payment,
        )
    except OutcomeUnknown as error:
        Refund.objects.filter(pk=record.pk).update(
            state=Refund.State.UNKNOWN, error=error.as_dict()
        )
        record.refresh_from_db()
        return record
    except SecuconnectError as error:
        # Not executed (unreachable, refused, or our credentials refused): it never ran.
        Refund.objects.filter(pk=record.pk).update(state=Refund.State.FAILED, error=error.as_dict())
        if isinstance(error, ApiError):
            raise ProcessingError(f"secuconnect refused: {error}") from error
        raise
    created = refunds_created(answer)
    with ledger.locked(order.pk, source=source, refunds=True) as w:
        record = next(r for r in w.refunds if r.pk == record.pk)
        if created:
            record.kind = Refund.Kind.REFUND
            record.refund_pci_id = created[0]
            record.state = Refund.State.PENDING  # done once its transaction is executed
        else:
            # Before execution the amount itself was reduced; secuconnect's answer says so.
            record.kind = Refund.Kind.REDUCTION
            record.state = Refund.State.DONE
        record.save()
        w.note(
            StatusEvent.Subject.REFUND,
            record.state,
            from_status=Refund.State.REQUESTED,
            detail={
                "refund": record.pk,
                "amount": amount,
                "target": target.pci_id,
                "kind": record.kind,
            },
        )
        if record.state == Refund.State.DONE:
            w.refunded(record)
    return record


def refund(
    order: Order,
    *,
    sub_basket: SubBasket | None = None,
    amount: int | None = None,
    reason: str = "",
    reduce_stakeholder_payment: bool = False,
    source: str = Source.SHOP,
    client: SecuconnectClient | None = None,
) -> RefundOutcome:
    """Cancel or refund one supplier's part (``sub_basket``), fully or by ``amount`` minor
    units, or the whole order (``sub_basket=None``, in full)."""
    client = client or SecuconnectClient()
    order.refresh_from_db()
    if order.status not in REFUNDABLE:
        raise ProcessingError(
            f"order {order.reference} is {order.get_status_display()}: nothing to refund"
        )
    reason = _check_reason(reason)
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
    ):
        raise ProcessingError("the amount must be a positive whole number of minor units (cents)")
    attempt = paying_attempt(order)
    if sub_basket is not None:
        if sub_basket.order_id != order.pk:
            raise ProcessingError("that sub-basket belongs to another order")
        targets = [_part(attempt, sub_basket)]
    else:
        leading = _part(attempt, None)
        if amount is not None and amount != refundable(leading):
            raise ProcessingError(
                "a marketplace order is refunded in part supplier by supplier: "
                "choose the sub-basket"
            )
        if not _paid_by_buyer(order, leading):
            targets = [leading]  # nothing paid yet: void the whole payment at once
        else:
            targets = list(attempt.payments.filter(role=PaymentRole.SUB).order_by("reference_id"))
    records: list[Refund] = []
    for target in targets:
        if target.status_simple in FAILED_SIMPLE:
            if sub_basket is not None:
                raise ProcessingError(
                    f"sub-basket {target.reference_id} is cancelled or fully refunded already"
                )
            continue
        left = refundable(target)
        wanted = amount if (amount is not None and sub_basket is not None) else left
        if left == 0:
            if sub_basket is not None:
                raise ProcessingError(
                    f"nothing is left to refund on sub-basket {target.reference_id}"
                )
            continue
        if wanted > left:
            raise ProcessingError(_more_than_left(wanted, left, order.currency))
        records.append(
            _request(
                order,
                target,
                wanted,
                reason=reason,
                reduce_stakeholder_payment=reduce_stakeholder_payment,
                source=source,
                client=client,
            )
        )
    if not records:
        raise ProcessingError(f"nothing is left to refund on order {order.reference}")
    result = _resync(attempt, source, client)
    for record in records:
        record.refresh_from_db()
    return RefundOutcome(refunds=records, sync=result)


# --- shipping --------------------------------------------------------------------------------


def _shipping_info(
    order: Order, carrier: str, tracking_id: str, invoice_number: str, shipped_at: datetime
) -> dict[str, Any]:
    info = {
        "carrier": carrier,
        "tracking_id": tracking_id,
        "invoice_number": invoice_number,
        "shipped_at": shipped_at.isoformat(timespec="seconds"),
        "order_id": order.reference,
    }
    return {key: value for key, value in info.items() if value}


def ship_sub_basket(
    order: Order,
    sub_basket: SubBasket,
    *,
    carrier: str = "",
    tracking_id: str = "",
    invoice_number: str = "",
    shipped_at: datetime | None = None,
    source: str = Source.SHOP,
    client: SecuconnectClient | None = None,
) -> SubBasket:
    """Report one supplier's sub-basket shipped; the order is shipped when every part is.

    A concurrent second report of the same sub-basket is refused before secuconnect is asked
    (the claim), and every check is made with the claim held."""
    client = client or SecuconnectClient()
    busy = f"sub-basket {sub_basket.reference_id} was shipped already (or is being shipped)"
    with ledger.claim(order.pk, f"ship:{sub_basket.pk}", busy):
        return _ship_sub_basket(
            order,
            sub_basket,
            carrier=carrier,
            tracking_id=tracking_id,
            invoice_number=invoice_number,
            shipped_at=shipped_at,
            source=source,
            client=client,
        )


def _ship_sub_basket(
    order: Order,
    sub_basket: SubBasket,
    *,
    carrier: str,
    tracking_id: str,
    invoice_number: str,
    shipped_at: datetime | None,
    source: str,
    client: SecuconnectClient,
) -> SubBasket:
    order.refresh_from_db()
    sub_basket.refresh_from_db()
    if sub_basket.order_id != order.pk:
        raise ProcessingError("that sub-basket belongs to another order")
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED):
        raise ProcessingError(
            f"order {order.reference} is {order.get_status_display()}: only paid orders are shipped"
        )
    if sub_basket.shipped_at:
        raise ProcessingError(f"sub-basket {sub_basket.reference_id} was shipped already")
    attempt = paying_attempt(order)
    part = _part(attempt, sub_basket)
    if part.status_simple in FAILED_SIMPLE or (refundable(part) == 0 and part.amount):
        raise ProcessingError(
            f"sub-basket {sub_basket.reference_id} is cancelled or refunded: nothing to ship"
        )
    shipped_at = shipped_at or timezone.now()
    info = _shipping_info(order, carrier, tracking_id, invoice_number, shipped_at)
    checkpoints.reach("ship.before_call")
    try:
        if order.payment_method == "invoice":
            # Capturing with the shipping information makes the invoice due (docs/provider.md,
            # "Payment Transactions").
            client.capture_payment_transaction(part.pci_id, shipping_information=info)
        else:
            client.update_shipping_information(part.pci_id, info)
    except OutcomeUnknown as error:
        if order.payment_method != "invoice":
            # PUT ShippingInformation only sets details: sending it again is harmless.
            try:
                client.update_shipping_information(part.pci_id, info)
            except SecuconnectError as again:
                raise ProcessingError(
                    f"secuconnect did not confirm the shipping report: {again}"
                ) from again
        elif not _reported(client, part.pci_id):
            raise ProcessingError(
                "secuconnect's answer to the shipping report was lost and it does not show "
                "the report yet; try again in a minute"
            ) from error
    except ApiError as error:
        # A repeat was refused because the first capture (whose answer was lost) did land:
        # secuconnect's copy of the part says which. A capture is never sent twice on a guess.
        if order.payment_method != "invoice" or not _reported(client, part.pci_id):
            raise ProcessingError(f"secuconnect refused the shipping report: {error}") from error
    with ledger.locked(order.pk, source=source, sub_basket_id=sub_basket.pk) as w:
        locked_order, sub = w.order, w.sub_basket
        if sub is None or sub.shipped_at:  # the claim makes this unreachable; never twice
            raise ProcessingError(f"sub-basket {sub_basket.reference_id} was shipped already")
        sub.shipped_at, sub.carrier, sub.tracking_id, sub.invoice_number = (
            shipped_at,
            carrier,
            tracking_id,
            invoice_number,
        )
        sub.save(update_fields=["shipped_at", "carrier", "tracking_id", "invoice_number"])
        w.note(
            StatusEvent.Subject.SHIPPING,
            f"{sub.reference_id} shipped",
            attempt=attempt,
            detail={"sub_basket": sub.reference_id, **info},
        )
        w.shipped(sub)
        everything = _all_shipped(locked_order, attempt)
        if everything:
            w.move(OrderStatus.SHIPPED, attempt=attempt, detail={"every sub-basket shipped": True})
    if everything and app_settings.INTENT == "order":
        try:
            client.set_delivery(
                str(attempt.stx_id),
                {
                    "type": "shipping",
                    "shipped_at": shipped_at.isoformat(timespec="seconds"),
                    "shipped_by": carrier,
                    "tracking_code": tracking_id,
                    "invoice_number": invoice_number,
                },
            )
        except (ApiError, ProviderUnavailable) as error:
            # Every part is captured and reported already; the delivery mark can follow.
            logger.error("setDelivery for %s failed: %s", attempt.stx_id, error)
    _resync(attempt, source, client)
    sub_basket.refresh_from_db()
    return sub_basket


def _more_than_left(amount: int, left: int, currency: str) -> str:
    return (
        f"{format_money(amount, currency)} is more than is left to refund on this part "
        f"({format_money(left, currency)})"
    )


def _reported(client: SecuconnectClient, pci_id: str) -> bool:
    """Whether secuconnect shows the invoice part captured (only this app captures it)."""
    try:
        remote = client.get_payment_transaction(pci_id)
    except SecuconnectError:
        return False
    return parse_payment(remote).invoice_captured


def _all_shipped(order: Order, attempt: CheckoutAttempt) -> bool:
    for sub in order.sub_baskets.all():
        if sub.shipped_at:
            continue
        part = PaymentTransaction.objects.filter(
            attempt=attempt, role=PaymentRole.SUB, sub_basket=sub
        ).first()
        if part is not None and (
            part.status_simple in FAILED_SIMPLE or (part.amount and refundable(part) == 0)
        ):
            continue  # cancelled parts are never shipped
        return False
    return True


def ship_order(
    order: Order,
    *,
    carrier: str = "",
    tracking_id: str = "",
    invoice_number: str = "",
    shipped_at: datetime | None = None,
    source: str = Source.SHOP,
    client: SecuconnectClient | None = None,
) -> Order:
    """Report every sub-basket not shipped yet as shipped, with the same details."""
    client = client or SecuconnectClient()
    pending = list(order.sub_baskets.filter(shipped_at__isnull=True))
    if not pending:
        raise ProcessingError(f"every sub-basket of order {order.reference} was shipped already")
    shipped = 0
    for sub in pending:
        try:
            ship_sub_basket(
                order,
                sub,
                carrier=carrier,
                tracking_id=tracking_id,
                invoice_number=invoice_number,
                shipped_at=shipped_at,
                source=source,
                client=client,
            )
            shipped += 1
        except ProcessingError as error:
            if "nothing to ship" not in str(error):
                raise
    if not shipped:
        raise ProcessingError(f"nothing of order {order.reference} is left to ship")
    order.refresh_from_db()
    return order
