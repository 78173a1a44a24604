"""Pushes that cannot be amplified: a push URL is not a return URL, a burst of pushes for one
attempt costs one read at secuconnect per PUSH_READ_INTERVAL, what an attempt's pushes may store
is capped, and every well-formed push still gets its 200. Return links expire."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.core import signing
from django.test import Client

from secu_marketplace import links
from secu_marketplace.models import CheckoutAttempt, PushNotification
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.sandbox import control

from .conftest import Flow

Outcome = PushNotification.Outcome


def push(stx_id: str, number: int) -> dict[str, Any]:
    return {
        "object": "event.pushes",
        "id": f"evt_{number:032x}",
        "created": "2026-12-06T12:00:00+01:00",
        "target": "smart.transactions",
        "type": "changed",
        "data": [{"object": "smart.transactions", "id": stx_id}],
    }


@pytest.fixture
def interval(settings: Any) -> float:
    seconds = 0.6
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "PUSH_READ_INTERVAL": seconds}
    return seconds


def paid(flow: Flow) -> CheckoutAttempt:
    attempt = flow.checkout(flow.order()).attempt
    flow.pay(attempt)
    control.reset_calls()
    return attempt


def test_a_return_url_grants_no_push_and_a_push_url_opens_no_page(flow: Flow) -> None:
    attempt = paid(flow)
    return_token = links.return_token(attempt)
    push_token = links.push_token(attempt)
    body = json.dumps(push(str(attempt.stx_id), 1))
    refused = Client().post(
        f"/payments/push/{return_token}/", body, content_type="application/json"
    )
    assert refused.status_code == 404
    assert Client().get(f"/payments/return/{push_token}/success/").status_code == 404
    assert not PushNotification.objects.exists()
    assert control.count("smart.get") == 0


def test_a_burst_of_concurrent_pushes_costs_one_read_per_interval(
    flow: Flow, interval: float, calls: Callable[[str], int]
) -> None:
    attempt = paid(flow)
    url = flow.base_url + links.push_path(attempt)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda n: requests.post(url, json=push(str(attempt.stx_id), n), timeout=30),
                range(40),
            )
        )
    took = time.monotonic() - began
    assert [a.status_code for a in answers] == [200] * 40
    reads = calls("smart.get")
    assert 1 <= reads <= int(took / interval) + 2, (reads, took)
    assert reads < 40
    # Every push was recorded by a read that started after it arrived.
    assert PushNotification.objects.filter(attempt=attempt).count() == 40
    assert set(PushNotification.objects.values_list("outcome", flat=True)) == {Outcome.PROCESSED}
    attempt.order.refresh_from_db()
    assert attempt.order.status == OrderStatus.PAID


def test_reads_for_pushes_are_at_least_an_interval_apart(
    flow: Flow, interval: float, calls: Callable[[str], int]
) -> None:
    attempt = paid(flow)
    url = links.push_path(attempt)
    for n in range(3):  # one after another: each finds the previous read done
        answer = Client().post(
            url, json.dumps(push(str(attempt.stx_id), n)), content_type="application/json"
        )
        assert answer.status_code == 200
    started = [call.created for call in control.calls("smart.get").order_by("pk")]
    assert len(started) == 3
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(started)]
    assert min(gaps) >= interval * 0.9, gaps


def test_an_ignored_push_keeps_only_a_summary_of_its_body(flow: Flow) -> None:
    attempt = flow.checkout(flow.order()).attempt
    body = {"object": "something.else", "id": "evt_big", "padding": "x" * 60_000}
    answer = Client().post(
        links.push_path(attempt), json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200
    record = PushNotification.objects.get()
    assert record.outcome == Outcome.IGNORED
    assert record.body["truncated"] is True
    assert "padding" not in record.body
    assert len(json.dumps(record.body)) < 1000


def test_an_attempts_inbox_is_capped_and_every_push_still_answered(
    flow: Flow, settings: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "PUSH_INBOX_LIMIT": 5}
    attempt = paid(flow)
    for n in range(9):
        answer = Client().post(
            links.push_path(attempt),
            json.dumps(push(str(attempt.stx_id), n)),
            content_type="application/json",
        )
        assert answer.status_code == 200
    rows = PushNotification.objects.filter(attempt=attempt)
    assert rows.count() == 6  # five pushes and the overflow row
    overflow = rows.get(push_id=f"overflow:{attempt.pk}")
    assert overflow.deliveries == 4
    assert overflow.outcome == Outcome.PROCESSED


def test_an_expired_return_link_shows_no_order_and_reads_nothing(
    flow: Flow, settings: Any, calls: Callable[[str], int]
) -> None:
    attempt = paid(flow)

    class AnHourAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 3600)

    old = AnHourAgo(salt=links.RETURN_SALT).sign(attempt.key)
    assert Client().get(f"/payments/return/{old}/success/").status_code == 200  # 7 days
    control.reset_calls()
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "RETURN_LINK_MAX_AGE": 1800}
    page = Client().get(f"/payments/return/{old}/success/")
    assert page.status_code == 410
    assert attempt.order.reference.encode() not in page.content
    assert calls("smart.get") == 0
    # The order's status page is the link for later visits.
    later = Client().get(f"/payments/order/{attempt.order.public_token}/")
    assert later.status_code == 200
    # The push URL of the same attempt keeps working: pushes come for weeks.
    answer = Client().post(
        links.push_path(attempt),
        json.dumps(push(str(attempt.stx_id), 99)),
        content_type="application/json",
    )
    assert answer.status_code == 200
