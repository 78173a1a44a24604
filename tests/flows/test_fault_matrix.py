"""The fault matrix: every entry point × every fault the sandbox can inject, on PostgreSQL.

Each cell asserts: no 500; no false paid / refunded / shipped while the fault lasts; no
duplicate call that moves money (counted on the sandbox); and convergence to the truth once
the fault clears. Timeouts are short here (connect 0.5 s, read 1 s) so latency cells stay fast.

``SECU_RELIABILITY_REPORT=<file>`` appends one JSON line per cell (``make reliability`` prints
them as the table in docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from secu_marketplace.links import return_path
from secu_marketplace.models import Order, Refund
from secu_marketplace.read.payments import newest_refund
from secu_marketplace.rules.statuses import MONEY, OrderStatus, PaymentRole, RefundState
from secu_marketplace.sandbox import control
from secu_marketplace.sandbox.models import PaymentTransaction as ProviderPayment
from secu_marketplace.sandbox.models import SmartTransaction as ProviderStx

from .conftest import Flow

pytestmark = pytest.mark.postgres

CONNECT, READ, MARGIN = 0.5, 1.0, 0.5
WINDOW = CONNECT + READ + MARGIN

FAULTS = [
    "http_500",
    "http_502",
    "http_503",
    "latency",
    "malformed_json",
    "token_expired",
    "drop_response",
    "refused_credentials",
    "provider_down",
]


@dataclass
class Cell:
    flow: Flow
    admin: Client
    settings: Any
    order: Order | None = None
    seen: list[int] = field(default_factory=list)  # HTTP statuses our entry point answered

    def answer(self, status: int) -> None:
        self.seen.append(status)


@dataclass(frozen=True)
class EntryPoint:
    name: str
    operation: str  # the provider call the fault is armed on
    times: int  # a read is retried, so its fault is armed for every try
    money: str  # the provider operation that moves money (counted), or ""
    setup: Callable[[Cell], None]
    act: Callable[[Cell], None]
    converge: Callable[[Cell], None]
    check: Callable[[Cell], None]


# --- setups ---------------------------------------------------------------------------------


def _paid(cell: Cell, method: str = "creditcard") -> None:
    cell.order = cell.flow.paid_order(method)


def _paid_at_provider_only(cell: Cell) -> None:
    """The buyer paid; nobody told us yet (no return, no push)."""
    order = cell.flow.order()
    started = cell.flow.checkout(order)
    cell.flow.pay(started.attempt, "creditcard")
    cell.order = order


def _came_back_unconfirmed(cell: Cell) -> None:
    """Paid at the provider; the buyer came back while nothing could be confirmed, so their
    payment page shows "confirming" and re-asks secuconnect when reloaded."""
    _paid_at_provider_only(cell)
    assert cell.order is not None
    cell.order.attempts.update(returned_via="success", returned_at=timezone.now())


def _new(cell: Cell) -> None:
    cell.order = cell.flow.order()


def _authorised(cell: Cell) -> None:
    cell.settings.SECU_MARKETPLACE = {**cell.settings.SECU_MARKETPLACE, "AUTO_CAPTURE": False}
    _paid(cell)
    assert cell.order is not None
    assert cell.order.status == OrderStatus.AUTHORIZED


def _invoice(cell: Cell) -> None:
    _paid(cell, "invoice")


# --- acts -----------------------------------------------------------------------------------


def _order(cell: Cell) -> Order:
    assert cell.order is not None
    cell.order.refresh_from_db()
    return cell.order


def _pay(cell: Cell) -> None:
    cell.answer(Client().post(_order(cell).get_payment_url()).status_code)


def _return(cell: Cell) -> None:
    attempt = _order(cell).attempts.order_by("-number").first()
    assert attempt is not None
    cell.answer(Client().get(return_path(attempt, "success")).status_code)


def _status(cell: Cell) -> None:
    cell.answer(Client().get(f"/payments/order/{_order(cell).public_token}/").status_code)


def _push(cell: Cell) -> None:
    for delivery in control.deliver_pushes():
        if delivery.last_status_code is not None:
            cell.answer(delivery.last_status_code)


def _refresh(cell: Cell) -> None:
    url = f"/admin/secu_marketplace/order/{_order(cell).pk}/refresh/"
    cell.answer(cell.admin.post(url).status_code)


def _sync(cell: Cell) -> None:
    try:
        call_command(
            "secu_sync", "--min-age", "0", "--no-progress", "--order", _order(cell).reference
        )
    except CommandError:
        cell.answer(1)  # non-zero exit, saying what failed
    else:
        cell.answer(0)


def _capture(cell: Cell) -> None:
    response = cell.admin.post(
        "/admin/secu_marketplace/order/",
        {"action": "capture_payment", "_selected_action": [str(_order(cell).pk)]},
    )
    cell.answer(response.status_code)


def _refund(cell: Cell) -> None:
    order = _order(cell)
    sb0 = order.sub_baskets.get(reference_id="sb0")
    response = cell.admin.post(
        f"/admin/secu_marketplace/order/{order.pk}/refund/",
        {
            "sub_basket": str(sb0.pk),
            "amount": "7.00",
            "reason": "damaged",
            "step": "confirm",
            "seen": str(newest_refund(order)),
        },
    )
    cell.answer(response.status_code)


def _ship(cell: Cell) -> None:
    order = _order(cell)
    sb0 = order.sub_baskets.get(reference_id="sb0")
    response = cell.admin.post(
        f"/admin/secu_marketplace/order/{order.pk}/ship/",
        {"sub_basket": str(sb0.pk), "carrier": "DHL", "shipped_at": "2026-12-01 10:00"},
    )
    cell.answer(response.status_code)


# --- convergence and checks ---------------------------------------------------------------------


def _settle(cell: Cell) -> None:
    time.sleep(WINDOW)  # whatever was in flight has landed or never will
    call_command("secu_sync", "--min-age", "0", "--no-progress", "--order", _order(cell).reference)


def _converge_pay(cell: Cell) -> None:
    time.sleep(WINDOW)
    assert Client().post(_order(cell).get_payment_url()).status_code == 303


def _check_pay(cell: Cell) -> None:
    order = _order(cell)
    assert ProviderStx.objects.filter(merchant_ref=order.reference).count() == 1
    assert order.status == OrderStatus.AWAITING_PAYMENT


def _converge_read(act: Callable[[Cell], None]) -> Callable[[Cell], None]:
    def converge(cell: Cell) -> None:
        act(cell)
        if _order(cell).status != OrderStatus.PAID:
            act(cell)  # a push is delivered again; a page is reloaded

    return converge


def _check_paid(cell: Cell) -> None:
    assert _order(cell).status == OrderStatus.PAID


def _converge_capture(cell: Cell) -> None:
    _settle(cell)
    if _order(cell).status == OrderStatus.AUTHORIZED:
        _capture(cell)


def _converge_refund(cell: Cell) -> None:
    _settle(cell)
    if not Refund.objects.filter(order=_order(cell), state=RefundState.DONE).exists():
        _refund(cell)
        _settle(cell)


def _check_refund(cell: Cell) -> None:
    order = _order(cell)
    part = order.payments.get(role=PaymentRole.SUB, sub_basket__reference_id="sb0")
    refunds = ProviderPayment.objects.filter(kind="refund", parent__pci_id=part.pci_id)
    assert [r.amount for r in refunds] == [-700], "refunded exactly once"
    assert Refund.objects.filter(order=order, state=RefundState.DONE).count() == 1


def _converge_ship(cell: Cell) -> None:
    _settle(cell)
    if not _order(cell).sub_baskets.get(reference_id="sb0").shipped_at:
        _ship(cell)


def _check_ship(cell: Cell) -> None:
    order = _order(cell)
    assert order.sub_baskets.get(reference_id="sb0").shipped_at is not None
    assert order.events.filter(subject="shipping").count() == 1


ENTRY_POINTS = [
    EntryPoint("pay", "smart.create", 1, "smart.create", _new, _pay, _converge_pay, _check_pay),
    EntryPoint(
        "return",
        "smart.get",
        3,
        "",
        _paid_at_provider_only,
        _return,
        _converge_read(_return),
        _check_paid,
    ),
    EntryPoint(
        "status page",
        "smart.get",
        3,
        "",
        _came_back_unconfirmed,
        _status,
        _converge_read(_status),
        _check_paid,
    ),
    EntryPoint(
        "push",
        "smart.get",
        3,
        "",
        _paid_at_provider_only,
        _push,
        _converge_read(_push),
        _check_paid,
    ),
    EntryPoint(
        "admin refresh",
        "smart.get",
        3,
        "",
        _paid_at_provider_only,
        _refresh,
        _converge_read(_refresh),
        _check_paid,
    ),
    EntryPoint(
        "secu_sync",
        "smart.get",
        3,
        "",
        _paid_at_provider_only,
        _sync,
        _converge_read(_sync),
        _check_paid,
    ),
    EntryPoint(
        "capture",
        "smart.start",
        1,
        "smart.start",
        _authorised,
        _capture,
        _converge_capture,
        _check_paid,
    ),
    EntryPoint(
        "refund",
        "payment.cancel",
        1,
        "payment.cancel",
        _paid,
        _refund,
        _converge_refund,
        _check_refund,
    ),
    EntryPoint(
        "ship",
        "payment.capture",
        1,
        "payment.capture",
        _invoice,
        _ship,
        _converge_ship,
        _check_ship,
    ),
]


def _arm(cell: Cell, entry: EntryPoint, fault: str, live: str) -> Callable[[], None]:
    """Arm ``fault``; returns what clears it."""
    base = dict(cell.settings.SECU_MARKETPLACE)
    if fault == "refused_credentials":
        cell.settings.SECU_MARKETPLACE = {**base, "CLIENT_SECRET": "revoked"}
        cache.clear()
    elif fault == "provider_down":
        cell.settings.SECU_MARKETPLACE = {**base, "API_URL": "http://127.0.0.1:9/sandbox"}
        cache.clear()
    elif fault == "latency":
        control.inject(entry.operation, "latency", times=entry.times, latency_ms=int(READ * 1500))
    else:
        control.inject(entry.operation, fault, times=entry.times)

    def clear() -> None:
        control.clear_faults()
        cell.settings.SECU_MARKETPLACE = base
        cache.clear()

    return clear


def _false_state(cell: Cell, entry: EntryPoint, before: dict[str, Any]) -> str:
    """What the app claims that the provider does not say (empty when nothing)."""
    order = _order(cell)
    if order.status in MONEY and before["status"] not in MONEY:
        attempt = order.attempts.order_by("-number").first()
        status = ProviderStx.objects.get(stx_id=attempt.stx_id).status if attempt else ""
        if status in ("created", "failed", "cancelled"):
            return f"order {order.status} while the provider says {status}"
    done = Refund.objects.filter(order=order, state=RefundState.DONE).count()
    if done > before["refunds"] and not ProviderPayment.objects.filter(kind="refund").exists():
        return "refund done that the provider never made"
    shipped = order.sub_baskets.filter(shipped_at__isnull=False).count()
    if shipped > before["shipped"] and entry.name == "ship":
        part = order.payments.get(role=PaymentRole.SUB, sub_basket__reference_id="sb0")
        remote = ProviderPayment.objects.get(pci_id=part.pci_id)
        if not remote.shipping_information:
            return "shipped locally, never reported to the provider"
    return ""


@pytest.fixture
def report() -> Callable[[dict[str, Any]], None]:
    path = os.environ.get("SECU_RELIABILITY_REPORT")

    def write(row: dict[str, Any]) -> None:
        if path:
            with Path(path).open("a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")

    return write


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=[e.name for e in ENTRY_POINTS])
def test_fault_matrix(
    flow: Flow,
    admin_client: Client,
    settings: Any,
    entry: EntryPoint,
    fault: str,
    report: Callable[[dict[str, Any]], None],
) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "CONNECT_TIMEOUT": CONNECT,
        "READ_TIMEOUT": READ,
        "LOST_CREATE_MARGIN": MARGIN,
        "RETRY_BACKOFF": 0.01,
    }
    cell = Cell(flow=flow, admin=admin_client, settings=settings)
    entry.setup(cell)
    order = _order(cell)
    before = {
        "status": order.status,
        "refunds": Refund.objects.filter(order=order, state=RefundState.DONE).count(),
        "shipped": order.sub_baskets.filter(shipped_at__isnull=False).count(),
    }
    control.reset_calls()
    row: dict[str, Any] = {"entry": entry.name, "fault": fault}
    try:
        clear = _arm(cell, entry, fault, flow.base_url)
        try:
            entry.act(cell)
            row["answered"] = sorted(set(cell.seen))
            assert 500 not in cell.seen, f"500 from {entry.name}"
            false = _false_state(cell, entry, before)
            assert not false, false
        finally:
            clear()
        entry.converge(cell)
        entry.check(cell)
        if entry.money:
            made = control.count(entry.money, status=200)
            row["money_calls"] = made
            assert made <= 1, f"{made} successful {entry.money} calls"
        row["held"] = True
    except BaseException as error:
        row["held"] = False
        row["error"] = f"{type(error).__name__}: {error}"[:200]
        raise
    finally:
        report(row)
