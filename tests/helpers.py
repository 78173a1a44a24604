"""Test helpers shared by the suites: a tiny client for the sandbox's API, over Django's test
client (fast, same thread) or over real HTTP to the live server."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.test import Client

from secu_marketplace.sandbox import world
from secu_marketplace.sandbox.views.control import TOKEN_HEADER

FIXTURES = Path(__file__).parent / "fixtures"
CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": world.GUIDE_CLIENT_ID,
    "client_secret": world.GUIDE_CLIENT_SECRET,
}


def control_headers() -> dict[str, str]:
    """What a request to the sandbox's control API must carry (tests/settings.py sets it)."""
    return {TOKEN_HEADER: str(settings.SANDBOX_CONTROL_TOKEN)}


def control_client() -> Client:
    """Django's test client, allowed into the sandbox's control API."""
    return Client(headers=control_headers())


def guide_body(*, corrected: bool = True) -> dict[str, Any]:
    """The provider guide's Smart Transaction, literally, or with sub-basket sb0's sum fixed.

    The guide sends sb0 as 3940 although 2 x 1995 + 450 = 4440; fixing it makes the total 7785.
    """
    body = json.loads((FIXTURES / "guide_create_smart_transaction.json").read_text())
    if corrected:
        body["basket"]["products"][0]["sum"] = 4440
        body["basket_info"]["sum"] = 7785
    return copy.deepcopy(body)


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text)


class SandboxApi:
    """Speaks to a mounted sandbox: ``SandboxApi()`` in-process, ``SandboxApi(url)`` over HTTP."""

    def __init__(self, base_url: str | None = None, prefix: str = "/sandbox") -> None:
        self.base_url = base_url
        self.prefix = prefix
        self.session = requests.Session() if base_url else None
        self.client = None if base_url else Client()
        self.token: str | None = None

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        form: bool = False,
    ) -> Answer:
        headers = dict(headers or {})
        if auth and path.startswith("/api/"):
            headers.setdefault("Authorization", f"Bearer {self.token or self.authenticate()}")
        if path.startswith("/control/"):
            headers = {**control_headers(), **headers}
        url = self.prefix + path
        data: Any = None
        content_type = "application/json"
        if body is not None:
            if form:
                data, content_type = body, "application/x-www-form-urlencoded"
            else:
                data = body if isinstance(body, str | bytes) else json.dumps(body)
        if self.session is not None:
            kwargs: dict[str, Any] = {"headers": headers, "timeout": 15}
            if body is not None:
                kwargs["data"] = data
                headers["Content-Type"] = content_type
            r = self.session.request(method, f"{self.base_url}{url}", **kwargs)
            return Answer(r.status_code, r.text, dict(r.headers))
        assert self.client is not None
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if form and body is not None:
            from urllib.parse import urlencode

            data = urlencode(body)
        r = self.client.generic(method, url, data=data or "", content_type=content_type, **extra)
        return Answer(r.status_code, r.content.decode(), dict(r.items()))

    def authenticate(self, **overrides: str) -> str:
        answer = self.send("POST", "/oauth/token", {**CREDENTIALS, **overrides}, auth=False)
        assert answer.status == 200, answer.text
        self.token = answer.json()["access_token"]
        return self.token

    def get(self, path: str, **kw: Any) -> Answer:
        return self.send("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.send("PUT", path, body, **kw)

    # Shortcuts for the common steps of a flow.
    def create(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.post("/api/v2/Smart/Transactions", body or guide_body())
        assert answer.status == 200, answer.text
        return answer.json()

    def prepare(
        self, stx_id: str, method: str, *, outcome: str = "success", body: Any = None
    ) -> Answer:
        return self.post(
            f"/api/v2/Smart/Transactions/{stx_id}/prepare/{method}",
            body,
            headers={"X-Sandbox-Outcome": outcome},
        )

    def stx(self, stx_id: str) -> dict[str, Any]:
        answer = self.get(f"/api/v2/Smart/Transactions/{stx_id}")
        assert answer.status == 200, answer.text
        return answer.json()

    def pci(self, pci_id: str) -> dict[str, Any]:
        answer = self.get(f"/api/v2/Payment/Transactions/{pci_id}")
        assert answer.status == 200, answer.text
        return answer.json()
