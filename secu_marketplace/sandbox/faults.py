"""Deterministic fault injection and the call log.

A fault is armed for the next N calls of one operation (``smart.get``) or of every operation
(``*``), and is consumed in the order armed. Tests arm faults from Python (``control.inject``) or
over HTTP (``POST <mount>/control/faults``); both write the same rows, so a fault armed by one
process fires in another.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, StreamingHttpResponse

from .models import ApiCall, Fault

HTML_ERRORS = {
    "http_500": (500, "Internal Server Error"),
    "http_502": (502, "Bad Gateway"),
    "http_503": (503, "Service Unavailable"),
}


def take(operation: str) -> Fault | None:
    """Consume one shot of the first fault armed for ``operation`` (or for every operation)."""
    with transaction.atomic():
        fault = (
            Fault.objects.select_for_update()
            .filter(operation__in=(operation, "*"), remaining__gt=0)
            .order_by("created", "pk")
            .first()
        )
        if fault is None:
            return None
        Fault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
        Fault.objects.filter(pk=fault.pk, remaining=0).delete()
    return fault


def html_error(kind: str) -> HttpResponse:
    # What a proxy or load balancer in front of the API answers: HTML, not the error format.
    status, phrase = HTML_ERRORS[kind]
    body = (
        f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def malformed(response: HttpResponse) -> HttpResponse:
    """The real answer cut off halfway: a 200 whose JSON does not parse."""
    content = bytes(response.content)
    return HttpResponse(
        content[: max(len(content) // 2, 1)], status=200, content_type="application/json"
    )


class ConnectionDropped(Exception):
    """Raised while streaming a response body: the server closes the socket mid-response."""


def dropped() -> StreamingHttpResponse:
    """A response whose connection dies before the body arrives.

    The headers promise a body that never comes; the WSGI server aborts the connection when the
    iterator raises, and the client sees "connection broken" after the work was committed.
    """

    def body() -> Iterator[bytes]:
        yield b'{"object": "smart.tr'
        raise ConnectionDropped("sandbox fault: connection dropped after commit")

    response = StreamingHttpResponse(body(), status=200, content_type="application/json")
    response["Content-Length"] = "4096"
    return response


def record(
    *,
    operation: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    client_id: str,
    fault: str,
) -> None:
    ApiCall.objects.create(
        operation=operation,
        method=method,
        path=path[:500],
        status=status,
        duration_ms=duration_ms,
        client_id=client_id,
        fault=fault,
    )
