"""The test kit's pytest plugin, registered as the ``pytest11`` entry point
``secu_marketplace``: installed with ``pip install django-secu-marketplace[testing]``, pytest
loads it by itself.

It adds one fixture, ``secu_sandbox``: the bundled sandbox served by the project on
pytest-django's ``live_server``, the app pointed at it (``SECU_MARKETPLACE`` API and site URLs,
the sandbox's credentials, a token cache of the test's own), pushes held until the test delivers
them, and a ``Sandbox`` that plays the buyer and secuconnect (``secu_marketplace.testing``).

This module is imported by every pytest run where the package is installed, before Django is set
up: it imports nothing but pytest at the top, and its fixture is used only when a test asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from secu_marketplace.testing.sandbox import Sandbox


@pytest.fixture
def secu_sandbox(settings: Any, live_server: Any, transactional_db: None) -> Iterator[Sandbox]:
    """The sandbox on the live server, the app pointed at it; a ``Sandbox`` to pay, abort,
    let money arrive, deliver pushes and arm faults (docs/testing.md)."""
    from secu_marketplace.testing.config import (
        SandboxNotInstalled,
        check_installation,
        sandbox_mount,
        sandbox_settings,
    )

    try:
        check_installation()
    except SandboxNotInstalled as error:
        pytest.fail(str(error), pytrace=False)
    from secu_marketplace.sandbox import world
    from secu_marketplace.testing.sandbox import Sandbox

    for name, value in sandbox_settings(live_server.url).items():
        setattr(settings, name, value)
    world.ensure_defaults()
    sandbox = Sandbox(live_server.url, mount=sandbox_mount())
    yield sandbox
    sandbox.close()
