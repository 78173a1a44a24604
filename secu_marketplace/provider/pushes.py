"""A push's body as secuconnect sends it, read once: what it names, or why it cannot be used.

``parse`` raises ``MalformedPush`` only for a body that is not a JSON object; anything else comes
back as a ``Push`` (``ignored`` says why it is unusable). ``summary`` is what the inbox keeps of a
body it need not keep whole (ignored, or oversized): who sent what, never all of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from secu_marketplace.exceptions import SecuMarketplaceError

OBJECT_ID_RE = re.compile(r"^(PCI|STX)_[A-Z0-9]{30}$")
# What a push id may look like to be used as the inbox key as it is. The documentation shows
# ``evt_`` with 32 hex digits, but also ``evt_12345678``, 24 hex digits and non-hex letters.
PUSH_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
# Legacy (Flex.API) targets name transactions by their hash, not by a PCI id.
LEGACY_TARGET_RE = re.compile(r"^payment\.secupay[a-z]+$")
MAX_BODY = 64 * 1024
MAX_ITEMS = 20
TARGETS = {"payment.transactions", "smart.transactions"}


class MalformedPush(SecuMarketplaceError, ValueError):
    """The body is not a JSON object, so it cannot be a push at all."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.http_status = status


@dataclass(frozen=True)
class Push:
    push_id: str
    target: str
    type: str
    # The ids the push names that the app can read (PCI_/STX_), or legacy hashes.
    object_ids: tuple[str, ...]
    created: str
    body: dict
    legacy: bool = False
    # Why the app cannot act on it; empty when it can.
    ignored: str = ""
    notes: tuple[str, ...] = field(default=())


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _without_nul(value: Any) -> Any:
    """The body with NUL characters replaced: PostgreSQL keeps none in text or jsonb, and a push
    that carries one must still be stored (and acknowledged), not end in a 500."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def parse(raw: bytes) -> Push:
    """Read a push body. Raises ``MalformedPush`` only for a body that is not a JSON object;
    anything else comes back as a ``Push``, with ``ignored`` saying why when it is unusable."""
    data = _json_object(raw)
    raw_id = data.get("id")
    push_id = raw_id if isinstance(raw_id, str) and PUSH_ID_RE.match(raw_id) else ""
    # Without a usable id, redeliveries of the same body still land on one inbox row.
    key = push_id or "sha256:" + hashlib.sha256(raw).hexdigest()[:48]
    target = _text(data.get("target"), 40)
    kind = _text(data.get("type"), 20)
    created = _text(data.get("created"), 40)
    push = Push(push_id=key, target=target, type=kind, object_ids=(), created=created, body=data)
    items = data.get("data")
    named = [
        str(item["id"])
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]
    reason = _unusable(data, items, target)
    if reason:
        return replace(push, object_ids=tuple(i[:80] for i in named[:MAX_ITEMS]), ignored=reason)
    return _what_it_names(push, named)


def _json_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY:
        raise MalformedPush(f"body larger than {MAX_BODY} bytes", status=413)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedPush("body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedPush("body is not a JSON object")
    return dict(_without_nul(data))


def _unusable(data: dict[str, Any], items: Any, target: str) -> str:
    """Why the push cannot be acted on, or "" (its ids are judged by ``_what_it_names``)."""
    if data.get("object") != "event.pushes":
        return f"object {str(data.get('object'))[:40]!r} is not event.pushes"
    if not isinstance(items, list) or not items:
        return "data names no transaction"
    if len(items) > MAX_ITEMS:
        return f"data names more than {MAX_ITEMS} transactions"
    if not LEGACY_TARGET_RE.match(target) and target not in TARGETS:
        return f"target {target!r} is not about payments"
    return ""


def _what_it_names(push: Push, named: list[str]) -> Push:
    """The ids a usable push names: transaction hashes for a legacy target, PCI_/STX_ ids
    otherwise (anything else is noted and skipped)."""
    if LEGACY_TARGET_RE.match(push.target):
        hashes = [i for i in named if re.fullmatch(r"[A-Za-z0-9_]{1,80}", i)]
        if not hashes:
            reason = f"legacy target {push.target} names no transaction hash"
            return replace(push, object_ids=tuple(i[:80] for i in named), ignored=reason)
        return replace(push, object_ids=tuple(hashes), legacy=True)
    usable = [i for i in named if OBJECT_ID_RE.match(i)]
    if not usable:
        reason = "names no PCI_ or STX_ id (e.g. a payment of another product)"
        return replace(push, object_ids=tuple(i[:80] for i in named), ignored=reason)
    others = [i for i in named if not OBJECT_ID_RE.match(i)]
    notes = tuple(f"not a PCI_/STX_ id, skipped: {i[:80]}" for i in others)
    return replace(push, object_ids=tuple(usable), notes=notes)


SUMMARY_KEYS = ("object", "id", "created", "target", "type")


def summary(body: dict[str, Any], size: int) -> dict[str, Any]:
    """The body's envelope and the first few ids it names, each cut short, and its size."""
    kept: dict[str, Any] = {key: str(body[key])[:80] for key in SUMMARY_KEYS if key in body}
    items = body.get("data")
    if isinstance(items, list):
        kept["data"] = [
            {key: str(item[key])[:80] for key in ("object", "id") if key in item}
            for item in items[:5]
            if isinstance(item, dict)
        ]
    return {**kept, "truncated": True, "bytes": size}
