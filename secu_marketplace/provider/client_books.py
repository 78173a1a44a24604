"""The calls of ``SecuconnectClient`` the books need (docs/provider.md, "Payouts and held
money"), kept apart so ``client.py`` stays the transport; each goes through
``SecuconnectClient.request`` (token, timeouts, retries, typed errors, redacted logs).

Paths and verbs: PHP-SDK ``lib/Api/PaymentPayoutsApi.php`` (``GET /Payment/Payouts``, with the
generic ``count``, ``offset``, ``q`` and ``sort`` parameters, and ``/Payment/Payouts/{id}``),
``lib/Api/GeneralContractsApi.php`` (``GET /General/Contracts/{id}/transferBalance``) and
``lib/Api/PaymentTransactionsApi.php`` (``POST /Payment/Transactions/{id}/revokeAccrual``,
answering the Payment Transaction).
"""

from __future__ import annotations

from typing import Any


class BookCalls:
    """Mixed into ``SecuconnectClient``, which supplies ``request``."""

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError  # SecuconnectClient.request

    def list_payouts(self, *, count: int, offset: int = 0, query: str = "") -> dict[str, Any]:
        """One page of payout records, newest first (``sort=date:desc``)."""
        params: dict[str, Any] = {"count": int(count), "offset": int(offset), "sort": "date:desc"}
        if query:
            params["q"] = query
        data = self.request("GET", "/Payment/Payouts", params=params)
        return dict(data) if isinstance(data, dict) else {}

    def get_payout(self, payout_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/Payment/Payouts/{payout_id}"))

    def transfer_balance(self, contract_id: str) -> dict[str, Any]:
        data = self.request("GET", f"/General/Contracts/{contract_id}/transferBalance")
        return dict(data) if isinstance(data, dict) else {}

    def revoke_accrual(self, pci_id: str) -> dict[str, Any]:
        """Release a held payment: secuconnect may pay it out from now on."""
        data = self.request("POST", f"/Payment/Transactions/{pci_id}/revokeAccrual", json={})
        return dict(data) if isinstance(data, dict) else {}
