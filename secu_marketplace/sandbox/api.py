"""The plumbing every emulated API endpoint shares: faults, bearer-token check, JSON bodies,
product errors and the call log, in one decorator so the endpoint views stay a few lines each."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.db import connections, router
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from secu_marketplace.sandbox import clock, faults, state
from secu_marketplace.sandbox.errors import BadRequest, NotFound, ProductError, token_required
from secu_marketplace.sandbox.models import AccessToken, ApiClient, Fault

View = Callable[..., HttpResponseBase]


def json_body(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body: not valid JSON") from None


def authenticate(request: HttpRequest) -> ApiClient:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise token_required()
    client_pk = _token_owner(token.strip(), clock.now())
    if client_pk is None:
        raise token_required()
    # The client row itself rarely changes: kept per process until it does (state.py).
    known = state.current().clients
    client = known.get(client_pk)
    if client is None:
        client = known[client_pk] = ApiClient.objects.select_related("merchant").get(pk=client_pk)
    return client


_TOKEN_COLUMNS = ("client", "token", "expires_at")


def _token_owner(token: str, now: datetime) -> int | None:
    """The client a token that is valid at ``now`` belongs to. Raw SQL on purpose: this runs on
    every API call, and compiling the ORM query cost several times more than running it. The
    token row is read every time, so expiring or deleting a token, by any means, counts at once.
    """
    db = connections[router.db_for_read(AccessToken)]
    meta = AccessToken._meta
    table, quote = meta.db_table, db.ops.quote_name
    fields = [f for f in meta.concrete_fields if f.name in _TOKEN_COLUMNS]
    column = {f.name: quote(str(f.column)) for f in fields}
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {column['client']} FROM {quote(table)} "  # noqa: S608 (names from _meta)
            f"WHERE {column['token']} = %s AND {column['expires_at']} > %s",
            [token, db.ops.adapt_datetimefield_value(now)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def base_url(request: HttpRequest) -> str:
    """Scheme and host the caller used; the checkout links point back at the same server."""
    return f"{request.scheme}://{request.get_host()}"


def mount_url(request: HttpRequest) -> str:
    """The sandbox's own base (scheme, host and mount point), e.g. for ``girocode_url``."""
    from django.urls import reverse

    return base_url(request) + reverse("secu_sandbox:oauth-token").removesuffix("/oauth/token")


def api_view(operation: str, *, auth: bool = True) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            started = time.perf_counter()
            # One read of the cached state (clock, switches, faults) for the whole call.
            with state.pinned():
                fault = faults.take(operation)
                kind = fault.kind if fault else ""
                client_id = ""
                if fault and fault.kind == Fault.Kind.LATENCY:
                    time.sleep(fault.latency_ms / 1000)
                response: HttpResponseBase
                if kind in faults.HTML_ERRORS:
                    response = faults.html_error(kind)
                elif kind == Fault.Kind.TOKEN_EXPIRED:
                    response = token_required().response()
                elif kind == Fault.Kind.HTTP_404:
                    # What the API answers for a path it does not have (``unknown_endpoint``).
                    missing = f"unknown endpoint {request.method} {request.path}"
                    response = NotFound(missing).response()
                else:
                    try:
                        client = authenticate(request) if auth else None
                        client_id = client.client_id if client else ""
                        response = view(request, client, *args, **kwargs)
                    except ProductError as exc:
                        response = exc.response()
                    if kind == Fault.Kind.MALFORMED_JSON:
                        response = faults.malformed(response)
                    elif kind == Fault.Kind.DROP_RESPONSE:
                        response = faults.dropped(request)
                faults.record(
                    operation=operation,
                    method=request.method or "",
                    path=request.path,
                    status=response.status_code,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    client_id=client_id,
                    fault=kind,
                )
                return response

        return wrapper

    return decorate


def allow(*methods: str) -> Callable[[View], View]:
    """Like Django's ``require_http_methods``, but a wrong method gets the product error body
    (HTTP 405, code 1001, with an ``Allow`` header): every error of the API has that shape."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                error = BadRequest(
                    f"method {request.method} is not allowed here (allowed: {', '.join(methods)})",
                    http_status=405,
                )
                response = error.response()
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


@allow("GET", "POST", "PUT", "DELETE", "PATCH")
@api_view("unknown")
def unknown_endpoint(request: HttpRequest, client: ApiClient) -> HttpResponse:
    """Any other path under ``api/v2/``: a product error, not the site's HTML 404 page."""
    raise NotFound(f"unknown endpoint {request.method} {request.path}")


def ok(data: Any) -> JsonResponse:
    return JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})


# secuconnect's lists answer at most 100 records per request.
MAX_COUNT = 100


def paging(request: HttpRequest) -> tuple[int, int]:
    """A list request's ``count`` (1-100, 20 when left out) and ``offset`` (0 or more)."""
    try:
        count = min(int(request.GET.get("count", 20)), MAX_COUNT)
        offset = max(int(request.GET.get("offset", 0)), 0)
    except ValueError:
        raise BadRequest("count/offset: must be integers") from None
    if count < 1:
        raise BadRequest("count: must be at least 1")
    return count, offset
