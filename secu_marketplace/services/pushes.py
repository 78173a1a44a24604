"""Push notifications from secuconnect: parsing the ``event.pushes`` body.

A push is unsigned and carries no state, only the id of what changed; it is a hint to re-read,
nothing more. Anything that is not exactly the documented shape is refused before any API call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from secu_marketplace.exceptions import SecuMarketplaceError

PUSH_ID_RE = re.compile(r"^evt_[0-9a-f]{16,64}$")
OBJECT_ID_RE = re.compile(r"^(PCI|STX)_[A-Z0-9]{30}$")
MAX_BODY = 64 * 1024
MAX_ITEMS = 20
TARGETS = {"payment.transactions", "smart.transactions"}
TYPES = {"changed", "added", "display"}


class MalformedPush(SecuMarketplaceError, ValueError):
    """The body is not an ``event.pushes`` notification we can act on."""


@dataclass(frozen=True)
class Push:
    push_id: str
    target: str
    type: str
    object_ids: tuple[str, ...]
    created: str


def parse(raw: bytes) -> Push:
    if len(raw) > MAX_BODY:
        raise MalformedPush(f"body larger than {MAX_BODY} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedPush("body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedPush("body is not a JSON object")
    if data.get("object") != "event.pushes":
        raise MalformedPush("object is not event.pushes")
    push_id = data.get("id")
    if not isinstance(push_id, str) or not PUSH_ID_RE.match(push_id):
        raise MalformedPush("id is not a push id (evt_ and hex digits)")
    target = data.get("target")
    if target not in TARGETS:
        raise MalformedPush(f"target must be one of {', '.join(sorted(TARGETS))}")
    kind = data.get("type")
    if kind not in TYPES:
        raise MalformedPush(f"type must be one of {', '.join(sorted(TYPES))}")
    items = data.get("data")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise MalformedPush(f"data must be a list of 1 to {MAX_ITEMS} objects")
    ids = []
    for item in items:
        if not isinstance(item, dict) or item.get("object") != target:
            raise MalformedPush("each data item must be an object of the push's target")
        object_id = item.get("id")
        if not isinstance(object_id, str) or not OBJECT_ID_RE.match(object_id):
            raise MalformedPush("a data item's id is not a PCI_ or STX_ id")
        ids.append(object_id)
    created = data.get("created")
    return Push(
        push_id=push_id,
        target=str(target),
        type=str(kind),
        object_ids=tuple(ids),
        created=created if isinstance(created, str) else "",
    )
