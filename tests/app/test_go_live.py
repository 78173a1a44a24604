"""Going live: every unsafe setting is named by the system checks, and a web server refuses to
start with one (secu_marketplace/safety.py)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from secu_marketplace import safety
from secu_marketplace.conf import (
    PUBLIC_CLIENT_ID,
    PUBLIC_CLIENT_SECRET,
    PUBLIC_CONTRACT_ID,
    PUBLIC_SUPPLIER_CONTRACT_IDS,
    app_settings,
)
from secu_marketplace.sandbox import world

LIVE = {
    "ENVIRONMENT": "production",
    "CLIENT_ID": "a-real-client",
    "CLIENT_SECRET": "a-real-secret",
    "CONTRACT_ID": "GCR_" + "R" * 30,
    "SITE_URL": "https://shop.example",
}
SANDBOX_ERRORS = {"secu_marketplace.E013"}  # the test project installs and mounts the sandbox


@pytest.fixture(autouse=True)
def deployed(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests play a deployment: the test environment's own exemption is off."""
    monkeypatch.setattr(safety, "_test_run", lambda: False)


def found(settings: Any, value: dict[str, Any], *, debug: bool = False) -> set[str]:
    settings.DEBUG = debug
    settings.SECU_MARKETPLACE = value
    return {message.id for message in safety.problems()}


def test_a_production_configuration_is_refused_only_for_the_sandbox_here(settings: Any) -> None:
    assert found(settings, LIVE) == SANDBOX_ERRORS
    assert app_settings.api_url == "https://connect.secucard.com"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"API_URL": "https://payments.evil.example"}, "E016"),
        ({"API_URL": "https://connect.secucard.com.evil.example"}, "E016"),
        ({"API_URL": "http://connect.secucard.com"}, "E016"),
        ({"API_URL": "https://shop.example/sandbox"}, "E015"),
        ({"CLIENT_ID": PUBLIC_CLIENT_ID}, "E017"),
        ({"CLIENT_SECRET": PUBLIC_CLIENT_SECRET}, "E017"),
        ({"CONTRACT_ID": PUBLIC_CONTRACT_ID}, "E018"),
        ({"PROVIDER_CONTRACT_ID": world.GUIDE_PROVIDER_CONTRACT}, "E018"),
        ({"IS_DEMO": True}, "E011"),
        ({"SITE_URL": "http://shop.example"}, "E019"),
        ({"DEMO_DEPLOYMENT": True}, "E020"),
    ],
)
def test_each_unsafe_production_setting_is_an_error(
    settings: Any, change: dict[str, Any], expected: str
) -> None:
    # In production DEBUG does not help, and a demo deployment is no excuse.
    for debug in (False, True):
        assert f"secu_marketplace.{expected}" in found(settings, {**LIVE, **change}, debug=debug)


def test_secuconnects_production_host_is_accepted_in_production_and_its_testing_host_not(
    settings: Any,
) -> None:
    assert found(settings, {**LIVE, "API_URL": "https://connect.secucard.com"}) == SANDBOX_ERRORS
    # A testing .env copied into production: test cards would "pay" real orders.
    testing = {**LIVE, "API_URL": "https://connect-testing.secuconnect.com"}
    assert found(settings, testing) == {*SANDBOX_ERRORS, "secu_marketplace.E016"}
    assert found(settings, {**testing, "ENVIRONMENT": "testing"}) == SANDBOX_ERRORS


@pytest.mark.parametrize("site", ["HTTP://shop.example", " http://shop.example"])
def test_a_plain_http_site_url_is_refused_however_it_is_spelled(settings: Any, site: str) -> None:
    assert "secu_marketplace.E019" in found(settings, {**LIVE, "SITE_URL": site})


def test_production_with_debug_on_is_an_error(settings: Any) -> None:
    assert "secu_marketplace.E024" in found(settings, LIVE, debug=True)
    assert "secu_marketplace.E024" not in found(settings, LIVE, debug=False)


def test_without_debug_the_sandbox_and_its_public_credentials_are_errors(settings: Any) -> None:
    sandbox = {"ENVIRONMENT": "sandbox", "SITE_URL": "https://demo.example"}
    assert found(settings, sandbox) == {
        "secu_marketplace.E013",
        "secu_marketplace.E014",
    }
    testing = {**LIVE, "ENVIRONMENT": "testing", "CLIENT_SECRET": PUBLIC_CLIENT_SECRET}
    assert found(settings, testing) == {*SANDBOX_ERRORS, "secu_marketplace.E017"}


def test_a_developers_machine_is_left_alone(settings: Any) -> None:
    sandbox = {"ENVIRONMENT": "sandbox", "SITE_URL": "http://127.0.0.1:8000"}
    assert found(settings, sandbox, debug=True) == set()
    # ...and its empty credentials are the sandbox's public ones.
    assert app_settings.CLIENT_ID == PUBLIC_CLIENT_ID
    assert app_settings.CONTRACT_ID == PUBLIC_CONTRACT_ID
    assert app_settings.api_url == "http://127.0.0.1:8000/sandbox"


def test_a_deliberate_demo_runs_without_debug_and_says_so(settings: Any) -> None:
    demo = {"ENVIRONMENT": "sandbox", "SITE_URL": "http://demo.example", "DEMO_DEPLOYMENT": True}
    assert found(settings, demo) == {"secu_marketplace.W008"}
    [warning] = safety.problems()
    assert "demo" in warning.msg


def test_a_test_run_is_no_deployment(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    settings.DEBUG = False  # as the test runner leaves it
    settings.SECU_MARKETPLACE = {"ENVIRONMENT": "sandbox", "SITE_URL": "http://127.0.0.1"}
    assert safety.problems() == []


def test_the_public_supplier_contracts_are_the_sandboxs() -> None:
    assert set(world.GUIDE_SUPPLIER_CONTRACTS) | set(world.EXTRA_SUPPLIER_CONTRACTS) == (
        PUBLIC_SUPPLIER_CONTRACT_IDS
    )


@pytest.mark.django_db  # Django 6.1's model checks ask the database what it supports
def test_check_deploy_names_them(settings: Any) -> None:
    settings.DEBUG = False
    settings.SECU_MARKETPLACE = {**LIVE, "IS_DEMO": True, "SITE_URL": "http://shop.example"}
    with pytest.raises(SystemCheckError) as refused:
        call_command("check", "--deploy")
    for check_id in ("E011", "E013", "E019"):
        assert f"secu_marketplace.{check_id}" in str(refused.value)


def test_a_web_server_refuses_to_start(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.DEBUG = False
    settings.SECU_MARKETPLACE = {**LIVE, "CLIENT_ID": PUBLIC_CLIENT_ID}
    monkeypatch.setattr(sys, "argv", ["/srv/venv/bin/gunicorn", "shop.wsgi"])
    with pytest.raises(ImproperlyConfigured) as refused:
        safety.refuse_unsafe_server()
    assert "E013" in str(refused.value)
    assert "E017" in str(refused.value)
    # manage.py reports the same through the system checks instead; a test run starts.
    for program in (["manage.py", "migrate"], ["/venv/bin/pytest"], ["/venv/pytest/__main__.py"]):
        monkeypatch.setattr(sys, "argv", program)
        safety.refuse_unsafe_server()
    # And a safe deployment starts.
    monkeypatch.setattr(sys, "argv", ["/srv/venv/bin/gunicorn", "shop.wsgi"])
    monkeypatch.setattr(safety, "sandbox_reachable", lambda **_kwargs: [])
    settings.SECU_MARKETPLACE = LIVE
    safety.refuse_unsafe_server()
    # DEBUG left on does not make production safe: the server refuses all the same.
    settings.DEBUG = True
    with pytest.raises(ImproperlyConfigured) as refused:
        safety.refuse_unsafe_server()
    assert "E024" in str(refused.value)
