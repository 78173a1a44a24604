"""Starting (or safely resuming) checkout for an order.

``start_checkout(order)`` returns the Smart Checkout URL to send the buyer to. It records the
attempt *before* calling secuconnect, so a lost answer leaves a row the reconciliation finds;
it never opens a second Smart Transaction while one is open (double clicks, two tabs), reuses an
unchanged one that is still ``created``, and supersedes a stale one (basket changed, too old) by
aborting it first. A failed attempt leads to a new one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import get_language

from secu_marketplace import ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, CheckoutError, OutcomeUnknown, ProviderUnavailable
from secu_marketplace.links import return_urls
from secu_marketplace.models import CheckoutAttempt, Order, StatusEvent, SubBasket
from secu_marketplace.provider.answers import STX_ID_RE, parse_smart
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.payloads import (
    check_sums,
    fingerprint,
    language_for,
    load_parts,
    smart_transaction_payload,
)
from secu_marketplace.redaction import redact
from secu_marketplace.rules.statuses import (
    OPEN_ATTEMPT_STATES,
    PAYABLE,
    PAYMENT_METHODS,
    AttemptState,
    OrderStatus,
    Source,
)
from secu_marketplace.services.lost_create import resolve_unknown
from secu_marketplace.services.supplier_contracts import checkout_methods, explain_refusal
from secu_marketplace.services.sync import sync_attempt

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
MAX_ROUNDS = 4


@dataclass
class CheckoutStart:
    url: str
    attempt: CheckoutAttempt
    reused: bool


def _creating_window() -> float:
    connect, read = app_settings.timeouts
    return connect + read + 5.0


def _decide(
    order_id: int, method: str, subs: list[SubBasket]
) -> tuple[str, CheckoutAttempt, list[SubBasket]]:
    """Under the order's lock: what to do next, and the attempt to do it with.

    ``subs`` (with their items) were read once for this request by ``start_checkout``: nothing
    writes a basket's contents under the order's lock, so reading them again here would only
    cost a query."""
    with ledger.locked(order_id, source=Source.CHECKOUT) as w:
        order = w.order
        if order.status not in PAYABLE:
            raise CheckoutError(f"order {order.reference} is {order.status} and cannot be paid now")
        check_sums(order, subs)
        current = fingerprint(order, subs)
        # The newest attempt answers both questions in one query: an open attempt is always the
        # newest (one is opened only when none is open, and the database allows one), and its
        # number is the one to count on from.
        latest = order.attempts.order_by("-number").first()
        attempt = latest if latest is not None and latest.state in OPEN_ATTEMPT_STATES else None
        if attempt is None:
            attempt = CheckoutAttempt.objects.create(
                order=order,
                number=(latest.number if latest is not None else 0) + 1,
                state=AttemptState.CREATING,
                amount=order.total,
                currency=order.currency,
                contract_id=app_settings.CONTRACT_ID,
                is_demo=bool(app_settings.IS_DEMO),
                basket_fingerprint=current,
                preselected_method=method,
                # The create call follows at once in this request (``_create``): marking it
                # sent now, in the INSERT, saves an UPDATE. A process that dies before sending
                # leaves the same CREATING row either way, resolved after the landing window.
                create_sent_at=timezone.now(),
            )
            return "create", attempt, subs
        age = (timezone.now() - attempt.created).total_seconds()
        if attempt.state == AttemptState.CREATING:
            if age < _creating_window():
                return "wait", attempt, subs
            attempt.state = AttemptState.UNKNOWN
            attempt.save(update_fields=["state", "updated"])
            return "resolve", attempt, subs
        if attempt.state == AttemptState.UNKNOWN:
            return "resolve", attempt, subs
        if (
            attempt.basket_fingerprint == current
            and attempt.preselected_method == method
            and age < float(app_settings.REUSE_CREATED_FOR)
        ):
            return "reuse", attempt, subs
        return "supersede", attempt, subs


def _wait_for(attempt: CheckoutAttempt) -> None:
    """Another request is creating this order's Smart Transaction right now: let it finish."""
    deadline = time.monotonic() + _creating_window()
    while time.monotonic() < deadline:
        state = (
            CheckoutAttempt.objects.filter(pk=attempt.pk).values_list("state", flat=True).first()
        )
        if state != AttemptState.CREATING:
            return
        time.sleep(POLL_SECONDS)


def _close(attempt: CheckoutAttempt, reason: str) -> None:
    with ledger.locked(attempt.order_id, attempt_id=attempt.pk, source=Source.CHECKOUT) as w:
        locked = w.locked_attempt
        if locked.state in OPEN_ATTEMPT_STATES:
            w.note(
                StatusEvent.Subject.ATTEMPT,
                "closed",
                from_status=locked.provider_status,
                detail={"reason": reason},
            )
            locked.state = AttemptState.CLOSED
            locked.save(update_fields=["state", "updated"])


def _supersede(attempt: CheckoutAttempt, client: SecuconnectClient) -> None:
    """Abort a stale Smart Transaction before opening a new one, so the buyer cannot pay both."""
    try:
        client.abort_smart_transaction(str(attempt.stx_id))
    except ProviderUnavailable:
        raise
    except ApiError as error:
        # Refused: it probably moved on (paid in another tab). Learn what it is now.
        logger.info("abort of %s refused (%s); syncing it", attempt.stx_id, error)
        result = sync_attempt(attempt, source=Source.CHECKOUT, client=client)
        if not result.reachable:
            raise ProviderUnavailable("could not re-read the stale Smart Transaction") from error
        if result.attempt.state != AttemptState.OPEN:
            return
    _close(attempt, "superseded by a new checkout attempt")


def _create(
    attempt: CheckoutAttempt,
    subs: list[SubBasket],
    method: str,
    language: str | None,
    client: SecuconnectClient,
    methods: list[str] | None = None,
) -> CheckoutStart:
    order = attempt.order
    payload = smart_transaction_payload(
        order,
        attempt,
        urls=return_urls(attempt),
        language=language_for(order, language),
        subs=subs,
        methods=methods,
    )
    # From now on the create may land at secuconnect, even if its answer is lost (the attempt
    # was inserted with ``create_sent_at`` set, just before).
    try:
        answer = client.create_smart_transaction(payload)
    except OutcomeUnknown as error:
        # It may exist: never create blindly again; the next click or secu_sync resolves it.
        CheckoutAttempt.objects.filter(pk=attempt.pk).update(
            state=AttemptState.UNKNOWN, last_error=error.as_dict(), updated=timezone.now()
        )
        raise
    except Exception as error:
        details = (
            error.as_dict() if hasattr(error, "as_dict") else {"exception": type(error).__name__}
        )
        CheckoutAttempt.objects.filter(pk=attempt.pk).update(
            state=AttemptState.FAILED, last_error=details, updated=timezone.now()
        )
        raise
    created = parse_smart(answer)
    stx_id = created.id
    url = created.checkout_url(method)
    if not STX_ID_RE.match(stx_id) or not url:
        CheckoutAttempt.objects.filter(pk=attempt.pk).update(
            state=AttemptState.UNKNOWN,
            last_error={"message": "create answer without id or checkout link"},
        )
        raise OutcomeUnknown(
            "secuconnect's answer to the create call had no Smart Transaction id or link"
        )
    with ledger.locked(order.pk, attempt_id=attempt.pk, source=Source.CHECKOUT) as w:
        locked = w.locked_attempt
        locked.stx_id = stx_id
        locked.state = AttemptState.OPEN
        locked.provider_status = created.status or "created"
        locked.provider_updated = created.updated or created.created
        locked.checkout_url = created.checkout_url()
        locked.snapshot = redact(created.raw)
        locked.last_error = None
        locked.save()
        w.note(
            StatusEvent.Subject.ATTEMPT,
            locked.provider_status,
            detail={"stx": stx_id, "attempt": locked.number},
        )
        w.move(OrderStatus.AWAITING_PAYMENT, detail={"stx": stx_id})
    return CheckoutStart(url=url, attempt=locked, reused=False)


def _reuse(
    attempt: CheckoutAttempt, method: str, client: SecuconnectClient
) -> CheckoutStart | None:
    """The open attempt, if secuconnect confirms it is still ``created``; else None."""
    result = sync_attempt(attempt, source=Source.CHECKOUT, client=client)
    if not result.reachable:
        raise ProviderUnavailable("could not confirm the open Smart Transaction", method="GET")
    fresh = result.attempt
    if fresh.state != AttemptState.OPEN or fresh.provider_status != "created":
        return None
    with ledger.locked(fresh.order_id, attempt_id=fresh.pk, source=Source.CHECKOUT) as w:
        locked = w.locked_attempt
        locked.returned_via = ""  # a new visit to checkout; how they came back last time is moot
        locked.save(update_fields=["returned_via", "updated"])
        w.move(OrderStatus.AWAITING_PAYMENT, detail={"stx": locked.stx_id})
    url = parse_smart(fresh.snapshot).checkout_url(method) or fresh.checkout_url
    return CheckoutStart(url=url, attempt=locked, reused=True)


def start_checkout(
    order: Order,
    *,
    method: str = "",
    language: str | None = None,
    client: SecuconnectClient | None = None,
) -> CheckoutStart:
    """Return where to send the buyer for ``order``; see the module docstring.

    Raises ``CheckoutError`` when the order cannot be paid (already paid, under review, a
    supplier's contract missing or unknown, a method some supplier does not take),
    ``BasketError`` for sums secuconnect would refuse, ``ProviderUnavailable`` (and its
    ``OutcomeUnknown``) when secuconnect cannot be reached, ``ApiError`` when it refuses.
    """
    if method and method not in (app_settings.PAYMENT_METHODS or PAYMENT_METHODS):
        raise CheckoutError(f"payment method {method!r} is not offered")
    client = client or SecuconnectClient()
    # Before anything is created: every supplier's contract is known to secuconnect and takes
    # the chosen method (docs/provider.md, "Payment contracts").
    subs = load_parts(order, fresh=True)  # the basket, read once for the whole request
    methods = checkout_methods(order, method, client=client)
    language = language or get_language()
    for _round in range(MAX_ROUNDS):
        try:
            action, attempt, subs = _decide(order.pk, method, subs)
        except IntegrityError:
            continue  # another request opened an attempt between our check and insert
        if action == "create":
            try:
                return _create(attempt, subs, method, language, client, methods)
            except ApiError as error:  # a refusal staff can act on becomes a CheckoutError
                explained = explain_refusal(error, order)
                if explained is None:
                    raise
                raise explained from error
        if action == "wait":
            _wait_for(attempt)
        elif action == "resolve":
            resolved = resolve_unknown(attempt, client=client)
            if resolved.state == AttemptState.UNKNOWN:
                raise ProviderUnavailable("the previous attempt's outcome is not known yet")
            if resolved.stx_id:
                sync_attempt(resolved, source=Source.CHECKOUT, client=client)
        elif action == "reuse":
            started = _reuse(attempt, method, client)
            if started is not None:
                return started
        elif action == "supersede":
            _supersede(attempt, client)
    raise CheckoutError(f"order {order.reference}: checkout could not be started, please try again")
