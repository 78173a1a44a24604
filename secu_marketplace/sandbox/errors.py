"""secuconnect's product error format (``secuconnect-api.md`` §6).

Every non-OAuth error the sandbox answers has the same body: ``status`` "error", the exception
class name in ``error`` (also the HTTP reason phrase), English ``error_details`` naming the
offending field, a German ``error_user``, a numeric ``code`` and a 32-hex ``supportId``.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from . import ids

USER_MESSAGE = "Es ist ein unbekannter Fehler aufgetreten (Code {code})"


class ProductError(Exception):
    """Raised anywhere in the sandbox; turned into the error body by the API wrapper."""

    http_status = 400
    error = "ProductBadRequestException"
    code = 1001

    def __init__(self, details: str, *, code: int | None = None, http_status: int | None = None):
        super().__init__(details)
        self.details = details
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def body(self) -> dict[str, Any]:
        return {
            "status": "error",
            "error": self.error,
            "error_details": self.details,
            "error_user": USER_MESSAGE.format(code=self.code),
            "code": self.code,
            "supportId": ids.support_id(),
        }

    def response(self) -> JsonResponse:
        return JsonResponse(self.body(), status=self.http_status, reason=self.error)


class BadRequest(ProductError):
    """Invalid parameters (code 1001)."""


class NotAllowed(ProductError):
    http_status = 403
    error = "ProductNotAllowedException"
    code = 2003


class NotFound(ProductError):
    http_status = 404
    error = "ProductNotFoundException"
    code = 1002


class Conflict(ProductError):
    """The action is not possible in the object's current state."""

    http_status = 409
    error = "ProductStateException"
    code = 1010


def token_required() -> NotAllowed:
    return NotAllowed("Valid auth token required", code=2003)


def oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    """The OAuth endpoint answers in OAuth's own format, not the product format (§1.4)."""
    return JsonResponse({"error": error, "error_description": description}, status=status)
