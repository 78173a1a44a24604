"""The test kit for Django's own test runner: ``SecuSandboxTestMixin`` gives a
``LiveServerTestCase`` (or ``StaticLiveServerTestCase``) what the pytest fixture gives a test::

    from django.test import LiveServerTestCase
    from secu_marketplace.testing import SecuSandboxTestMixin


    class PaymentTests(SecuSandboxTestMixin, LiveServerTestCase):
        def test_a_paid_order(self):
            order = ...  # build_order(...) or OrderFactory()
            self.assertEqual(self.sandbox.pay(order).state, "paid")
"""

from __future__ import annotations

from django.test import override_settings

from secu_marketplace.testing.config import check_installation, sandbox_mount, sandbox_settings
from secu_marketplace.testing.sandbox import Sandbox


class SecuSandboxTestMixin:
    """Before each test: the app pointed at the sandbox on the live server (its own token cache,
    pushes held until delivered) and ``self.sandbox``, a ``Sandbox``. Put it before the test
    case class; it needs ``live_server_url``, so a ``LiveServerTestCase``."""

    sandbox: Sandbox
    live_server_url: str

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        check_installation()
        from secu_marketplace.sandbox import world

        overridden = override_settings(**sandbox_settings(self.live_server_url))
        overridden.enable()
        self.addCleanup(overridden.disable)  # type: ignore[attr-defined]
        world.ensure_defaults()
        self.sandbox = Sandbox(self.live_server_url, mount=sandbox_mount())
        self.addCleanup(self.sandbox.close)  # type: ignore[attr-defined]
