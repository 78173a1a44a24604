"""``/api/v2/Smart/Transactions``: each view parses, calls one operation, renders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from secu_marketplace.sandbox import representation, smart_actions, smart_ops
from secu_marketplace.sandbox.api import allow, api_view, base_url, json_body, mount_url, ok, paging
from secu_marketplace.sandbox.models import ApiClient


def _render(request: HttpRequest, client: ApiClient, stx_id: str) -> HttpResponse:
    # Re-read with everything the representation needs in a handful of queries.
    return ok(representation.smart_transaction(smart_ops.get(client, stx_id), base_url(request)))


@allow("GET", "POST")
def collection(request: HttpRequest) -> HttpResponseBase:
    return create(request) if request.method == "POST" else listing(request)


@api_view("smart.create")
def create(request: HttpRequest, client: ApiClient) -> HttpResponse:
    stx = smart_ops.create(client, json_body(request))
    return _render(request, client, stx.stx_id)


@api_view("smart.list")
def listing(request: HttpRequest, client: ApiClient) -> HttpResponse:
    count, offset = paging(request)
    found = smart_ops.search(client, request.GET.get("q", ""))
    page = list(found[offset : offset + count])
    base = base_url(request)
    return ok(
        {"count": found.count(), "data": [representation.smart_transaction(s, base) for s in page]}
    )


@allow("GET", "PUT")
def detail(request: HttpRequest, stx_id: str) -> HttpResponseBase:
    return update(request, stx_id) if request.method == "PUT" else read(request, stx_id)


@api_view("smart.get")
def read(request: HttpRequest, client: ApiClient, stx_id: str) -> HttpResponse:
    return _render(request, client, stx_id)


@api_view("smart.update")
def update(request: HttpRequest, client: ApiClient, stx_id: str) -> HttpResponse:
    smart_ops.update(client, stx_id, json_body(request))
    return _render(request, client, stx_id)


@allow("POST")
@api_view("smart.prepare")
def prepare(request: HttpRequest, client: ApiClient, stx_id: str, method: str) -> HttpResponse:
    body = json_body(request)
    contact = (body.get("customer") or {}).get("contact") if isinstance(body, dict) else None
    # Not part of secuconnect: lets a test ask for a declined authorisation without the page.
    outcome = request.headers.get("X-Sandbox-Outcome", "success")
    smart_ops.authorise(
        client, stx_id, method, outcome=outcome, contact=contact, base=mount_url(request)
    )
    return _render(request, client, stx_id)


@allow("POST")
@api_view("smart.start")
def start(
    request: HttpRequest, client: ApiClient, stx_id: str, method: str | None = None
) -> HttpResponse:
    smart_ops.start(client, stx_id, method, base=mount_url(request))
    return _render(request, client, stx_id)


@allow("POST")
@api_view("smart.cancel")
def cancel(request: HttpRequest, client: ApiClient, stx_id: str) -> HttpResponse:
    smart_actions.cancel(client, stx_id)
    return _render(request, client, stx_id)


@allow("POST")
@api_view("smart.abort")
def abort(request: HttpRequest, client: ApiClient, stx_id: str) -> HttpResponse:
    smart_actions.abort(client, stx_id)
    return _render(request, client, stx_id)


@allow("POST")
@api_view("smart.set_delivery")
def set_delivery(request: HttpRequest, client: ApiClient, stx_id: str) -> HttpResponse:
    smart_actions.set_delivery(client, stx_id, json_body(request))
    return _render(request, client, stx_id)
