"""The tasks on real backends, run by several worker processes against the live server's sandbox:
django-tasks-db's ``DatabaseBackend`` with ``manage.py db_worker`` on PostgreSQL, and an RQ
queue in Redis (``django_tasks_rq``) with ``manage.py rqworker``. Each due attempt is re-read
exactly once, however many workers and ``reconcile_due`` tasks run at once."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import override_settings

from secu_marketplace.models import CheckoutAttempt, PushNotification
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import control
from secu_marketplace.tasks import enqueue_reconcile
from tests.flows.conftest import Flow

from .test_tasks import paid_attempt, post_push, push_body

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
ATTEMPTS = 24
RUNS = 4  # reconcile_due tasks enqueued at once, racing for the same due attempts

pytestmark = pytest.mark.postgres


def database_url() -> str:
    """The test database, as the worker processes must reach it."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(base_url: str, kind: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_DATABASE_URL": database_url(),
        "SECUCONNECT_API_URL": f"{base_url}/sandbox",
        "SITE_URL": base_url,
        "SECU_TEST_TASKS": kind,
    }


@pytest.fixture
def start_workers(secu: str) -> Iterator[Callable[..., list[subprocess.Popen[bytes]]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(kind: str, *command: str) -> list[subprocess.Popen[bytes]]:
        procs = [
            subprocess.Popen(  # noqa: S603 - the project's own manage.py
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=worker_env(secu, kind),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(WORKERS)
        ]
        started.extend(procs)
        return procs

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def due_attempts(flow: Flow) -> list[CheckoutAttempt]:
    return [flow.checkout(flow.order()).attempt for _ in range(ATTEMPTS)]


def assert_each_read_once(attempts: list[CheckoutAttempt]) -> None:
    reads = collections.Counter(
        call.path.rstrip("/").rsplit("/", 1)[-1] for call in control.calls("smart.get")
    )
    assert reads == {str(a.stx_id): 1 for a in attempts}
    assert not CheckoutAttempt.objects.filter(claimed_until__isnull=False).exists()
    assert not CheckoutAttempt.objects.filter(last_synced_at__isnull=True).exists()


DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def db_results() -> Any:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.all()


def test_database_backend_workers_sync_each_due_attempt_once(
    flow: Flow, start_workers: Callable[..., Any]
) -> None:
    attempts = due_attempts(flow)
    control.reset_calls()
    with override_settings(TASKS=DB_BACKEND):
        for _ in range(RUNS):
            enqueue_reconcile(0, expire=False)  # reconciliation alone: RUNS + ATTEMPTS tasks
    # Each worker stops after 10 tasks: two could do only 20 of the 28, so all three take part
    # whatever order they start in.
    start_workers("db", "db_worker", "--interval", "0.1", "--no-startup-delay", "--max-tasks", "10")
    wait_for(
        lambda: db_results().filter(status__in=["SUCCESSFUL", "FAILED"]).count() == RUNS + ATTEMPTS,
        "every task to finish",
    )
    results = db_results()
    assert {r.status for r in results} == {"SUCCESSFUL"}
    fanned_out = [r.return_value for r in results if r.task_path.endswith("reconcile_due")]
    assert sum(fanned_out) == ATTEMPTS  # claimed by whichever run got there first, once
    assert len({r.worker_ids[0] for r in results}) == WORKERS
    assert_each_read_once(attempts)


def test_database_backend_push_is_processed_after_the_answer_and_retried(
    flow: Flow, start_workers: Callable[..., Any], settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "BACKGROUND_TASKS": True}
    attempt = paid_attempt(flow)
    control.inject("smart.get", "http_503", times=1)  # the first re-read fails; workers retry
    with override_settings(TASKS=DB_BACKEND):
        response = post_push(attempt, push_body(str(attempt.stx_id)))
    assert (response.status_code, response.content) == (200, b"queued")
    record = PushNotification.objects.get()
    assert record.outcome == PushNotification.Outcome.RECEIVED
    start_workers("db", "db_worker", "--interval", "0.1", "--no-startup-delay")
    wait_for(
        lambda: PushNotification.objects.filter(
            outcome=PushNotification.Outcome.PROCESSED
        ).exists(),
        "the push to be processed",
    )
    assert [r.return_value for r in db_results().order_by("enqueued_at")] == [
        "unreachable",
        "changed",
    ]
    attempt.order.refresh_from_db()
    assert attempt.order.status == OrderStatus.PAID


@pytest.mark.redis
def test_rq_workers_sync_each_due_attempt_once_and_process_pushes(
    flow: Flow, start_workers: Callable[..., Any], settings: Any
) -> None:
    import django_rq

    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "BACKGROUND_TASKS": True}
    rq = {
        "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        "RQ_QUEUES": {"default": {"URL": os.environ["SECU_TEST_REDIS_URL"]}},
    }
    paid = paid_attempt(flow)
    attempts = due_attempts(flow)
    control.reset_calls()
    with override_settings(**rq):
        django_rq.get_queue("default").empty()
        for _ in range(RUNS):
            enqueue_reconcile(0, expire=False)  # reconciliation alone: RUNS + ATTEMPTS tasks
        response = post_push(paid, push_body(str(paid.stx_id)))
        assert (response.status_code, response.content) == (200, b"queued")
    # Burst workers exit once the queue is empty; SimpleWorker runs jobs in the worker process
    # (no fork per job, which would share the parent's database connection); django_tasks_rq's
    # Job class is what turns a job back into a task call.
    procs = start_workers(
        "rq",
        "rqworker",
        "--burst",
        "--worker-class",
        "rq.worker.SimpleWorker",
        "--job-class",
        "django_tasks_rq.Job",
        "default",
    )
    for proc in procs:
        proc.wait(timeout=120)
        # A failed job does not fail a burst worker: the outcomes below are what tell.
        assert proc.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.PAID
    assert PushNotification.objects.get().outcome == PushNotification.Outcome.PROCESSED
    # The paid attempt is read by its push task and, being due too, by a sync task: only the
    # others are counted exactly.
    reads = collections.Counter(
        call.path.rstrip("/").rsplit("/", 1)[-1] for call in control.calls("smart.get")
    )
    assert {k: v for k, v in reads.items() if k != paid.stx_id} == {
        str(a.stx_id): 1 for a in attempts
    }
    assert not CheckoutAttempt.objects.filter(claimed_until__isnull=False).exists()
