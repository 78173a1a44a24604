"""A SITE_URL that does not match the server: followed in development on the bundled sandbox,
reported in the log and on the payment pages otherwise, checked by secu_check; never in
production (secu_marketplace/served.py)."""

from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from secu_marketplace import served
from secu_marketplace.conf import app_settings
from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.testing import Sandbox
from secu_marketplace.testing.factories import OrderFactory

ELSEWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers there


def aim(settings: Any, site: str, api: str) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "SITE_URL": site, "API_URL": api}


@pytest.fixture(autouse=True)
def _fresh_reports() -> None:
    served._reported.clear()


def test_nothing_changes_outside_debug(settings: Any) -> None:
    settings.DEBUG = False
    aim(settings, ELSEWHERE, f"{ELSEWHERE}/sandbox")
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8080")
    assert served.mismatch(request) is None
    with served.following_server(request):
        assert app_settings.site_url == ELSEWHERE


def test_in_debug_on_the_sandbox_the_app_follows_the_server(settings: Any) -> None:
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    aim(settings, "http://127.0.0.1:8000", "http://127.0.0.1:8000/sandbox")
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8080")
    with served.following_server(request) as found:
        assert found is not None
        assert found.following
        assert app_settings.site_url == "http://127.0.0.1:8080"
        assert app_settings.api_url == "http://127.0.0.1:8080/sandbox"
        assert "Set SITE_URL to http://127.0.0.1:8080" in served.page_note(request)["site_url_note"]
    assert app_settings.site_url == "http://127.0.0.1:8000"  # only for the request


def test_in_debug_against_a_real_host_it_only_warns(settings: Any) -> None:
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    aim(settings, "http://127.0.0.1:8000", "https://connect-testing.secuconnect.com")
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8080")
    with served.following_server(request) as found:
        assert found is not None
        assert not found.following
        assert app_settings.site_url == "http://127.0.0.1:8000"
        assert "secuconnect sends the buyer" in found.note()


def test_a_buyer_on_another_port_pays_and_is_told(
    secu_sandbox: Sandbox, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = True
    aim(settings, ELSEWHERE, f"{ELSEWHERE}/sandbox")  # what SITE_URL said before the port moved
    order = OrderFactory()
    with caplog.at_level(logging.WARNING, logger="secu_marketplace.served"):
        page = secu_sandbox.pay(order)
    assert page.state == "paid"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert 'id="secu-site-url-note"' in page.html
    assert f"SITE_URL is {ELSEWHERE}" in page.html
    warnings = [r for r in caplog.records if "SITE_URL does not match" in r.getMessage()]
    assert len(warnings) == 1  # once per pair, not per request


def test_a_real_host_elsewhere_is_noted_on_the_error_page(
    secu_sandbox: Sandbox, settings: Any
) -> None:
    settings.DEBUG = True
    aim(settings, ELSEWHERE, f"{ELSEWHERE.replace('127.0.0.1', 'localhost')}/sandbox")
    order = OrderFactory()
    page = secu_sandbox.order_page(order)
    assert 'id="secu-site-url-note"' in page.html
    answer = secu_sandbox._submit(page, order.get_payment_url(), {})
    assert answer.status_code == 503  # the sandbox named by API_URL is not there
    assert "secuconnect sends the buyer and its push notifications to SITE_URL" in answer.html


def test_no_note_when_site_url_matches(secu_sandbox: Sandbox, settings: Any) -> None:
    settings.DEBUG = True
    page = secu_sandbox.pay(OrderFactory())
    assert page.state == "paid"
    assert "secu-site-url-note" not in page.html


def test_secu_check_says_nothing_answers_at_site_url(secu_sandbox: Sandbox, settings: Any) -> None:
    out = StringIO()
    call_command("secu_check", stdout=out)
    assert f"Site:      {secu_sandbox.url} answers" in out.getvalue()
    aim(settings, ELSEWHERE, f"{ELSEWHERE}/sandbox")
    out = StringIO()
    with pytest.raises(Exception, match="nothing answers at SITE_URL") as error:
        call_command("secu_check", stdout=out)
    assert "set SITE_URL to where it runs" in str(error.value)
    assert "nothing answers at SITE_URL http://127.0.0.1:9" in out.getvalue()
