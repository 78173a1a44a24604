"""secuconnect's product error format (docs/provider.md, "Errors").

Every non-OAuth error the sandbox answers has the same body: ``status`` "error", the exception
class name in ``error`` (also the HTTP reason phrase), English ``error_details`` naming the
offending field, a German ``error_user``, a numeric ``code`` and a 32-hex ``supportId``
(DOC:Error_Handling; PHP-SDK ``ProductExceptionPayload.php``).

Codes: DOC:Error_Codes documents 1001 (invalid parameters), 1002 ("Payment checkin wasn't save
in db"), 1010 ("Basket item creation failed") and 2xxx (authentication; 2003 "Valid auth token
required"). The real codes for "not found", "not possible in this state" and "you may not see
this id" are unknown, so the sandbox uses numbers of its own outside the documented ones and
never reuses a documented number for another meaning:

- 9404 NotFound (HTTP 404 ProductNotFoundException): unknown; the sandbox's own number.
- 9409 Conflict (HTTP 409 ProductStateException): unknown; the sandbox's own number. Neither
  the exception name nor 409 appears in a public source.
- 9403 for an id the client may not see, when ``UNKNOWN_ID`` is "403" (HTTP 403
  ProductNotAllowedException): unknown; the sandbox's own number (2003 would tell the client to
  fetch a new token).
- 9406 for ``requestId`` on a contract whose ``allow_cloning`` is off (HTTP 403
  ProductNotAllowedException; the SDK says only "needs to be activated"): unknown; the
  sandbox's own number (``contract_ops.CODE_CLONING_NOT_ALLOWED``).

One code is documented by the provider's own tests and used with its meaning: 4028, "mixed
basket not enabled" for the contract (SDK-T ``test/Api/SmartTransactionsApiTest.php``,
``testSmartTransactionsAddMixedBasket``: "do you have mixed basket enabled ?"). The HTTP status
and exception name of that answer are not public; the sandbox answers 403
ProductNotAllowedException, like its other "not enabled for this contract" refusal (9406).

Clients must key on the HTTP status and the ``error`` name, not on these numbers (4028 apart).
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from secu_marketplace.sandbox import ids

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
    code = 9404  # unknown; the sandbox's own number


class Conflict(ProductError):
    """The action is not possible in the object's current state."""

    http_status = 409
    error = "ProductStateException"
    code = 9409  # unknown; the sandbox's own number


CODE_NOT_VISIBLE = 9403  # unknown; the sandbox's own number
CODE_MIXED_BASKET_NOT_ENABLED = 4028  # SDK-T testSmartTransactionsAddMixedBasket


def unknown_id(details: str) -> ProductError:
    """The answer for a Smart or Payment Transaction id this client cannot see: 404 or 403, as
    the ``UNKNOWN_ID`` switch says (undecided by public evidence; docs/provider.md, "Undecided")."""
    from secu_marketplace.sandbox import conf

    if conf.switch("UNKNOWN_ID") == "403":
        return NotAllowed(details, code=CODE_NOT_VISIBLE)
    return NotFound(details)


def token_required() -> NotAllowed:
    return NotAllowed("Valid auth token required", code=2003)


def oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    """The OAuth endpoint answers in OAuth's own format, not the product format (RUBY cassettes;
    docs/provider.md, "Authentication")."""
    return JsonResponse({"error": error, "error_description": description}, status=status)
