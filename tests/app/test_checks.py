from __future__ import annotations

import os
from typing import Any

import pytest

from secu_marketplace.checks import check_settings, check_unapproved_policy
from secu_marketplace.conf import app_settings

GOOD = {
    "API_URL": "https://connect-testing.secuconnect.com",
    "CLIENT_ID": "id",
    "CLIENT_SECRET": "secret",
    "CONTRACT_ID": "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2",
    "SITE_URL": "https://shop.example",
}


def ids(settings: Any, value: Any, debug: bool = False) -> set[str]:
    settings.DEBUG = debug
    settings.SECU_MARKETPLACE = value
    return {message.id for message in check_settings()}


def test_a_complete_configuration_passes(settings: Any) -> None:
    assert ids(settings, GOOD) == set()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"CLIENT_SECRET": ""}, "secu_marketplace.E003"),
        ({"CONTRACT_ID": "GCR_short"}, "secu_marketplace.E004"),
        ({"PROVIDER_CONTRACT_ID": "nope"}, "secu_marketplace.E005"),
        ({"CHECKOUT_TEMPLATE": "template"}, "secu_marketplace.E006"),
        ({"INTENT": "buy"}, "secu_marketplace.E007"),
        ({"DELIVERY_TYPE": "drone"}, "secu_marketplace.E008"),
        ({"API_URL": None, "ENVIRONMENT": "moon"}, "secu_marketplace.E009"),
        ({"SITE_URL": "/relative"}, "secu_marketplace.E010"),
        ({"READ_TIMEOUT": 0}, "secu_marketplace.E012"),
        ({"TYPO": 1}, "secu_marketplace.W001"),
        ({"EXPIRE_UNPAID_AFTER_DAYS": {"creditcard": 3}}, "secu_marketplace.E023"),
        ({"EXPIRE_UNPAID_AFTER_DAYS": {"prepaid": "14"}}, "secu_marketplace.E023"),
        ({"EXPIRE_UNPAID_AFTER_DAYS": 14}, "secu_marketplace.E023"),
        ({"EXPIRY_REMINDER_DAYS": -1}, "secu_marketplace.E023"),
    ],
)
def test_each_mistake_is_reported(settings: Any, change: dict[str, Any], expected: str) -> None:
    assert expected in ids(settings, {**GOOD, **change})


@pytest.mark.parametrize(
    "days", [{"prepaid": 7, "invoice": 30}, {"prepaid": None, "invoice": 0}, {}]
)
def test_payment_deadlines_per_method_are_accepted(settings: Any, days: dict[str, Any]) -> None:
    assert "secu_marketplace.E023" not in ids(
        settings, {**GOOD, "EXPIRE_UNPAID_AFTER_DAYS": days, "EXPIRY_REMINDER_DAYS": 0}
    )


@pytest.mark.parametrize(("value", "reported"), [("refuse", False), ("allow", False), ("ok", True)])
def test_the_unapproved_suppliers_policy_is_one_of_two(
    settings: Any, value: str, reported: bool
) -> None:
    settings.SECU_MARKETPLACE = {**GOOD, "UNAPPROVED_SUPPLIERS": value}
    found = {m.id for m in check_unapproved_policy()}
    assert found == ({"secu_marketplace.E022"} if reported else set())
    settings.SECU_MARKETPLACE = GOOD  # the default, "refuse"
    assert check_unapproved_policy() == []


def test_missing_setting(settings: Any) -> None:
    del settings.SECU_MARKETPLACE
    assert {m.id for m in check_settings()} == {"secu_marketplace.E001"}


def test_http_site_url_is_fine_in_debug(settings: Any) -> None:
    assert ids(settings, {**GOOD, "SITE_URL": "http://127.0.0.1:8000"}, debug=True) == set()


def test_settings_are_read_lazily(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**GOOD, "READ_TIMEOUT": 7}
    assert app_settings.timeouts == (3.05, 7.0)
    settings.SECU_MARKETPLACE = {**GOOD, "API_URL": None, "ENVIRONMENT": "production"}
    assert app_settings.api_url == "https://connect.secucard.com"
    with pytest.raises(AttributeError):
        _ = app_settings.NOT_A_SETTING


def _sqlite_connection(options: dict[str, Any]) -> Any:
    """A new SQLite connection to its own in-memory database, with these OPTIONS."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": options,
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    }
    wrapper = DatabaseWrapper(settings_dict, alias="extra")
    wrapper.connect()  # sends connection_created, as for every connection Django makes
    return wrapper


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "immediate", "expected"),
    [
        ({}, True, "IMMEDIATE"),  # Django's default (DEFERRED) fails concurrent payments
        ({"transaction_mode": "EXCLUSIVE"}, True, "EXCLUSIVE"),  # the project's own choice
        ({}, False, None),  # switched off: Django's default
    ],
)
def test_sqlite_connections_begin_immediate_unless_the_project_chose(
    settings: Any, options: dict[str, Any], immediate: bool, expected: str | None
) -> None:
    settings.SECU_MARKETPLACE = {**GOOD, "SQLITE_IMMEDIATE": immediate}
    connection = _sqlite_connection(options)
    try:
        assert connection.transaction_mode == expected
    finally:
        connection.close()


sqlite_only = pytest.mark.skipif(
    "postgres" in os.environ.get("TEST_DATABASE_URL", ""), reason="about a SQLite database"
)


@sqlite_only
def test_switching_it_off_without_a_mode_of_ones_own_is_warned_about(settings: Any) -> None:
    from unittest import mock

    from django.db import connections

    from secu_marketplace.checks import check_sqlite

    options = connections["default"].settings_dict.setdefault("OPTIONS", {})
    with mock.patch.dict(options, clear=True):
        settings.SECU_MARKETPLACE = {**GOOD, "SQLITE_IMMEDIATE": False}
        assert [m.id for m in check_sqlite()] == ["secu_marketplace.W006"]
        settings.SECU_MARKETPLACE = GOOD
        assert check_sqlite() == []


@sqlite_only
def test_sqlite_in_a_deployment_is_a_deploy_warning() -> None:
    from secu_marketplace.checks import check_sqlite_in_production

    assert [m.id for m in check_sqlite_in_production()] == ["secu_marketplace.W007"]
