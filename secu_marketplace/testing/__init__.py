"""The test kit for shops using secu-marketplace (``pip install django-secu-marketplace[testing]``;
docs/testing.md).

- ``secu_sandbox``: a pytest fixture (this package's plugin, loaded by pytest by itself).
- ``SecuSandboxTestMixin``: the same for a ``LiveServerTestCase``.
- ``Sandbox``: plays the buyer (pay by any method with any outcome, abort) and secuconnect (money
  arrives, pushes, faults, the clock, the call log) against the sandbox on a live server.
- ``factories``: ``SupplierFactory``, ``OrderFactory``, ``SupplierBasketFactory``,
  ``ItemFactory``, ``ShippingFactory``, ``BuyerFactory`` (factory-boy; orders made by the builder).
- ``sandbox_settings(url)`` and ``check_installation()``, for other setups.

Names are imported on first use, so importing this package needs neither Django's settings nor
factory-boy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names for type checkers and editors; at run time, on first use
    from secu_marketplace.testing.config import (
        SandboxNotInstalled,
        check_installation,
        sandbox_settings,
    )
    from secu_marketplace.testing.http import SandboxApi
    from secu_marketplace.testing.mixins import SecuSandboxTestMixin
    from secu_marketplace.testing.sandbox import Page, Sandbox

_EXPORTS = {
    "Sandbox": "sandbox",
    "Page": "sandbox",
    "SandboxApi": "http",
    "SecuSandboxTestMixin": "mixins",
    "SandboxNotInstalled": "config",
    "check_installation": "config",
    "sandbox_settings": "config",
}

__all__ = [
    "Page",
    "Sandbox",
    "SandboxApi",
    "SandboxNotInstalled",
    "SecuSandboxTestMixin",
    "check_installation",
    "sandbox_settings",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
