from __future__ import annotations

from tests.helpers import SandboxApi, guide_body


def test_guide_example_literal_is_refused_naming_sb0_and_both_sums(api: SandboxApi) -> None:
    answer = api.post("/api/v2/Smart/Transactions", guide_body(corrected=False))
    assert answer.status == 400
    error = answer.json()
    assert error["status"] == "error"
    assert "sb0" in error["error_details"]
    assert "3940" in error["error_details"]
    assert "4440" in error["error_details"]


def test_guide_example_corrected_is_accepted(api: SandboxApi) -> None:
    stx = api.create()
    assert stx["status"] == "created"
    assert stx["basket"]["type"] == "mixed"
