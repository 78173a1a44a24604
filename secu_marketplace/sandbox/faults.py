"""Deterministic fault injection and the call log.

A fault is armed for the next N calls of one operation (``smart.get``) or of every operation
(``*``), or until cleared, and is consumed in the order armed. Tests arm faults from Python
(``control.inject``) or over HTTP (``POST <mount>/control/faults``); both write the same rows, so a
fault armed by one process fires in another.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from secu_marketplace.sandbox import state
from secu_marketplace.sandbox.models import ApiCall, Fault

HTML_ERRORS = {
    "http_500": (500, "Internal Server Error"),
    "http_502": (502, "Bad Gateway"),
    "http_503": (503, "Service Unavailable"),
}


def take(operation: str) -> Fault | None:
    """Consume one shot of the first fault armed for ``operation`` (or for every operation)."""
    armed = [f for f in state.current().faults if f.operation in (operation, "*")]
    if not armed:
        # The common case: decided from the cached state, without a query (state.py).
        return None
    if armed[0].remaining is None:
        # Armed until cleared: nothing to count, so no write and no lock on every call.
        return armed[0]
    with transaction.atomic():
        # A counted fault: the count is shared by every process, so it is taken under a lock.
        fault = (
            Fault.objects.select_for_update()
            .filter(operation__in=(operation, "*"))
            .filter(Q(remaining__gt=0) | Q(remaining__isnull=True))
            .order_by("created", "pk")
            .first()
        )
        if fault is None or fault.remaining is None:
            return fault
        Fault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
        if fault.remaining <= 1:
            fault.delete()  # a signal: every process's cache forgets it (state.py)
    return fault


def html_error(kind: str) -> HttpResponse:
    # What a proxy or load balancer in front of the API answers: HTML, not the error format.
    status, phrase = HTML_ERRORS[kind]
    body = (
        f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def malformed(response: HttpResponseBase) -> HttpResponse:
    """The real answer cut off halfway: a 200 whose JSON does not parse."""
    content = bytes(getattr(response, "content", b"") or b"{")
    return HttpResponse(
        content[: max(len(content) // 2, 1)], status=200, content_type="application/json"
    )


class ConnectionDropped(Exception):
    """Raised while streaming a response body: the server closes the socket mid-response."""


# Attribute paths from a server's ``wsgi.input`` to the client's socket: Django's development and
# live test servers (``LimitedStream._read`` -> ``BufferedReader.raw`` -> ``SocketIO._sock``),
# gunicorn (``Body.reader.unreader.sock``) and a few plausible others. Bounded, best effort.
_SOCKET_HOPS: tuple[str, ...] = ("_sock", "sock", "socket", "raw", "_read", "__self__", "stream")
_SOCKET_HOPS += ("_stream", "rfile", "reader", "unreader", "_rfile", "buf")


def client_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The socket this request arrived on, if the WSGI server lets us reach it."""
    direct = environ.get("gunicorn.socket")
    if isinstance(direct, socket.socket):
        return direct
    seen: set[int] = set()
    layer: list[Any] = [environ.get("wsgi.input")]
    for _ in range(6):
        found: list[Any] = []
        for obj in layer:
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, socket.socket):
                return obj
            for hop in _SOCKET_HOPS:
                try:
                    found.append(getattr(obj, hop, None))
                except Exception:  # noqa: S112  (a property that raises is simply not the way)
                    continue
        layer = found
    return None


def dropped(request: HttpRequest) -> StreamingHttpResponse:
    """The work is committed, then the connection dies before the response reaches the client.

    Where the socket can be reached (Django's runserver and live test server, gunicorn), the body
    iterator shuts it down before a single byte of the response is written: the client sees the
    connection closed without a response (``requests.ConnectionError``) at once. Merely raising
    from the iterator is not enough there: the headers (with a Content-Length) are already out,
    the server keeps the HTTP/1.1 connection alive, and the client waits for the rest of the body
    until its read timeout.

    Elsewhere (Django's test client, other servers) it falls back to headers that promise 4096
    bytes, a fragment of JSON and an exception from the iterator, which makes most servers abort
    the connection (``ChunkedEncodingError`` on the client) and makes the test client raise
    ``ConnectionDropped`` while the body is read.
    """
    sock = client_socket(request.META)

    def body() -> Iterator[bytes]:
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            else:
                # Nothing more can reach the client; the server's write fails with a broken
                # pipe, which it treats as a client that went away.
                return
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
