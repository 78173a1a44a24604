"""Identifiers in secuconnect's formats.

``STX_``/``PCI_``/``PCU_``/``PCT_``/``MRC_``/``GCR_``/``STO_`` + 30 upper-case letters and
digits, push ids ``evt_`` + 32 hex digits, support ids of 32 hex digits, opaque lower-case tokens.
"""

from __future__ import annotations

import re
import secrets
import string

_UPPER = string.ascii_uppercase + string.digits
_LOWER = string.ascii_lowercase + string.digits

ID_RE = re.compile(r"^(STX|PCI|PCU|PCT|MRC|GCR|COT|STO)_[A-Z0-9]{30}$")


def object_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_UPPER) for _ in range(30))


def access_token() -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(26))


def transaction_hash() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(12)) + "".join(
        secrets.choice(string.digits) for _ in range(8)
    )


def push_id() -> str:
    return "evt_" + secrets.token_hex(16)


def support_id() -> str:
    return secrets.token_hex(16)


def pickup_code() -> str:
    """A collection's pickup ``code`` (SDK SmartTransactionsCollectionModel.php names the field;
    its format is not public: six digits are the sandbox's choice)."""
    return "".join(secrets.choice(string.digits) for _ in range(6))
