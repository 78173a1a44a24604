"""The contract calls of ``SecuconnectClient`` (docs/provider.md, "Payment contracts"), kept
apart so ``client.py`` stays the transport. Every one goes through ``SecuconnectClient.request``:
the same token handling, timeouts, retries, typed errors and redacted logs as every other call.
"""

from __future__ import annotations

import logging
from typing import Any

from secu_marketplace.redaction import redact

logger = logging.getLogger("secu_marketplace.provider.client")


class ContractCalls:
    """Mixed into ``SecuconnectClient``, which supplies ``request``."""

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError  # SecuconnectClient.request

    def request_contract_id(self, parent_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``requestId``: a new contract cloned from ``parent_id``. The answer holds an
        ``apikey``: never log it (``redact`` masks it)."""
        logger.debug("requesting a contract: %s", redact(body))
        return dict(self.request("POST", f"/Payment/Contracts/{parent_id}/requestId", json=body))

    def get_contract(self, contract_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/Payment/Contracts/{contract_id}"))

    def list_contracts(self, *, count: int, offset: int = 0) -> dict[str, Any]:
        """One page of ``GET /Payment/Contracts`` (``{count, data}``). No ``q``: no recording
        shows one on contracts, so the caller filters what it reads."""
        data = self.request(
            "GET", "/Payment/Contracts", params={"count": int(count), "offset": int(offset)}
        )
        return dict(data) if isinstance(data, dict) else {}

    def contract_payment_methods(self, contract_id: str) -> list[str]:
        """The deprecated ``GET /Payment/Contracts/{id}/paymentMethods`` (JAVA-D), names as
        answered."""
        data = self.request("GET", f"/Payment/Contracts/{contract_id}/paymentMethods")
        return [str(m) for m in data] if isinstance(data, list) else []

    def available_payment_methods(
        self, contract_id: str, *, currency: str, is_demo: bool
    ) -> list[str]:
        """``POST /General/Contracts/{id}/getAvailablePaymentMethods`` with a
        GetAvailablePaymentMethodsDTO (its successor), names as answered. A read, though a POST."""
        body = {"currency": currency, "is_demo": bool(is_demo)}
        path = f"/General/Contracts/{contract_id}/getAvailablePaymentMethods"
        data = self.request("POST", path, json=body)
        return [str(m) for m in data] if isinstance(data, list) else []
