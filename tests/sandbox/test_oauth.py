"""``POST /oauth/token`` and the bearer check in front of every ``/api/v2`` call."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from django.test import Client, override_settings
from django.utils import timezone

from secu_marketplace.sandbox import control, world
from secu_marketplace.sandbox.models import AccessToken, ApiClient
from tests.helpers import CREDENTIALS, SandboxApi

TOKEN_URL = "/sandbox/oauth/token"
SCOPE = "https://scope.secucard.com/e/api"


def _token_answer(client: Client, **overrides: str) -> dict[str, object]:
    response = client.post(TOKEN_URL, {**CREDENTIALS, **overrides}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_token_with_json_body(sandbox_world: world.World) -> None:
    response = Client().post(TOKEN_URL, CREDENTIALS, content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"access_token", "expires_in", "token_type", "scope"}
    assert re.fullmatch(r"[a-z0-9]{26}", data["access_token"])
    assert data["expires_in"] == 1200
    assert data["token_type"] == "bearer"
    assert data["scope"] == SCOPE
    token = AccessToken.objects.get(token=data["access_token"])
    assert token.client.client_id == world.GUIDE_CLIENT_ID
    lifetime = (token.expires_at - token.created).total_seconds()
    assert lifetime == pytest.approx(1200, abs=1)


def test_token_with_form_body(sandbox_world: world.World) -> None:
    response = Client().post(
        TOKEN_URL, urlencode(CREDENTIALS), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert response.json()["expires_in"] == 1200
    assert AccessToken.objects.filter(token=response.json()["access_token"]).exists()


def test_token_through_the_helper_form_encoded(api: SandboxApi) -> None:
    answer = api.post("/oauth/token", CREDENTIALS, form=True, auth=False)
    assert answer.status == 200
    assert answer.json()["token_type"] == "bearer"


def test_every_token_is_new(sandbox_world: world.World) -> None:
    client = Client()
    first, second = _token_answer(client), _token_answer(client)
    assert first["access_token"] != second["access_token"]


def test_guide_client_is_recreated_on_demand(db: None) -> None:
    # A flushed database still knows the guide's credentials.
    assert not ApiClient.objects.exists()
    assert _token_answer(Client())["expires_in"] == 1200
    assert ApiClient.objects.filter(client_id=world.GUIDE_CLIENT_ID).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_secret": "wrong"},
        {"client_secret": ""},
        {"client_id": ""},
        {"client_id": "00000000000000000000000000000000"},
        {"client_secret": world.GUIDE_CLIENT_SECRET + "0"},
    ],
    ids=["wrong-secret", "empty-secret", "empty-id", "unknown-id", "longer-secret"],
)
@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_bad_credentials_are_http_400_invalid_client(
    sandbox_world: world.World, overrides: dict[str, str], form: bool
) -> None:
    data = {**CREDENTIALS, **overrides}
    if form:
        response = Client().post(
            TOKEN_URL, urlencode(data), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = Client().post(TOKEN_URL, data, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "The client credentials are invalid",
    }
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("grant_type", ["password", "refresh_token", "", None])
def test_unsupported_grant_type(sandbox_world: world.World, grant_type: str | None) -> None:
    data = {k: v for k, v in CREDENTIALS.items() if k != "grant_type"}
    if grant_type is not None:
        data["grant_type"] = grant_type
    response = Client().post(TOKEN_URL, data, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_token_endpoint_is_post_only(sandbox_world: world.World) -> None:
    assert Client().get(TOKEN_URL).status_code == 405


def test_token_lifetime_per_client(sandbox_world: world.World) -> None:
    control.set_token_lifetime(world.GUIDE_CLIENT_ID, 60)
    data = _token_answer(Client())
    assert data["expires_in"] == 60
    token = AccessToken.objects.get(token=data["access_token"])
    assert (token.expires_at - token.created).total_seconds() == pytest.approx(60, abs=1)
    control.set_token_lifetime(world.GUIDE_CLIENT_ID, None)
    assert _token_answer(Client())["expires_in"] == 1200


def test_token_lifetime_setting(sandbox_world: world.World) -> None:
    with override_settings(SECU_SANDBOX={"TOKEN_LIFETIME": 30}):
        assert _token_answer(Client())["expires_in"] == 30
    # The client's own lifetime wins over the setting.
    control.set_token_lifetime(world.GUIDE_CLIENT_ID, 90)
    with override_settings(SECU_SANDBOX={"TOKEN_LIFETIME": 30}):
        assert _token_answer(Client())["expires_in"] == 90


def test_set_token_lifetime_refuses_unknown_clients_and_negative_values(
    sandbox_world: world.World,
) -> None:
    with pytest.raises(LookupError):
        control.set_token_lifetime("nobody", 10)
    with pytest.raises(ValueError, match="0 or more"):
        control.set_token_lifetime(world.GUIDE_CLIENT_ID, -1)


# --- The bearer check ---------------------------------------------------------------------


def _assert_token_required(response: object) -> None:
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert response.reason_phrase == "ProductNotAllowedException"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"status", "error", "error_details", "error_user", "code", "supportId"}
    assert body["status"] == "error"
    assert body["error"] == "ProductNotAllowedException"
    assert body["error_details"] == "Valid auth token required"
    assert body["error_user"] == "Es ist ein unbekannter Fehler aufgetreten (Code 2003)"
    assert body["code"] == 2003
    assert re.fullmatch(r"[0-9a-f]{32}", body["supportId"])


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer unknowntoken00000000000000", "token"],
    ids=["missing", "empty", "scheme-only", "blank-token", "basic", "unknown", "no-scheme"],
)
def test_missing_or_unknown_token_is_403_2003(
    sandbox_world: world.World, header: str | None
) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    _assert_token_required(Client().get("/sandbox/api/v2/Smart/Transactions", **extra))


def test_expired_token_is_403_2003(sandbox_world: world.World) -> None:
    client = Client()
    token = _token_answer(client)["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/sandbox/api/v2/Smart/Transactions", **auth).status_code == 200
    AccessToken.objects.filter(token=token).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_token_required(client.get("/sandbox/api/v2/Smart/Transactions", **auth))


def test_zero_lifetime_gives_a_token_that_is_already_expired(sandbox_world: world.World) -> None:
    control.set_token_lifetime(world.GUIDE_CLIENT_ID, 0)
    client = Client()
    data = _token_answer(client)
    assert data["expires_in"] == 0
    auth = {"HTTP_AUTHORIZATION": f"Bearer {data['access_token']}"}
    _assert_token_required(client.get("/sandbox/api/v2/Smart/Transactions", **auth))


def test_expire_tokens_from_python(api: SandboxApi) -> None:
    api.authenticate()
    assert api.get("/api/v2/Smart/Transactions").status == 200
    assert control.expire_tokens(world.GUIDE_CLIENT_ID) == 1
    answer = api.get("/api/v2/Smart/Transactions")
    assert answer.status == 403
    assert answer.json()["code"] == 2003
    # A new token works again.
    api.authenticate()
    assert api.get("/api/v2/Smart/Transactions").status == 200


def test_expire_tokens_of_one_client_only(api: SandboxApi, other_api: SandboxApi) -> None:
    api.authenticate()
    assert control.expire_tokens(world.GUIDE_CLIENT_ID) == 1
    assert api.get("/api/v2/Smart/Transactions").status == 403
    assert other_api.get("/api/v2/Smart/Transactions").status == 200


ENDPOINTS = [
    ("GET", "/api/v2/Smart/Transactions"),
    ("POST", "/api/v2/Smart/Transactions"),
    ("GET", "/api/v2/Smart/Transactions/STX_X"),
    ("PUT", "/api/v2/Smart/Transactions/STX_X"),
    ("POST", "/api/v2/Smart/Transactions/STX_X/prepare/debit"),
    ("POST", "/api/v2/Smart/Transactions/STX_X/start"),
    ("POST", "/api/v2/Smart/Transactions/STX_X/start/debit"),
    ("POST", "/api/v2/Smart/Transactions/STX_X/cancel"),
    ("POST", "/api/v2/Smart/Transactions/STX_X/abort"),
    ("POST", "/api/v2/Smart/Transactions/STX_X/setDelivery"),
    ("GET", "/api/v2/Payment/Transactions"),
    ("GET", "/api/v2/Payment/Transactions/PCI_X"),
    ("GET", "/api/v2/Payment/Transactions/PCI_X/checkStatus"),
    ("POST", "/api/v2/Payment/Transactions/PCI_X/cancel"),
    ("POST", "/api/v2/Payment/Transactions/PCI_X/capture"),
    ("PUT", "/api/v2/Payment/Transactions/PCI_X/ShippingInformation"),
    ("POST", "/api/v2/Payment/Secupaydebits/PCI_X/TestChangedPaymentStatus"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_api_call_needs_a_token(api: SandboxApi, method: str, path: str) -> None:
    answer = api.send(method, path, {}, auth=False)
    assert answer.status == 403, answer.text
    assert answer.json()["code"] == 2003
    assert answer.json()["error"] == "ProductNotAllowedException"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_with_a_token_unknown_ids_are_product_errors(
    api: SandboxApi, method: str, path: str
) -> None:
    # Past the bearer check: every endpoint answers (no 403, no 500); unknown ids are 404s.
    answer = api.send(method, path, {} if method != "GET" else None)
    if path.endswith(("/Smart/Transactions", "/Payment/Transactions")):
        assert answer.status in (200, 400), answer.text
    else:
        assert answer.status == 404, answer.text
        body = answer.json()
        assert body["status"] == "error"
        assert body["error"] == "ProductNotFoundException"
        # Not 1002, which DOC:Error_Codes documents as "Payment checkin wasn't save in db".
        assert body["code"] == 9404
        assert "_X" in body["error_details"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_the_unknown_id_switch_answers_403_not_allowed(
    api: SandboxApi, method: str, path: str
) -> None:
    control.set_switch("UNKNOWN_ID", "403")
    try:
        answer = api.send(method, path, {} if method != "GET" else None)
    finally:
        control.reset_switches()
    if path.endswith(("/Smart/Transactions", "/Payment/Transactions")):
        assert answer.status in (200, 400), answer.text
    elif "/Payment/Secupay" in path:
        assert answer.status in (403, 404), answer.text  # the resource name is checked after
    else:
        assert answer.status == 403, answer.text
        body = answer.json()
        assert body["error"] == "ProductNotAllowedException"
        assert body["code"] == 9403  # never 2003: that tells the client to fetch a new token


def test_over_http_the_reason_phrase_names_the_exception(live_api: SandboxApi) -> None:
    response = requests.get(f"{live_api.base_url}/sandbox/api/v2/Smart/Transactions", timeout=5)
    assert response.status_code == 403
    assert response.reason == "ProductNotAllowedException"
    assert response.json()["code"] == 2003
    token = requests.post(
        f"{live_api.base_url}/sandbox/oauth/token",
        data=CREDENTIALS,  # form-encoded, as the PHP SDK sends it
        timeout=5,
    )
    assert token.status_code == 200
    assert token.json()["expires_in"] == 1200
    listed = requests.get(
        f"{live_api.base_url}/sandbox/api/v2/Smart/Transactions",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=5,
    )
    assert listed.status_code == 200
    assert listed.json() == {"count": 0, "data": []}


@pytest.mark.parametrize(
    "path", ["/api/v2/Smart/Transactions", "/api/v2/Payment/Payouts", "/api/v2/Payment/Contracts"]
)
@pytest.mark.parametrize("query", ["count=0", "count=-5", "count=x", "offset=y"])
def test_a_list_refuses_a_page_it_cannot_serve(api: SandboxApi, path: str, query: str) -> None:
    api.authenticate()
    answer = api.get(f"{path}?{query}")
    assert answer.status == 400, answer.text
    assert "count" in answer.json()["error_details"]
    assert api.get(f"{path}?count=100&offset=3").status == 200
