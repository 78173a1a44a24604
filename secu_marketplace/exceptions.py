"""Every exception the app raises, derived from ``Exception`` (never ``BaseException``), so a
shop's ``except Exception`` catches them.

``SecuconnectError`` and its subclasses carry the provider's error fields when the answer had
them (``status``, ``error``, ``error_details``, ``error_user``, ``code``, ``supportId``).
"""

from __future__ import annotations

from typing import Any

from secu_marketplace.redaction import redact


class SecuMarketplaceError(Exception):
    """Base of everything this app raises on purpose."""


class SecuconnectError(SecuMarketplaceError):
    """Talking to secuconnect failed."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        method: str = "",
        path: str = "",
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.method = method
        self.path = path
        body = body or {}
        self.status: str | None = body.get("status")
        self.error: str | None = body.get("error")
        self.error_details: str | None = body.get("error_details") or body.get("error_description")
        self.error_user: str | None = body.get("error_user")
        code = body.get("code")
        # Numeric in the documentation, a string in the SDK model: keep an int when it is one.
        self.code: int | str | None = (
            int(code) if isinstance(code, str) and code.isdigit() else code
        )
        self.support_id: str | None = body.get("supportId")

    def __str__(self) -> str:
        parts = [self.message]
        if self.support_id:
            parts.append(f"supportId {self.support_id}")
        return " | ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The fields worth keeping in an audit trail, redacted: secuconnect's messages may echo
        what it was sent (an e-mail address, a name, an IBAN), and none of it is stored."""
        return redact(
            {
                "exception": type(self).__name__,
                "message": self.message,
                "http_status": self.http_status,
                "error": self.error,
                "error_details": self.error_details,
                "code": self.code,
                "supportId": self.support_id,
            }
        )


class ProviderUnavailable(SecuconnectError):
    """secuconnect could not be reached or answered 5xx; nothing is known about the result of
    a read, and a write was not executed. Try again later."""


class OutcomeUnknown(ProviderUnavailable):
    """A write was sent but its answer was lost (timeout, dropped connection, garbled body): it
    may or may not have been executed. Never blindly repeat it; reconcile instead."""


class MalformedResponse(ProviderUnavailable):
    """A 2xx answer whose body is not the JSON it should be."""


class AuthenticationError(SecuconnectError):
    """The credentials were refused, or a freshly issued token was refused (configuration)."""


class ApiError(SecuconnectError):
    """secuconnect refused the request with a product error (4xx)."""


class BadRequest(ApiError):
    pass


class NotAllowed(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class BasketError(SecuMarketplaceError, ValueError):
    """An order whose sums break secuconnect's rules; names the sub-basket and the amounts."""

    def __init__(self, message: str, *, reference_id: str | None = None, **amounts: int) -> None:
        super().__init__(message)
        self.reference_id = reference_id
        self.amounts = amounts


class CheckoutError(SecuMarketplaceError):
    """The order cannot be paid now (already paid, needs review, nothing to pay)."""


class ProcessingError(SecuMarketplaceError):
    """An after-checkout action is not allowed in the current state (refund more than was paid,
    capture twice, ship a cancelled sub-basket)."""


class StaleRefund(ProcessingError):
    """A refund confirmed on figures that changed since: another refund was recorded on the
    order after the one the confirmation saw. Nothing was sent; show the figures again."""


class OnboardingError(SecuMarketplaceError):
    """Onboarding did not happen (or cannot be settled); the message is for the staff."""
