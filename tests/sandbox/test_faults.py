"""Fault injection (from Python and over the control API) and the call log."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from django.test import Client, override_settings

from secu_marketplace.sandbox import control, faults, world
from secu_marketplace.sandbox.models import ApiCall, Fault, PaymentTransaction, SmartTransaction
from tests.helpers import CREDENTIALS, SandboxApi, control_client, control_headers

from .conftest import plain_body

CREATE = "/api/v2/Smart/Transactions"


def _create_raw(api: SandboxApi) -> Any:
    return api.post(CREATE, plain_body())


# --- Each kind --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "phrase"),
    [
        ("http_500", 500, "Internal Server Error"),
        ("http_502", 502, "Bad Gateway"),
        ("http_503", 503, "Service Unavailable"),
    ],
)
def test_http_errors_with_an_html_body_before_processing(
    api: SandboxApi, kind: str, status: int, phrase: str
) -> None:
    api.authenticate()
    control.inject("smart.create", kind)
    answer = _create_raw(api)
    assert answer.status == status
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.text.startswith("<html>")
    assert f"<title>{status} {phrase}</title>" in answer.text
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    assert not SmartTransaction.objects.exists()
    # One shot: the next call is served.
    assert _create_raw(api).status == 200
    assert SmartTransaction.objects.count() == 1
    assert [(c.status, c.fault) for c in control.calls("smart.create")] == [
        (status, kind),
        (200, ""),
    ]


def test_malformed_json_after_processing(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.create", "malformed_json")
    answer = _create_raw(api)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)
    assert answer.text.startswith('{"object": "smart.transactions"')
    # Processed: the transaction exists, and reading it works.
    stx = SmartTransaction.objects.get()
    assert api.stx(stx.stx_id)["id"] == stx.stx_id


def test_malformed_json_of_an_error_answer_is_still_a_200(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.get", "malformed_json")
    answer = api.get(f"{CREATE}/STX_NOPE")
    assert answer.status == 200
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_token_expired_fault_before_processing(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.create", "token_expired")
    answer = _create_raw(api)
    assert answer.status == 403
    body = answer.json()
    assert body["error"] == "ProductNotAllowedException"
    assert body["code"] == 2003
    assert body["error_details"] == "Valid auth token required"
    assert not SmartTransaction.objects.exists()
    # The token itself is fine: the next call with it is served.
    assert _create_raw(api).status == 200


def test_token_expired_fault_reason_phrase(sandbox_world: world.World) -> None:
    control.inject("smart.list", "token_expired")
    response = Client().get("/sandbox/api/v2/Smart/Transactions")
    assert response.status_code == 403
    assert response.reason_phrase == "ProductNotAllowedException"


def test_latency_over_http(live_api: SandboxApi) -> None:
    live_api.authenticate()
    stx = live_api.create(plain_body())
    control.inject("smart.get", "latency", latency_ms=300)
    started = time.monotonic()
    assert live_api.stx(stx["id"])["id"] == stx["id"]  # the answer itself is normal
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    live_api.stx(stx["id"])
    assert time.monotonic() - started < 0.3
    slow, fast = control.calls("smart.get")
    assert (slow.fault, slow.status) == ("latency", 200)
    assert slow.duration_ms >= 300
    assert fast.fault == ""


def test_drop_response_over_http(live_api: SandboxApi) -> None:
    token = live_api.authenticate()
    control.reset_calls()
    control.inject("smart.create", "drop_response")
    started = time.monotonic()
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        requests.post(
            f"{live_api.base_url}/sandbox/api/v2/Smart/Transactions",
            json=plain_body(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
    took = time.monotonic() - started
    assert took < 2, f"the client hung for {took:.1f} s instead of seeing the connection drop"
    # Processed and committed before the connection died: exactly one transaction exists.
    assert SmartTransaction.objects.count() == 1
    assert control.count("smart.create") == 1
    [call] = control.calls("smart.create")
    assert call.fault == "drop_response"
    listed = live_api.get(CREATE).json()
    assert listed["count"] == 1


def test_drop_response_after_authorisation_over_http(live_api: SandboxApi) -> None:
    live_api.authenticate()
    stx = live_api.create(plain_body())
    control.inject("smart.prepare", "drop_response")
    started = time.monotonic()
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        live_api.prepare(stx["id"], "debit")
    assert time.monotonic() - started < 2
    # The payment went through; the client only lost the answer. Retrying is refused.
    assert live_api.stx(stx["id"])["status"] == "ok"
    assert PaymentTransaction.objects.count() == 1
    assert live_api.prepare(stx["id"], "debit").status == 409
    # The server keeps serving other requests normally.
    assert live_api.get(CREATE).status == 200


def test_drop_response_through_the_test_client(api: SandboxApi) -> None:
    # No socket to shut down: the fallback raises while the body is read.
    token = api.authenticate()
    control.inject("smart.create", "drop_response")
    response = Client().post(
        f"/sandbox{CREATE}",
        plain_body(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.streaming
    with pytest.raises(faults.ConnectionDropped):
        b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert SmartTransaction.objects.count() == 1


# --- Arming: N calls, one operation or all, in order --------------------------------------------


def test_armed_for_the_next_n_calls(api: SandboxApi) -> None:
    api.authenticate()
    stx = api.create(plain_body())
    control.inject("smart.get", "http_503", times=2)
    statuses = [api.get(f"{CREATE}/{stx['id']}").status for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert not Fault.objects.exists()  # used up faults are removed


def test_armed_for_one_operation_only(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.prepare", "http_500")
    stx = api.create(plain_body())
    assert api.get(f"{CREATE}/{stx['id']}").status == 200
    assert api.prepare(stx["id"], "debit").status == 500
    assert api.prepare(stx["id"], "debit").status == 200


def test_armed_for_every_operation(api: SandboxApi) -> None:
    api.authenticate()
    stx = api.create(plain_body())
    control.inject("*", "http_502", times=3)
    assert api.get(CREATE).status == 502
    assert api.get(f"{CREATE}/{stx['id']}").status == 502
    assert api.post("/oauth/token", {}, auth=False).status == 502
    assert api.get(CREATE).status == 200


def test_faults_fire_in_the_order_armed(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.list", "http_500")
    control.inject("*", "http_503")
    control.inject("smart.list", "token_expired")
    assert [api.get(CREATE).status for _ in range(4)] == [500, 503, 403, 200]


def test_fault_on_the_token_endpoint(api: SandboxApi) -> None:
    control.inject("oauth.token", "http_503")
    assert api.post("/oauth/token", {}, auth=False).status == 503
    assert api.authenticate()


def test_a_fault_armed_until_cleared_fires_on_every_call(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.list", "http_503", times=None)
    assert [api.get(CREATE).status for _ in range(5)] == [503] * 5
    # Nothing is counted down: the row stays as armed.
    assert list(Fault.objects.values_list("remaining", flat=True)) == [None]
    assert api.post(CREATE, plain_body()).status == 200  # other operations are served
    control.clear_faults()
    assert api.get(CREATE).status == 200


def test_a_counted_fault_armed_first_fires_before_one_until_cleared(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("smart.list", "http_500", times=2)
    control.inject("*", "http_502", times=None)
    assert [api.get(CREATE).status for _ in range(4)] == [500, 500, 502, 502]


def test_a_fault_until_cleared_over_the_control_api(live_api: SandboxApi) -> None:
    live_api.authenticate()
    faults_url = f"{live_api.base_url}{live_api.prefix}/control/faults"
    armed = requests.post(
        faults_url,
        json={"operation": "smart.list", "kind": "http_502", "times": None},
        headers=control_headers(),
        timeout=10,
    )
    assert armed.status_code == 201
    listed = requests.get(faults_url, headers=control_headers(), timeout=10).json()["faults"]
    assert [(f["kind"], f["remaining"]) for f in listed] == [("http_502", None)]
    assert [live_api.get(CREATE).status for _ in range(3)] == [502] * 3
    assert requests.delete(faults_url, headers=control_headers(), timeout=10).ok
    assert live_api.get(CREATE).status == 200


def test_clear_faults(api: SandboxApi) -> None:
    api.authenticate()
    control.inject("*", "http_500", times=5)
    control.clear_faults()
    assert api.get(CREATE).status == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "http_500", "times": 0}, "at least 1"),
        ({"kind": "latency"}, "latency_ms"),
    ],
)
def test_inject_validates(sandbox_world: world.World, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        control.inject("smart.get", **kwargs)
    assert not Fault.objects.exists()


# --- The call log -------------------------------------------------------------------------------


def test_call_log_records_every_api_call(api: SandboxApi) -> None:
    control.reset_calls()
    api.authenticate()
    stx = api.create(plain_body())
    api.prepare(stx["id"], "debit")
    api.get(f"{CREATE}/STX_NOPE")
    api.get(CREATE, auth=False)
    rows = control.call_rows()
    assert [(r["operation"], r["method"], r["status"]) for r in rows] == [
        ("oauth.token", "POST", 200),
        ("smart.create", "POST", 200),
        ("smart.prepare", "POST", 200),
        ("smart.get", "GET", 404),
        ("smart.list", "GET", 403),
    ]
    assert rows[2]["path"] == f"/sandbox/api/v2/Smart/Transactions/{stx['id']}/prepare/debit"
    assert rows[1]["client_id"] == world.GUIDE_CLIENT_ID
    assert rows[4]["client_id"] == ""
    assert all(r["duration_ms"] >= 0 for r in rows)
    assert control.count("smart.create") == 1
    assert control.count("smart.get", status=404) == 1
    assert control.count("smart.get", status=200) == 0
    since = control.call_rows(since_id=rows[2]["id"])
    assert [r["operation"] for r in since] == ["smart.get", "smart.list"]
    control.reset_calls()
    assert control.count("smart.create") == 0
    assert not ApiCall.objects.exists()


def test_pages_and_control_calls_are_not_api_calls(api: SandboxApi) -> None:
    control.reset_calls()
    stx = api.create(plain_body())
    control_client().get(f"/sandbox/checkout/{stx['id']}/")
    control_client().get("/sandbox/control/calls")
    assert [r["operation"] for r in control.call_rows()] == ["oauth.token", "smart.create"]


# --- The control API over HTTP --------------------------------------------------------------------


def test_control_faults_api(live_api: SandboxApi) -> None:
    base = f"{live_api.base_url}/sandbox/control"
    armed = requests.post(
        f"{base}/faults",
        json={"operation": "smart.list", "kind": "http_503", "times": 2},
        headers=control_headers(),
        timeout=5,
    )
    assert armed.status_code == 201
    fault_id = armed.json()["id"]
    listed = requests.get(f"{base}/faults", headers=control_headers(), timeout=5).json()
    assert listed["faults"] == [
        {
            "id": fault_id,
            "operation": "smart.list",
            "kind": "http_503",
            "remaining": 2,
            "latency_ms": 0,
        }
    ]
    assert set(listed["kinds"]) == {
        "latency",
        "http_500",
        "http_502",
        "http_503",
        "http_404",
        "malformed_json",
        "token_expired",
        "drop_response",
    }
    live_api.authenticate()
    assert live_api.get(CREATE).status == 503
    assert (
        requests.get(f"{base}/faults", headers=control_headers(), timeout=5).json()["faults"][0][
            "remaining"
        ]
        == 1
    )
    assert requests.delete(f"{base}/faults", headers=control_headers(), timeout=5).json() == {
        "deleted": True
    }
    assert live_api.get(CREATE).status == 200


def test_control_latency_and_drop_over_http(live_api: SandboxApi) -> None:
    base = f"{live_api.base_url}/sandbox/control"
    requests.post(
        f"{base}/faults",
        json={"operation": "smart.create", "kind": "latency", "latency_ms": 200},
        headers=control_headers(),
        timeout=5,
    )
    requests.post(
        f"{base}/faults",
        json={"operation": "smart.create", "kind": "drop_response"},
        headers=control_headers(),
        timeout=5,
    )
    live_api.authenticate()
    started = time.monotonic()
    assert live_api.post(CREATE, plain_body()).status == 200
    assert time.monotonic() - started >= 0.2
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        live_api.post(CREATE, plain_body())
    assert SmartTransaction.objects.count() == 2
    calls = requests.get(
        f"{base}/calls?operation=smart.create", headers=control_headers(), timeout=5
    ).json()
    assert calls["count"] == 2
    assert [c["fault"] for c in calls["calls"]] == ["latency", "drop_response"]


@pytest.mark.parametrize(
    "body",
    [
        {"operation": "smart.get", "kind": "explode"},
        {"kind": "http_500"},
        {"operation": "smart.get", "kind": "http_500", "times": 0},
        {"operation": "smart.get", "kind": "latency"},
        {"operation": "smart.get", "kind": "http_500", "times": "many"},
        [1, 2],
    ],
)
def test_control_faults_api_validates(sandbox_world: world.World, body: Any) -> None:
    response = control_client().post(
        "/sandbox/control/faults", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Fault.objects.exists()


def test_control_calls_api(api: SandboxApi) -> None:
    control.reset_calls()
    api.create(plain_body())
    client = control_client()
    everything = client.get("/sandbox/control/calls").json()
    assert everything["count"] == 2
    assert [c["operation"] for c in everything["calls"]] == ["oauth.token", "smart.create"]
    create = everything["calls"][1]
    assert set(create) == {
        "id",
        "operation",
        "method",
        "path",
        "status",
        "duration_ms",
        "client_id",
        "fault",
        "created",
    }
    assert client.get("/sandbox/control/calls?operation=smart.create").json()["count"] == 1
    since = client.get(f"/sandbox/control/calls?since_id={everything['calls'][0]['id']}").json()
    assert [c["operation"] for c in since["calls"]] == ["smart.create"]
    assert client.delete("/sandbox/control/calls").json() == {"deleted": True}
    assert client.get("/sandbox/control/calls").json() == {"count": 0, "calls": []}


def test_control_expire_tokens_api(api: SandboxApi, other_api: SandboxApi) -> None:
    api.authenticate()
    client = control_client()
    assert client.get("/sandbox/control/tokens/expire").status_code == 405
    expired = client.post(
        "/sandbox/control/tokens/expire",
        {"client_id": world.GUIDE_CLIENT_ID},
        content_type="application/json",
    )
    assert expired.json() == {"expired": 1}
    assert api.get(CREATE).status == 403
    assert other_api.get(CREATE).status == 200
    api.authenticate()
    everyone = client.post("/sandbox/control/tokens/expire", {}, content_type="application/json")
    assert everyone.json() == {"expired": 2}
    assert api.get(CREATE).json()["code"] == 2003
    assert other_api.get(CREATE).json()["code"] == 2003


def test_control_client_token_lifetime_api(api: SandboxApi) -> None:
    client = control_client()
    url = f"/sandbox/control/clients/{world.GUIDE_CLIENT_ID}"
    assert client.get(url).status_code == 405
    answer = client.post(url, {"token_lifetime": 0}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json() == {"client_id": world.GUIDE_CLIENT_ID, "token_lifetime": 0}
    token = api.post("/oauth/token", _credentials(), auth=False).json()
    assert token["expires_in"] == 0
    api.token = token["access_token"]
    assert api.get(CREATE).status == 403
    client.post(url, {"token_lifetime": None}, content_type="application/json")
    assert api.post("/oauth/token", _credentials(), auth=False).json()["expires_in"] == 1200
    unknown = client.post(
        "/sandbox/control/clients/nobody", {"token_lifetime": 5}, content_type="application/json"
    )
    assert unknown.status_code == 404
    negative = client.post(url, {"token_lifetime": -5}, content_type="application/json")
    assert negative.status_code == 400


def _credentials() -> dict[str, str]:
    return dict(CREDENTIALS)


@override_settings(SECU_SANDBOX={"PUSH_MODE": "manual", "CONTROL_API": False})
def test_control_api_can_be_switched_off(sandbox_world: world.World) -> None:
    client = Client()
    for path in ("faults", "calls", "pushes", "tokens/expire", f"clients/{world.GUIDE_CLIENT_ID}"):
        assert client.post(f"/sandbox/control/{path}", {}).status_code == 404, path
        assert client.get(f"/sandbox/control/{path}").status_code == 404, path
    assert not Fault.objects.exists()


# --- The control API protects itself ------------------------------------------------------------

CONTROL_PATHS = ("faults", "calls", "pushes", "clock", "switches", "tokens/expire")


def test_without_the_token_the_control_api_refuses_every_call(sandbox_world: world.World) -> None:
    for path in CONTROL_PATHS:
        for headers in ({}, {"X-Sandbox-Control-Token": "wrong"}):
            client = Client(headers=headers)
            assert client.get(f"/sandbox/control/{path}").status_code == 403, path
            answer = client.post(
                f"/sandbox/control/{path}",
                {"operation": "smart.get", "kind": "http_500"},
                content_type="application/json",
            )
            assert answer.status_code == 403, path
    assert not Fault.objects.exists()
    assert control_client().get("/sandbox/control/faults").status_code == 200


def test_with_a_token_set_it_is_required_even_in_debug(
    sandbox_world: world.World, settings: Any
) -> None:
    settings.DEBUG = True
    assert Client().get("/sandbox/control/calls").status_code == 403
    assert control_client().get("/sandbox/control/calls").status_code == 200


@pytest.mark.parametrize(("debug", "status"), [(True, 200), (False, 404)])
def test_without_a_token_only_debug_opens_it(
    sandbox_world: world.World, settings: Any, debug: bool, status: int
) -> None:
    settings.DEBUG = debug
    settings.SECU_SANDBOX = {**settings.SECU_SANDBOX, "CONTROL_TOKEN": None}
    for path in CONTROL_PATHS:
        if path != "tokens/expire":  # POST only
            assert Client().get(f"/sandbox/control/{path}").status_code == status, path


def test_the_push_list_masks_the_shops_signed_urls(api: SandboxApi) -> None:
    url = "https://shop.example/payments/push/" + "k" * 32 + ":" + "s" * 43 + "/"
    api.prepare(api.create(plain_body(url_push=url))["id"], "debit")
    [listed] = control_client().get("/sandbox/control/pushes").json()["pushes"]
    assert "k" * 32 not in listed["url"]
    assert "s" * 43 not in listed["url"]
    assert listed["url"].startswith("https://shop.example/payments/push/")
