"""A small client for the sandbox's API and control API: over real HTTP to a live server
(``SandboxApi(url)``), or in the test's own thread through Django's test client
(``SandboxApi()``: fast, same transaction).

It authenticates as the sandbox's default client on the first API call and sends the sandbox's
control token (``SECU_SANDBOX["CONTROL_TOKEN"]``) with every control call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.test import Client

from secu_marketplace.sandbox.conf import CONTROL_HEADER


def credentials() -> dict[str, str]:
    """The token request of the sandbox's default client (the provider guide's)."""
    from secu_marketplace.sandbox import world

    return {
        "grant_type": "client_credentials",
        "client_id": world.GUIDE_CLIENT_ID,
        "client_secret": world.GUIDE_CLIENT_SECRET,
    }


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text)


class SandboxApi:
    """Speaks to a mounted sandbox: ``SandboxApi()`` in-process, ``SandboxApi(url)`` over HTTP;
    ``prefix`` is where the project mounts it."""

    def __init__(self, base_url: str | None = None, prefix: str = "/sandbox") -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.prefix = prefix
        self.session = requests.Session() if base_url else None
        self.client = None if base_url else Client()
        self.token: str | None = None

    def _headers(self, path: str, headers: dict[str, str] | None, auth: bool) -> dict[str, str]:
        headers = dict(headers or {})
        if auth and path.startswith("/api/"):
            headers.setdefault("Authorization", f"Bearer {self.token or self.authenticate()}")
        if path.startswith("/control/"):
            token = (getattr(settings, "SECU_SANDBOX", None) or {}).get("CONTROL_TOKEN")
            if token:
                headers.setdefault(CONTROL_HEADER, str(token))
        return headers

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
        headers = self._headers(path, headers, auth)
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
        assert self.client is not None  # noqa: S101  (one of the two is always set)
        if form and body is not None:
            data = urlencode(body)
        # Django 5.2's test client takes headers as HTTP_* keywords too; headers= reads best.
        answer = self.client.generic(
            method, url, data=data or "", content_type=content_type, headers=headers
        )
        return Answer(answer.status_code, answer.content.decode(), dict(answer.headers))

    def authenticate(self, **overrides: str) -> str:
        answer = self.send("POST", "/oauth/token", {**credentials(), **overrides}, auth=False)
        if answer.status != 200:
            raise AssertionError(f"the sandbox refused a token: {answer.text}")
        self.token = str(answer.json()["access_token"])
        return self.token

    def get(self, path: str, **kw: Any) -> Answer:
        return self.send("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.send("PUT", path, body, **kw)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    # Shortcuts for the common steps of a flow.
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.post("/api/v2/Smart/Transactions", body))

    def prepare(
        self, stx_id: str, method: str, *, outcome: str = "success", body: Any = None
    ) -> Answer:
        """Authorise as the hosted page would, without the page (``X-Sandbox-Outcome``)."""
        return self.post(
            f"/api/v2/Smart/Transactions/{stx_id}/prepare/{method}",
            body,
            headers={"X-Sandbox-Outcome": outcome},
        )

    def stx(self, stx_id: str) -> dict[str, Any]:
        return self._ok(self.get(f"/api/v2/Smart/Transactions/{stx_id}"))

    def pci(self, pci_id: str) -> dict[str, Any]:
        return self._ok(self.get(f"/api/v2/Payment/Transactions/{pci_id}"))

    def control(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """A call to the control API (``<mount>/control/<path>``), its JSON answer."""
        return self._ok(self.send(method, f"/control/{path}", body))

    @staticmethod
    def _ok(answer: Answer) -> Any:
        if answer.status not in (200, 201):
            raise AssertionError(f"the sandbox answered {answer.status}: {answer.text}")
        return answer.json()
