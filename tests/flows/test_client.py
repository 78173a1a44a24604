"""The HTTP client against the sandbox: tokens, retries, typed errors, redaction."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections

from secu_marketplace import exceptions as exc
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.sandbox import control
from tests.helpers import guide_body

from .conftest import Flow

MISSING = "STX_" + "Z" * 30


def test_token_is_cached_with_a_safety_margin(flow: Flow, calls: Callable[[str], int]) -> None:
    client = SecuconnectClient()
    client.token()
    token = client.tokens.cached()
    assert token is not None
    assert 1200 - 120 - 5 < token.expires_at - time.time() <= 1200 - 120
    client.token()
    SecuconnectClient().token()  # another instance, same cache key
    assert calls("oauth.token") == 1


def test_cache_key_names_host_and_client(flow: Flow, settings: Any) -> None:
    a = SecuconnectClient()
    b = SecuconnectClient(api_url="https://connect-testing.secuconnect.com")
    c = SecuconnectClient(client_id="someone-else")
    assert len({a.tokens.key, b.tokens.key, c.tokens.key}) == 3


def test_cold_cache_with_many_threads_asks_for_one_token(
    flow: Flow, calls: Callable[[str], int]
) -> None:
    cache.clear()
    control.inject(
        "oauth.token", "latency", latency_ms=150
    )  # a slow token endpoint widens the race
    n = 12
    barrier = threading.Barrier(n)
    tokens: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            tokens.append(SecuconnectClient().token())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == n
    assert len(set(tokens)) == 1
    assert calls("oauth.token") == 1


def test_a_rejected_token_is_dropped_only_if_still_cached(flow: Flow) -> None:
    client = SecuconnectClient()
    first = client.token()
    client.tokens.discard("not-the-cached-one")
    assert client.token() == first
    client.tokens.discard(first)
    assert client.tokens.cached() is None


def test_product_errors_are_typed_and_carry_the_providers_fields(flow: Flow) -> None:
    client = SecuconnectClient()
    with pytest.raises(exc.NotFound) as error:
        client.get_smart_transaction(MISSING)
    assert error.value.http_status == 404
    assert error.value.status == "error"
    assert error.value.error == "ProductNotFoundException"
    assert error.value.code  # the real number is unknown (docs/provider.md, "Errors")
    assert error.value.code not in (1002, 1010)  # documented with other meanings
    assert error.value.support_id
    assert len(error.value.support_id) == 32
    assert error.value.error_user
    assert isinstance(error.value, Exception)
    with pytest.raises(exc.BadRequest) as bad:
        client.create_smart_transaction(guide_body(corrected=False))
    assert "sb0" in str(bad.value)
    assert bad.value.error_details
    assert "3940" in bad.value.error_details


def test_html_5xx_gives_a_clear_message(flow: Flow) -> None:
    control.inject("smart.get", "http_502", times=3)
    with pytest.raises(exc.ProviderUnavailable) as error:
        SecuconnectClient().get_smart_transaction(MISSING)
    assert "HTTP 502" in str(error.value)
    assert "non-JSON" in str(error.value)
    assert control.count("smart.get") == 3  # one try and two retries


def test_malformed_json_on_a_read_is_retried_then_reported(flow: Flow) -> None:
    control.inject("smart.get", "malformed_json", times=3)
    with pytest.raises(exc.MalformedResponse) as error:
        SecuconnectClient().get_smart_transaction(MISSING)
    assert "non-JSON body" in str(error.value)


def test_writes_are_never_retried(flow: Flow, calls: Callable[[str], int]) -> None:
    control.inject("smart.create", "http_503", times=1)
    with pytest.raises(exc.ProviderUnavailable):
        SecuconnectClient().create_smart_transaction(guide_body())
    assert calls("smart.create") == 1
    control.inject("smart.create", "drop_response", times=1)
    with pytest.raises(exc.OutcomeUnknown):
        SecuconnectClient().create_smart_transaction(guide_body())
    assert calls("smart.create") == 2


def test_connection_refused_is_unavailable_not_unknown() -> None:
    client = SecuconnectClient(
        api_url="http://127.0.0.1:9", client_id="x", client_secret="y", timeouts=(0.5, 0.5)
    )
    with pytest.raises(exc.ProviderUnavailable) as error:
        client._fetch_token()
    assert not isinstance(error.value, exc.OutcomeUnknown)


def test_secrets_and_buyer_data_never_reach_the_log(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    from secu_marketplace.redaction import RedactingFilter

    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    with caplog.at_level(logging.DEBUG, logger="secu_marketplace"):
        client = SecuconnectClient()
        stx = client.create_smart_transaction(guide_body())
        client.get_smart_transaction(stx["id"])
    text = caplog.text
    assert "secuconnect POST /Smart/Transactions -> 200" in text
    assert "3382456441636938321687549172178382320163695870914358804052148567" not in text
    assert client.token() not in text
    assert "max@example.net" not in text
    assert "Mustermann" not in text
    assert "Musterstr" not in text
