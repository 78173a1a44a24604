"""``POST /oauth/token``: client credentials as JSON or form-encoded (the SDKs send both).

The answer is never to be cached, with the headers recorded (RUBY-T: ``eugenmueller/secuconnect``,
``spec/fixtures/vcr_cassettes/Secuconnect_Oauth2_Client/_retrieve_token/**.yml``): a token with
``Cache-Control: no-store`` and ``Pragma: no-cache``; a refusal with ``Cache-Control: no-store,
no-cache, must-revalidate, post-check=0, pre-check=0`` and ``Pragma: no-cache``."""

from __future__ import annotations

import hmac
import json
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from secu_marketplace.sandbox import clock, conf, world
from secu_marketplace.sandbox.api import api_view
from secu_marketplace.sandbox.errors import oauth_error
from secu_marketplace.sandbox.models import AccessToken, ApiClient

SCOPE = "https://scope.secucard.com/e/api"
TOKEN_CACHE_CONTROL = "no-store"  # noqa: S105 (a header value, not a secret)
ERROR_CACHE_CONTROL = "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"


def _uncached(response: HttpResponse, cache_control: str) -> HttpResponse:
    response["Cache-Control"] = cache_control
    response["Pragma"] = "no-cache"
    return response


def _credentials(request: HttpRequest) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: str(v) for k, v in request.POST.items()}


@require_POST
@api_view("oauth.token", auth=False)
def token(request: HttpRequest, _client: None) -> HttpResponse:
    response = _issue(request)
    ok = response.status_code == 200
    return _uncached(response, TOKEN_CACHE_CONTROL if ok else ERROR_CACHE_CONTROL)


def _issue(request: HttpRequest) -> HttpResponse:
    data = _credentials(request)
    if data.get("grant_type") != "client_credentials":
        return oauth_error("unsupported_grant_type", "Only client_credentials is supported here")
    client_id = data.get("client_id", "")
    if client_id == world.GUIDE_CLIENT_ID:
        world.ensure_defaults()
    client = ApiClient.objects.filter(client_id=client_id).first() if client_id else None
    secret = data.get("client_secret", "")
    if client is None or not hmac.compare_digest(client.client_secret.encode(), secret.encode()):
        return oauth_error("invalid_client", "The client credentials are invalid")
    # 0 is a valid lifetime (the token is born expired): tests use it to provoke a 403/2003.
    lifetime = (
        client.token_lifetime
        if client.token_lifetime is not None
        else int(conf.get("TOKEN_LIFETIME"))
    )
    now = clock.now()
    # Old tokens stay valid until they expire (whether secuconnect revokes them on reissue is
    # undocumented); expired ones are swept here so the table stays small.
    AccessToken.objects.filter(client=client, expires_at__lte=now).delete()
    issued = AccessToken.objects.create(
        client=client, created=now, expires_at=now + timedelta(seconds=lifetime)
    )
    return JsonResponse(
        {
            "access_token": issued.token,
            "expires_in": lifetime,
            "token_type": "bearer",
            "scope": SCOPE,
        }
    )
