"""``SecuconnectClient``: the only code that speaks HTTP to secuconnect.

- One ``requests.Session`` per process (created lazily, so after a fork), with a sized pool of
  keep-alive connections; redirects are never followed.
- ``(connect, read)`` timeouts on every call.
- The token comes from ``tokens.TokenCache``. A 401, or a 403 with code 2003 (how secuconnect
  reports an expired token), drops it and retries once with a new one, unless the rejected token
  was fetched during this very call (then the credentials are wrong, and retrying cannot help).
- Idempotent GETs are retried on transport errors, 5xx and garbled bodies, with capped
  exponential backoff. Writes are never retried blindly: a lost answer raises ``OutcomeUnknown``.
- Failures are the typed exceptions of ``exceptions.py``. Logs carry method, path, status and
  duration, redacted by ``redaction``.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from secu_marketplace import exceptions as exc
from secu_marketplace.conf import app_settings
from secu_marketplace.provider.client_books import BookCalls
from secu_marketplace.provider.client_contracts import ContractCalls
from secu_marketplace.provider.tokens import TokenCache
from secu_marketplace.redaction import redact

logger = logging.getLogger(__name__)

_local = threading.Lock()
_sessions: dict[int, requests.Session] = {}


def session() -> requests.Session:
    """This process's session (a forked worker gets its own, never the parent's sockets)."""
    pid = os.getpid()
    found = _sessions.get(pid)
    if found is not None:
        return found
    with _local:
        if pid not in _sessions:
            s = requests.Session()
            size = int(app_settings.POOL_SIZE)
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=size, max_retries=0)
            s.mount("https://", adapter)
            s.mount("http://", adapter)
            s.headers.update({"Accept": "application/json", "User-Agent": "secu-marketplace"})
            _sessions.clear()
            _sessions[pid] = s
        return _sessions[pid]


def _never_sent(error: requests.ConnectionError) -> bool:
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectionRefusedError)


def _error_for(status: int) -> type[exc.ApiError]:
    return {400: exc.BadRequest, 403: exc.NotAllowed, 404: exc.NotFound, 409: exc.Conflict}.get(
        status, exc.ApiError
    )


class SecuconnectClient(ContractCalls, BookCalls):
    """Construct freely (it is cheap); every argument defaults to ``SECU_MARKETPLACE``."""

    def __init__(
        self,
        *,
        api_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeouts: tuple[float, float] | None = None,
    ) -> None:
        self.api_url = (api_url or app_settings.api_url).rstrip("/")
        self.client_id = client_id if client_id is not None else app_settings.CLIENT_ID
        self._secret = client_secret if client_secret is not None else app_settings.CLIENT_SECRET
        self.timeouts = timeouts or app_settings.timeouts
        self.tokens = TokenCache(
            api_url=self.api_url,
            client_id=self.client_id,
            cache_alias=app_settings.CACHE_ALIAS,
            margin=int(app_settings.TOKEN_SAFETY_MARGIN),
            lock_seconds=sum(self.timeouts) + 1,
        )

    def __repr__(self) -> str:  # never the secret
        return f"<SecuconnectClient {self.api_url} client_id={self.client_id}>"

    # --- authentication ---------------------------------------------------------------------

    def _fetch_token(self) -> tuple[str, int]:
        url = f"{self.api_url}/oauth/token"
        body = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        started = time.perf_counter()
        try:
            response = session().post(url, json=body, timeout=self.timeouts, allow_redirects=False)
        except requests.RequestException as error:
            raise exc.ProviderUnavailable(
                f"token request failed: {type(error).__name__}", method="POST", path="/oauth/token"
            ) from error
        self._log("POST", "/oauth/token", response.status_code, started)
        data = self._json(response, "POST", "/oauth/token", write=False)
        if response.status_code >= 500:
            raise exc.ProviderUnavailable(
                f"token request answered HTTP {response.status_code}",
                http_status=response.status_code,
                method="POST",
                path="/oauth/token",
            )
        if (
            response.status_code != 200
            or not isinstance(data, dict)
            or not data.get("access_token")
        ):
            raise exc.AuthenticationError(
                "secuconnect refused the client credentials",
                http_status=response.status_code,
                method="POST",
                path="/oauth/token",
                body=data if isinstance(data, dict) else None,
            )
        return str(data["access_token"]), int(data.get("expires_in") or 1200)

    def token(self) -> str:
        return self.tokens.get(self._fetch_token)[0].value

    # --- the one request function -----------------------------------------------------------

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Call ``/api/v2<path>``; returns the decoded JSON or raises a ``SecuconnectError``."""
        idempotent = method == "GET"
        retries = int(app_settings.GET_RETRIES) if idempotent else 0
        attempt = 0
        reauthenticated = False
        while True:
            token, fresh = self.tokens.get(self._fetch_token)
            try:
                response = self._send(method, path, token.value, json, params)
            except exc.ProviderUnavailable:
                if attempt < retries:
                    attempt += 1
                    self._sleep(attempt)
                    continue
                raise
            if self._auth_rejected(response):
                self.tokens.discard(token.value)
                if fresh or reauthenticated:
                    raise exc.AuthenticationError(
                        "secuconnect refused a freshly issued token",
                        http_status=response.status_code,
                        method=method,
                        path=path,
                        body=self._maybe_json(response),
                    )
                # The token expired or was revoked: the request was not executed, so repeating
                # it once with a new token is safe, writes included.
                reauthenticated = True
                continue
            garbled = 200 <= response.status_code < 300 and not self._is_json(response)
            if (response.status_code >= 500 or garbled) and attempt < retries:
                attempt += 1
                self._sleep(attempt)
                continue
            return self._result(response, method, path)

    def _send(
        self, method: str, path: str, token: str, json: Any, params: dict[str, Any] | None
    ) -> requests.Response:
        started = time.perf_counter()
        try:
            response = session().request(
                method,
                f"{self.api_url}/api/v2{path}",
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.timeouts,
                allow_redirects=False,
            )
        except requests.ConnectTimeout as error:
            self._log(method, path, None, started, error)
            raise exc.ProviderUnavailable(
                f"could not connect to secuconnect: {type(error).__name__}",
                method=method,
                path=path,
            ) from error
        except requests.ConnectionError as error:
            self._log(method, path, None, started, error)
            # A connection that was never made carried nothing; one dropped later may have
            # carried the whole request, so for a write the outcome is unknown.
            cls = (
                exc.OutcomeUnknown
                if method != "GET" and not _never_sent(error)
                else exc.ProviderUnavailable
            )
            raise cls(
                f"connection to secuconnect failed: {type(error).__name__}",
                method=method,
                path=path,
            ) from error
        except requests.RequestException as error:  # read timeout, chunked encoding errors, ...
            self._log(method, path, None, started, error)
            cls = exc.OutcomeUnknown if method != "GET" else exc.ProviderUnavailable
            raise cls(
                f"secuconnect did not answer: {type(error).__name__}", method=method, path=path
            ) from error
        self._log(method, path, response.status_code, started)
        return response

    # --- answers ----------------------------------------------------------------------------

    @staticmethod
    def _is_json(response: requests.Response) -> bool:
        try:
            response.json()
        except ValueError:
            return False
        return True

    @staticmethod
    def _maybe_json(response: requests.Response) -> dict[str, Any] | None:
        try:
            data = response.json()
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _auth_rejected(self, response: requests.Response) -> bool:
        if response.status_code == 401:
            return True
        if response.status_code == 403:
            body = self._maybe_json(response) or {}
            return str(body.get("code")) == "2003"
        return False

    def _json(self, response: requests.Response, method: str, path: str, *, write: bool) -> Any:
        try:
            return response.json()
        except ValueError:
            if response.status_code < 300:
                cls = exc.OutcomeUnknown if write else exc.MalformedResponse
                raise cls(
                    f"secuconnect answered HTTP {response.status_code} with a non-JSON body "
                    f"({response.headers.get('Content-Type', 'no content type')})",
                    http_status=response.status_code,
                    method=method,
                    path=path,
                ) from None
            return None

    def _result(self, response: requests.Response, method: str, path: str) -> Any:
        status = response.status_code
        data = self._json(response, method, path, write=method != "GET")
        if 200 <= status < 300:
            return data
        body = data if isinstance(data, dict) else None
        if status >= 500:
            kind = (
                ""
                if body
                else f" with a non-JSON body ({response.headers.get('Content-Type', '?')})"
            )
            cls = (
                exc.OutcomeUnknown if method != "GET" and status != 503 else exc.ProviderUnavailable
            )
            raise cls(
                f"secuconnect answered HTTP {status}{kind}",
                http_status=status,
                method=method,
                path=path,
                body=body,
            )
        if body is None:
            raise _error_for(status)(
                f"secuconnect answered HTTP {status} with a body that is not JSON",
                http_status=status,
                method=method,
                path=path,
            )
        detail = body.get("error_details") or body.get("error") or f"HTTP {status}"
        raise _error_for(status)(
            str(detail), http_status=status, method=method, path=path, body=body
        )

    # --- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _sleep(attempt: int) -> None:
        base = float(app_settings.RETRY_BACKOFF)
        time.sleep(min(base * 2 ** (attempt - 1), 5.0) * (0.5 + random.random() / 2))  # noqa: S311  (jitter)

    @staticmethod
    def _log(
        method: str, path: str, status: int | None, started: float, error: Exception | None = None
    ) -> None:
        ms = (time.perf_counter() - started) * 1000
        if error is not None:
            logger.warning(
                "secuconnect %s %s failed after %.0f ms: %s", method, path, ms, type(error).__name__
            )
        else:
            logger.info("secuconnect %s %s -> %s in %.0f ms", method, path, status, ms)

    # --- Smart Transactions -----------------------------------------------------------------

    def create_smart_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        logger.debug("creating Smart Transaction: %s", redact(payload))
        return dict(self.request("POST", "/Smart/Transactions", json=payload))

    def get_smart_transaction(self, stx_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/Smart/Transactions/{stx_id}"))

    def search_smart_transactions(self, query: str, *, count: int = 50) -> list[dict[str, Any]]:
        data = self.request("GET", "/Smart/Transactions", params={"q": query, "count": count})
        return list((data or {}).get("data") or [])

    def update_smart_transaction(self, stx_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", f"/Smart/Transactions/{stx_id}", json=payload))

    def start_smart_transaction(self, stx_id: str, method: str | None = None) -> dict[str, Any]:
        path = f"/Smart/Transactions/{stx_id}/start" + (f"/{method}" if method else "")
        return dict(self.request("POST", path, json={}))

    def cancel_smart_transaction(self, stx_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/Smart/Transactions/{stx_id}/cancel", json={}))

    def abort_smart_transaction(self, stx_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/Smart/Transactions/{stx_id}/abort", json={}))

    def set_delivery(self, stx_id: str, delivery_options: dict[str, Any]) -> dict[str, Any]:
        body = {"delivery_options": delivery_options}
        return dict(self.request("POST", f"/Smart/Transactions/{stx_id}/setDelivery", json=body))

    # --- Payment Contracts: client_contracts.ContractCalls ---------------------------------

    # --- Payment Transactions ---------------------------------------------------------------

    def get_payment_transaction(self, pci_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/Payment/Transactions/{pci_id}"))

    def check_status(self, pci_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/Payment/Transactions/{pci_id}/checkStatus"))

    def cancel_payment_transaction(
        self,
        pci_id: str,
        *,
        reduce_amount_by: int | None = None,
        reason: str = "",
        reduce_stakeholder_payment: bool = False,
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"reduce_stakeholder_payment": reduce_stakeholder_payment}
        if reduce_amount_by is not None:
            body["reduce_amount_by"] = int(reduce_amount_by)
        if reason:
            body["reason"] = reason
        data = self.request("POST", f"/Payment/Transactions/{pci_id}/cancel", json=body)
        # Documented as an array; tolerate a single object too.
        return [dict(item) for item in (data if isinstance(data, list) else [data])]

    def capture_payment_transaction(
        self, pci_id: str, *, shipping_information: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body = {"shipping_information": shipping_information} if shipping_information else {}
        data = self.request("POST", f"/Payment/Transactions/{pci_id}/capture", json=body)
        # The SDK typed this as an array before 2.43.0; the answer is one object now.
        return dict(data[0] if isinstance(data, list) and data else data)

    def update_shipping_information(self, pci_id: str, info: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self.request("PUT", f"/Payment/Transactions/{pci_id}/ShippingInformation", json=info)
        )

    def test_change_status(self, pci_id: str, method: str, new_status_id: int) -> dict[str, Any]:
        """The testing hosts' helper (and the sandbox's) to force a payment's simple status."""
        resource = {
            "debit": "Secupaydebits",
            "prepaid": "Secupayprepays",
            "invoice": "Secupayinvoices",
            "creditcard": "Secupaycreditcards",
            "sofort": "Secupaysofort",
        }[method]
        path = f"/Payment/{resource}/{pci_id}/TestChangedPaymentStatus"
        return dict(self.request("POST", path, json={"new_status_id": int(new_status_id)}))
