"""The test kit says what is missing when the sandbox is not installed or not mounted, and the
``TestCase`` mixin gives Django's own test runner what the fixture gives pytest."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import LiveServerTestCase, override_settings

from secu_marketplace.models import Order
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.testing import SandboxNotInstalled, SecuSandboxTestMixin, check_installation
from secu_marketplace.testing.factories import OrderFactory


def test_an_installed_and_mounted_sandbox_passes() -> None:
    check_installation()


def test_a_missing_app_is_named_with_what_to_add() -> None:
    apps = [app for app in settings.INSTALLED_APPS if app != "secu_marketplace.sandbox"]
    with override_settings(INSTALLED_APPS=apps), pytest.raises(SandboxNotInstalled) as error:
        check_installation()
    message = str(error.value)
    assert "'secu_marketplace.sandbox' is not in INSTALLED_APPS" in message
    assert 'path("sandbox/", include("secu_marketplace.sandbox.urls"))' in message


def test_an_unmounted_sandbox_is_named_with_what_to_add() -> None:
    with (
        override_settings(ROOT_URLCONF="tests.kit.urls_without_sandbox"),
        pytest.raises(SandboxNotInstalled) as error,
    ):
        check_installation()
    assert "'secu_marketplace.sandbox.urls' is not included in your URLs" in str(error.value)


class MixinTests(SecuSandboxTestMixin, LiveServerTestCase):
    def test_a_paid_prepayment(self) -> None:
        order = OrderFactory()
        assert self.sandbox.pay(order, "prepaid").state == "pending_transfer"
        self.sandbox.money_arrives(order)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
        assert self.sandbox.order_page(order).state == "paid"


def test_every_name_the_kit_exports_resolves() -> None:
    import secu_marketplace.testing as kit

    assert sorted(kit.__all__) == sorted(kit._EXPORTS)
    for name in kit.__all__:
        assert getattr(kit, name).__name__ == name
