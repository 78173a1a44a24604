"""Driving the sandbox from Python: faults, the call log, tokens, pushes, the clock, contracts
(payment methods, cloning, approval, mixed baskets) and the switches for what nothing public
decides (``conf.py``; docs/provider.md, "Undecided").

Tests and benchmarks import this module; the control API (``<mount>/control/...``) is a thin
HTTP face over the same functions, for other processes and other languages. Clock and switches
live in the database, so a change made here is seen by every process.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet

from secu_marketplace.redaction import redact_text
from secu_marketplace.sandbox import clock, conf, contract_ops, disputes, payouts, pushes, state
from secu_marketplace.sandbox.models import (
    AccessToken,
    ApiCall,
    ApiClient,
    Contract,
    Fault,
    PushDelivery,
)

FAULT_KINDS = tuple(Fault.Kind.values)


def inject(operation: str, kind: str, *, times: int | None = 1, latency_ms: int = 0) -> Fault:
    """Arm ``kind`` for the next ``times`` calls of ``operation`` (``"*"`` for every one);
    ``times=None`` keeps it armed until ``clear_faults()``."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
    if times is not None and times < 1:
        raise ValueError("times must be at least 1 (or None: until cleared)")
    if kind == Fault.Kind.LATENCY and latency_ms <= 0:
        raise ValueError("a latency fault needs latency_ms > 0")
    return Fault.objects.create(
        operation=operation, kind=kind, remaining=times, latency_ms=latency_ms
    )


def clear_faults() -> None:
    Fault.objects.all().delete()


def calls(operation: str | None = None) -> QuerySet[ApiCall]:
    found = ApiCall.objects.all()
    return found.filter(operation=operation) if operation else found


def count(operation: str, *, status: int | None = None) -> int:
    found = calls(operation)
    return found.filter(status=status).count() if status is not None else found.count()


def reset_calls() -> None:
    ApiCall.objects.all().delete()


def expire_tokens(client_id: str | None = None) -> int:
    """Make every issued token (of one client) invalid now, as if 1200 s had passed."""
    now = clock.now()
    tokens = AccessToken.objects.filter(expires_at__gt=now)
    if client_id:
        tokens = tokens.filter(client__client_id=client_id)
    return tokens.update(expires_at=now - timedelta(seconds=1))


def set_token_lifetime(client_id: str, seconds: int | None) -> None:
    """Tokens issued to the client from now on live ``seconds`` (0: born expired; None: the
    ``TOKEN_LIFETIME`` setting)."""
    if seconds is not None and seconds < 0:
        raise ValueError("token_lifetime must be 0 or more seconds")
    if not ApiClient.objects.filter(client_id=client_id).update(token_lifetime=seconds):
        raise LookupError(f"unknown client {client_id}")
    state.changed()  # update() sends no signal; cached clients carry the old lifetime


def deliver_pushes(*, force: bool = True) -> list[PushDelivery]:
    """Send the pending pushes now (``force``: even those waiting for their backoff)."""
    return pushes.deliver_due(force=force)


def deliver_due_pushes() -> list[PushDelivery]:
    """Send only the pending pushes that are due by the sandbox clock (retries keep their
    backoff), as secuconnect's sender would at this moment."""
    return pushes.deliver_due(force=False)


def advance_clock(seconds: float) -> dict[str, Any]:
    """Let ``seconds`` pass on the sandbox clock (pushes, token expiry, CHECKOUT_TTL)."""
    clock.advance(seconds)
    if conf.get("PUSH_MODE") == "background":
        pushes.sender.wake()  # retries that just became due go out now
    return clock_state()


def reset_clock() -> dict[str, Any]:
    clock.reset()
    return clock_state()


def clock_state() -> dict[str, Any]:
    return {"now": clock.now().isoformat(), "offset": clock.offset()}


def set_switch(name: str, value: Any) -> Any:
    """Set a switch for every process until reset (ValueError for an unknown name or value)."""
    return conf.set_switch(name, value)


def switches() -> dict[str, Any]:
    """Every switch's current value."""
    return conf.switches()


def reset_switches(name: str | None = None) -> None:
    """Back to the settings' values (one switch, or all)."""
    conf.reset_switches(name)


def fault_rows() -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Fault.objects.values("id", "operation", "kind", "remaining", "latency_ms")
    ]


def call_rows(operation: str | None = None, since_id: int = 0) -> list[dict[str, Any]]:
    rows = calls(operation).filter(pk__gt=since_id)
    return [
        {**row, "created": row["created"].isoformat()}
        for row in rows.values(
            "id",
            "operation",
            "method",
            "path",
            "status",
            "duration_ms",
            "client_id",
            "fault",
            "created",
        )
    ]


def push_rows() -> list[dict[str, Any]]:
    """The push deliveries; their URLs with the signed token masked: a push URL is a credential
    of the shop's (redaction.py), never shown in a list."""
    return [
        {
            "push_id": d.push_id,
            "url": redact_text(d.url),
            "state": d.state,
            "attempts": d.attempts,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "body": d.body,
            "history": d.history,
            "created": d.created.isoformat(),
            "next_attempt_at": d.next_attempt_at.isoformat(),
        }
        for d in PushDelivery.objects.order_by("created", "pk")
    ]


def set_contract_methods(contract_id: str, methods: list[str] | None) -> list[str]:
    """What the contract accepts from now on (None or []: every method the sandbox knows), as
    ``paymentMethods`` and ``getAvailablePaymentMethods`` answer it; a Smart Transaction naming
    the contract offers no other."""
    return contract_ops.set_methods(contract_id, methods)


def set_contract_cloning(contract_id: str, allowed: bool) -> None:
    """Allow or refuse ``requestId`` on a contract (the sandbox's own ``allow_cloning``)."""
    contract_ops.set_flag(contract_id, "allow_cloning", bool(allowed))


def approve_contract(contract_id: str, approved: bool = True) -> None:
    """secupay approves a contract (or withdraws it): its ``approved`` from now on. A contract
    made by ``requestId`` starts unapproved."""
    contract_ops.set_flag(contract_id, "approved", bool(approved))


def set_contract_mixed_basket(contract_id: str, enabled: bool) -> None:
    """Whether Smart Transactions of the contract may carry a mixed basket (off: code 4028)."""
    contract_ops.set_flag(contract_id, "mixed_basket", bool(enabled))


def money_back(pci_id: str) -> dict[str, Any]:
    """The buyer's money for a Payment Transaction comes back (a chargeback, a returned direct
    debit): simple status 4 "issue", "Rückbelastung", pushed (``disputes.py``;
    ``CHARGEBACK_PARTS`` says whether a leading transaction's parts are marked too)."""
    return _status(disputes.money_back(pci_id))


def issue_resolved(pci_id: str) -> dict[str, Any]:
    """The issue on a Payment Transaction is resolved: simple status 6, pushed."""
    return _status(disputes.issue_resolved(pci_id))


def _status(pt: Any) -> dict[str, Any]:
    return {"pci_id": pt.pci_id, "status_simple": pt.status_simple}


def pay_out(contract_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """A payout run (``sandbox/payouts.py``): every contract (or those named) is paid what it is
    owed now, one push per paid contract; the records made, as ``GET /Payment/Payouts`` shows
    them."""
    return [payouts.representation(line) for line in payouts.pay_out(contract_ids)]


def set_payout_push_url(contract_id: str, url: str) -> None:
    """Where pushes about the contract's payouts go ("": the newest paid-out payment's
    ``url_push``)."""
    if not Contract.objects.filter(contract_id=contract_id).update(payout_push_url=url):
        raise LookupError(f"unknown contract {contract_id}")
