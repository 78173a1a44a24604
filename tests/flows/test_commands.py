from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from .conftest import Flow


def test_secu_check_against_the_sandbox(flow: Flow) -> None:
    out = StringIO()
    call_command("secu_check", stdout=out)
    assert "Token:     issued" in out.getvalue()
    assert "reachable and the token is accepted" in out.getvalue()


def test_secu_check_with_wrong_credentials(flow: Flow, settings: Any) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "CLIENT_SECRET": "nope"}
    with pytest.raises(CommandError, match="refused"):
        call_command("secu_check", stdout=StringIO())
