"""Starting (or safely resuming) checkout for an order.

``start_checkout(order)`` returns the Smart Checkout URL to send the buyer to. It records the
attempt *before* calling secuconnect, so a lost answer leaves a row the reconciliation finds;
it never opens a second Smart Transaction while one is open (double clicks, two tabs), reuses an
unchanged one that is still ``created``, and supersedes a stale one (basket changed, too old) by
aborting it first. A failed attempt leads to a new one.

No lock is held while secuconnect answers: the attempt is inserted (the order locked) in one
short transaction, the create call sent, and its answer written in another (``ledger.attempts``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import get_language

from secu_marketplace import checkpoints, ledger
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, CheckoutError, OutcomeUnknown, ProviderUnavailable
from secu_marketplace.ledger import attempts as attempt_writes
from secu_marketplace.links import return_urls
from secu_marketplace.models import CheckoutAttempt, Order, SubBasket, load_parts
from secu_marketplace.provider.answers import STX_ID_RE, SmartData, parse_smart
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.payloads import (
    check_sums,
    fingerprint,
    language_for,
    smart_transaction_payload,
)
from secu_marketplace.rules.payments import PAYMENT_METHODS
from secu_marketplace.rules.statuses import (
    OPEN_ATTEMPT_STATES,
    PAYABLE,
    AttemptState,
    Source,
    StxStatus,
)
from secu_marketplace.services.lost_create import resolve_unknown
from secu_marketplace.services.supplier_contracts import checkout_methods, explain_refusal
from secu_marketplace.services.sync import sync_attempt

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
MAX_ROUNDS = 4


class Step(StrEnum):
    """What "Pay now" does next with the order's newest attempt."""

    CREATE = "create"  # a new attempt was inserted: send the create call
    WAIT = "wait"  # another request is creating its Smart Transaction right now
    RESOLVE = "resolve"  # the create's answer was lost: find out whether it landed
    REUSE = "reuse"  # the open Smart Transaction is unchanged: send the buyer back to it
    SUPERSEDE = "supersede"  # it is stale (basket changed, too old): abort it first


@dataclass
class CheckoutStart:
    url: str
    attempt: CheckoutAttempt
    reused: bool


def _creating_window() -> float:
    connect, read = app_settings.timeouts
    return connect + read + 5.0


def _next_step(order_id: int, method: str, subs: list[SubBasket]) -> tuple[Step, CheckoutAttempt]:
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
        # The newest attempt answers both questions: an open attempt is always the newest (one
        # is opened only when none is open, and the database allows one), and its number is
        # the one to count on from. The lock brought its id; none on a first "Pay now".
        newest = getattr(order, "newest_attempt_id", None)
        latest = None if newest is None else CheckoutAttempt.objects.get(pk=newest)
        if latest is None or latest.state not in OPEN_ATTEMPT_STATES:
            return Step.CREATE, _open(w, latest, method, current)
        return _step_for(w, latest, method, current), latest


def _open(
    w: ledger.Writer, latest: CheckoutAttempt | None, method: str, basket: str
) -> CheckoutAttempt:
    return attempt_writes.open_attempt(
        w,
        number=(latest.number if latest is not None else 0) + 1,
        amount=w.order.total,
        currency=w.order.currency,
        contract_id=app_settings.CONTRACT_ID,
        is_demo=bool(app_settings.IS_DEMO),
        basket_fingerprint=basket,
        preselected_method=method,
        # The create call follows at once in this request (``_create``): marking it sent now,
        # in the INSERT, saves an UPDATE. A process that dies before sending leaves the same
        # CREATING row either way, resolved after the landing window.
        create_sent_at=timezone.now(),
    )


def _step_for(w: ledger.Writer, attempt: CheckoutAttempt, method: str, basket: str) -> Step:
    age = (timezone.now() - attempt.created).total_seconds()
    if attempt.state == AttemptState.CREATING:
        if age < _creating_window():
            return Step.WAIT
        attempt_writes.lost(w, attempt)
        return Step.RESOLVE
    if attempt.state == AttemptState.UNKNOWN:
        return Step.RESOLVE
    if (
        attempt.basket_fingerprint == basket
        and attempt.preselected_method == method
        and age < float(app_settings.REUSE_CREATED_FOR)
    ):
        return Step.REUSE
    return Step.SUPERSEDE


def _wait_for(attempt: CheckoutAttempt) -> None:
    """Another request is creating this order's Smart Transaction right now: let it finish."""
    checkpoints.reach(checkpoints.Point.CHECKOUT_WAITING)
    deadline = time.monotonic() + _creating_window()
    while time.monotonic() < deadline:
        state = (
            CheckoutAttempt.objects.filter(pk=attempt.pk).values_list("state", flat=True).first()
        )
        if state != AttemptState.CREATING:
            return
        time.sleep(POLL_SECONDS)


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
    attempt_writes.close(attempt, "superseded by a new checkout attempt")


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
    checkpoints.reach(checkpoints.Point.CHECKOUT_CREATE)
    # From now on the create may land at secuconnect, even if its answer is lost (the attempt
    # was inserted with ``create_sent_at`` set, just before).
    try:
        answer = client.create_smart_transaction(payload)
    except OutcomeUnknown as error:
        # It may exist: never create blindly again; the next click or secu_sync resolves it.
        attempt_writes.not_created(attempt, AttemptState.UNKNOWN, error.as_dict())
        raise
    except Exception as error:
        details = (
            error.as_dict() if hasattr(error, "as_dict") else {"exception": type(error).__name__}
        )
        attempt_writes.not_created(attempt, AttemptState.FAILED, details)
        raise
    return _created(attempt, parse_smart(answer), method)


def _created(attempt: CheckoutAttempt, created: SmartData, method: str) -> CheckoutStart:
    url = created.checkout_url(method)
    if not STX_ID_RE.match(created.id) or not url:
        error = {"message": "create answer without id or checkout link"}
        attempt_writes.not_created(attempt, AttemptState.UNKNOWN, error)
        raise OutcomeUnknown(
            "secuconnect's answer to the create call had no Smart Transaction id or link"
        )
    opened, _order = attempt_writes.created(attempt, created)
    return CheckoutStart(url=url, attempt=opened, reused=False)


def _reuse(
    attempt: CheckoutAttempt, method: str, client: SecuconnectClient
) -> CheckoutStart | None:
    """The open attempt, if secuconnect confirms it is still ``created``; else None."""
    result = sync_attempt(attempt, source=Source.CHECKOUT, client=client)
    if not result.reachable:
        raise ProviderUnavailable("could not confirm the open Smart Transaction", method="GET")
    fresh = result.attempt
    if fresh.state != AttemptState.OPEN or fresh.provider_status != StxStatus.CREATED:
        return None
    reopened = attempt_writes.reopened(fresh)
    url = parse_smart(fresh.snapshot).checkout_url(method) or fresh.checkout_url
    return CheckoutStart(url=url, attempt=reopened, reused=True)


def _resolve(attempt: CheckoutAttempt, client: SecuconnectClient) -> None:
    resolved = resolve_unknown(attempt, client=client)
    if resolved.state == AttemptState.UNKNOWN:
        raise ProviderUnavailable("the previous attempt's outcome is not known yet")
    if resolved.stx_id:
        sync_attempt(resolved, source=Source.CHECKOUT, client=client)


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
            step, attempt = _next_step(order.pk, method, subs)
        except IntegrityError:
            continue  # another request opened an attempt between our check and insert
        if step == Step.CREATE:
            return _create_or_explain(order, attempt, subs, method, language, client, methods)
        if step == Step.WAIT:
            _wait_for(attempt)
        elif step == Step.RESOLVE:
            _resolve(attempt, client)
        elif step == Step.REUSE:
            started = _reuse(attempt, method, client)
            if started is not None:
                return started
        else:
            _supersede(attempt, client)
    raise CheckoutError(f"order {order.reference}: checkout could not be started, please try again")


def _create_or_explain(
    order: Order,
    attempt: CheckoutAttempt,
    subs: list[SubBasket],
    method: str,
    language: str,
    client: SecuconnectClient,
    methods: list[str] | None,
) -> CheckoutStart:
    try:
        return _create(attempt, subs, method, language, client, methods)
    except ApiError as error:  # a refusal staff can act on becomes a CheckoutError
        explained = explain_refusal(error, order)
        if explained is None:
            raise
        raise explained from error
