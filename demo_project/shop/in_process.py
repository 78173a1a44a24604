"""A ``requests`` transport that hands requests to this Django project in-process, so the
``seed_demo`` command can onboard a supplier through the bundled sandbox's real API before the
demo server is running (the app's ``SecuconnectClient`` is used unchanged)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

# Requests to this origin never leave the process.
ORIGIN = "http://seed-demo.invalid"


class InProcessAdapter(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.client = Client()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in request.headers.items()
            if k.lower() != "content-type"
        }
        answer = self.client.generic(
            str(request.method),
            path,
            data=request.body or b"",
            content_type=request.headers.get("Content-Type", "application/json"),
            SERVER_NAME="127.0.0.1",
            **headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass
