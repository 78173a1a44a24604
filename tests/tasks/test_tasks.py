"""The tasks of secu_marketplace/tasks.py on Django's in-process backends (immediate, dummy);
the real backends with worker processes are in test_workers.py."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from importlib.util import find_spec
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from secu_marketplace.links import payout_push_url, push_path
from secu_marketplace.models import CheckoutAttempt, Payout, PushNotification
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import control
from secu_marketplace.tasks import (
    books_upkeep,
    expire_unpaid,
    process_pushes,
    reconcile_due,
    sync_due_attempt,
)
from tests.flows.conftest import Flow

if find_spec("django.tasks"):
    from django.tasks import task_backends

    TASKS_PACKAGE = "django.tasks"
else:
    from django_tasks import task_backends  # type: ignore[no-redef]

    TASKS_PACKAGE = "django_tasks"

Outcome = PushNotification.Outcome


def backend_settings(kind: str) -> dict[str, Any]:
    return {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.{kind}.{kind.title()}Backend"}}


@pytest.fixture
def background(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "BACKGROUND_TASKS": True,
        "TASK_RETRY_DELAY": 5.0,
    }


@pytest.fixture
def dummy(background: None) -> Iterator[Any]:
    """The dummy backend: it keeps what is enqueued, and runs nothing."""
    with override_settings(TASKS=backend_settings("dummy")):
        backend = task_backends["default"]
        backend.clear()
        yield backend


def push_body(pci_or_stx: str, push_id: str = "evt_" + "a" * 32) -> str:
    return json.dumps(
        {
            "object": "event.pushes",
            "id": push_id,
            "target": "payment.transactions"
            if pci_or_stx.startswith("PCI")
            else "smart.transactions",
            "type": "changed",
            "data": [{"object": "payment.transactions", "id": pci_or_stx}],
        }
    )


def paid_attempt(flow: Flow) -> CheckoutAttempt:
    started = flow.checkout(flow.order())
    flow.pay(started.attempt, "creditcard")
    return started.attempt


def post_push(attempt: CheckoutAttempt, body: str) -> Any:
    return Client().post(push_path(attempt), body, content_type="application/json")


def test_a_push_is_acknowledged_once_stored_and_processed_by_the_task(
    flow: Flow, background: None
) -> None:
    attempt = paid_attempt(flow)
    with override_settings(TASKS=backend_settings("immediate")):
        response = post_push(attempt, push_body(str(attempt.stx_id)))
    assert response.status_code == 200
    assert response.content == b"queued"
    record = PushNotification.objects.get()
    assert record.outcome == Outcome.PROCESSED
    attempt.order.refresh_from_db()
    assert attempt.order.status == OrderStatus.PAID


def test_the_push_task_runs_after_the_answer_and_retries_when_unreachable(
    flow: Flow, dummy: Any
) -> None:
    attempt = paid_attempt(flow)
    response = post_push(attempt, push_body(str(attempt.stx_id)))
    assert (response.status_code, response.content) == (200, b"queued")
    record = PushNotification.objects.get()
    assert record.outcome == Outcome.RECEIVED  # answered before any re-read
    assert control.count("smart.get") == 0
    [queued] = dummy.results
    assert queued.task.name == process_pushes.name
    assert queued.args == [attempt.pk]

    control.inject("smart.get", "http_503", times=10)
    assert process_pushes.call(attempt.pk) == "unreachable"
    record.refresh_from_db()
    assert record.outcome == Outcome.FAILED
    retry = dummy.results[-1]
    assert retry.args == [attempt.pk, 1]
    assert retry.task.run_after is not None

    control.clear_faults()
    assert process_pushes.call(attempt.pk, 1) == "changed"
    record.refresh_from_db()
    assert record.outcome == Outcome.PROCESSED
    attempt.order.refresh_from_db()
    assert attempt.order.status == OrderStatus.PAID
    # A task enqueued twice finds no push waiting and makes no call.
    before = control.count("smart.get")
    assert process_pushes.call(attempt.pk) == "nothing waiting"
    assert control.count("smart.get") == before


def test_retries_stop_after_task_retries(flow: Flow, dummy: Any, settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "TASK_RETRIES": 2}
    attempt = paid_attempt(flow)
    post_push(attempt, push_body(str(attempt.stx_id)))
    control.inject("smart.get", "http_503", times=100)
    dummy.clear()
    process_pushes.call(attempt.pk, 1)
    assert len(dummy.results) == 1  # retry 2 queued
    process_pushes.call(attempt.pk, 2)
    assert len(dummy.results) == 1  # out of retries: reconciliation is the net


def test_pushes_before_the_task_starts_share_its_one_read(flow: Flow, dummy: Any) -> None:
    attempt = paid_attempt(flow)
    body = push_body(str(attempt.stx_id))
    post_push(attempt, body)
    assert post_push(attempt, body).content == b"queued"  # a redelivery
    assert post_push(attempt, push_body(str(attempt.stx_id), "evt_" + "b" * 32)).content == (
        b"queued"
    )
    assert len(dummy.results) == 1  # one task for the attempt
    assert PushNotification.objects.get(push_id="evt_" + "a" * 32).deliveries == 2
    control.reset_calls()
    assert process_pushes.call(attempt.pk) == "changed"
    assert control.count("smart.get") == 1
    assert set(PushNotification.objects.values_list("outcome", flat=True)) == {Outcome.PROCESSED}


def test_reconcile_due_claims_each_attempt_once_and_fans_out(flow: Flow, dummy: Any) -> None:
    attempts = [flow.checkout(flow.order()).attempt for _ in range(3)]
    assert reconcile_due.call(0) == 3
    assert sorted(r.args[0] for r in dummy.results) == sorted(a.pk for a in attempts)
    assert {r.task.name for r in dummy.results} == {sync_due_attempt.name}
    # Claimed until their tasks ran: a second run at once finds nothing to do.
    assert reconcile_due.call(0) == 0
    assert control.count("smart.get") == 0
    for attempt in attempts:
        assert sync_due_attempt.call(attempt.pk) == "unchanged"
    assert control.count("smart.get") == 3
    assert not CheckoutAttempt.objects.filter(claimed_until__isnull=False).exists()


def test_secu_sync_enqueue_leaves_the_work_to_the_workers(flow: Flow, dummy: Any) -> None:
    flow.checkout(flow.order())
    out = io.StringIO()
    call_command("secu_sync", "--enqueue", "--min-age", "0", stdout=out)
    assert out.getvalue().split() == [
        "queued",
        "reconcile_due,",
        "expire_unpaid",
        "queued",
        "books_upkeep",
    ]
    queued, expiring, books = dummy.results
    assert queued.task.name == reconcile_due.name
    assert queued.args == [0, None]
    assert expiring.task.name == expire_unpaid.name
    assert books.task.name == books_upkeep.name  # payouts, held parts, erasure
    assert control.count("smart.get") == 0


def test_without_background_tasks_a_push_is_processed_in_the_request(flow: Flow) -> None:
    attempt = paid_attempt(flow)
    with override_settings(TASKS=backend_settings("dummy")):
        task_backends["default"].clear()
        response = post_push(attempt, push_body(str(attempt.stx_id)))
        assert task_backends["default"].results == []
    assert (response.status_code, response.content) == (200, b"ok")
    assert PushNotification.objects.get().outcome == Outcome.PROCESSED


def test_the_task_reconciles_as_secu_sync_does(flow: Flow, dummy: Any, settings: Any) -> None:
    """One read when nothing moved; a checkout left longer than SYNC_ABANDON_AFTER is aborted
    at secuconnect and closed, as ``secu_sync`` would."""
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SYNC_ABANDON_AFTER": 3600}
    left = flow.checkout(flow.order()).attempt
    CheckoutAttempt.objects.filter(pk=left.pk).update(
        created=timezone.now() - timedelta(seconds=3601)
    )
    paid = paid_attempt(flow)
    flow.come_back(paid)
    control.reset_calls()
    assert sync_due_attempt.call(paid.pk) == "unchanged"
    assert (control.count("smart.get"), control.count("payment.get")) == (1, 0)
    assert sync_due_attempt.call(left.pk) == "changed"
    assert control.count("smart.abort") == 1
    left.refresh_from_db()
    assert left.state == "closed"
    assert left.order.status == OrderStatus.ABORTED


def test_the_expire_unpaid_task_expires_an_order_past_its_deadline_once(flow: Flow) -> None:
    order = flow.paid_order("prepaid")
    order.__class__.objects.filter(pk=order.pk).update(pay_by=timezone.now() - timedelta(days=1))
    assert expire_unpaid.call() == {"reminded": 0, "expired": 1, "kept": 0, "failed": 0}
    assert expire_unpaid.call()["expired"] == 0  # a second run finds nothing
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert control.count("smart.cancel") == 1


def test_a_payout_push_leaves_the_payouts_to_the_books_task(flow: Flow, dummy: Any) -> None:
    paid_attempt(flow)
    control.pay_out()
    body = json.dumps(
        {
            "object": "event.pushes",
            "id": "evt_" + "b" * 32,
            "target": "payment.payouts",
            "type": "added",
            "data": [{"object": "payment.payouts", "id": "PPO_X"}],
        }
    )
    url = payout_push_url().removeprefix(flow.base_url)
    response = Client().post(url, body, content_type="application/json")
    assert (response.status_code, response.content) == (200, b"queued")
    [queued] = dummy.results
    assert queued.task.name == books_upkeep.name
    assert control.count("payouts.list") == 0
    assert books_upkeep.call() == "ok"
    assert Payout.objects.count() == 3  # two suppliers and the marketplace
