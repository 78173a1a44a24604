"""Status vocabularies of the emulated API (``secuconnect-api.md`` §3).

Smart Transaction statuses are strings. A Payment Transaction has a numeric internal ``status``
with a German text and a ``status_simple`` with an English text; the pairs below are the ones the
documentation shows (6, 9, 25, 85, 86) plus the sandbox's own numbers for states the documentation
names without a number.
"""

from __future__ import annotations

from enum import IntEnum


class Simple(IntEnum):
    PROCEED = 0
    ACCEPTED = 1
    AUTHORIZED = 2
    DENIED = 3
    ISSUE = 4
    VOID = 5
    ISSUE_RESOLVED = 6
    REFUND = 7
    CREATED = 8
    PAID = 9
    PENDING = 10
    SUBSCRIPTION_APPROVED = 11
    SUBSCRIPTION_DECLINED = 12
    ON_HOLD = 13
    WAITING_FOR_SHIPMENT = 14
    CONTAINER_AUTHORISED = 15
    CONTAINER_DENIED = 16


SIMPLE_TEXT: dict[int, str] = {
    0: "proceed",
    1: "accepted",
    2: "authorized",
    3: "denied",
    4: "issue",
    5: "void",
    6: "issue resolved",
    7: "refund",
    8: "created",
    9: "paid",
    10: "pending",
    11: "subscription approved",
    12: "subscription declined",
    13: "on hold",
    14: "waiting for shipment",
    15: "container authorised",
    16: "container denied",
}

# Internal status numbers and their texts, keyed by (simple status, payment method or "*").
_INTERNAL: dict[tuple[int, str], tuple[int, str]] = {
    (Simple.AUTHORIZED, "prepaid"): (25, "Vorkasse wartend"),
    (Simple.PENDING, "prepaid"): (25, "Vorkasse wartend"),
    (Simple.AUTHORIZED, "invoice"): (85, "autorisiert (Rechnung)"),
    (Simple.WAITING_FOR_SHIPMENT, "invoice"): (85, "autorisiert (Rechnung)"),
    (Simple.ACCEPTED, "invoice"): (86, "abgeschlossen (Rechnung offen)"),
    (Simple.PAID, "invoice"): (87, "abgeschlossen (Rechnung bezahlt)"),
    (Simple.AUTHORIZED, "*"): (9, "vorautorisiert"),
    (Simple.ACCEPTED, "*"): (6, "abgeschlossen"),
    (Simple.PENDING, "*"): (10, "wartend"),
    (Simple.DENIED, "*"): (3, "abgelehnt"),
    (Simple.VOID, "*"): (12, "storniert"),
    (Simple.REFUND, "*"): (13, "Erstattung vorgemerkt"),
    (Simple.ISSUE, "*"): (14, "Rückbelastung"),
    (Simple.ISSUE_RESOLVED, "*"): (15, "Rückbelastung erledigt"),
    (Simple.PAID, "*"): (6, "abgeschlossen"),
    (Simple.PROCEED, "*"): (1, "initial"),
    (Simple.CREATED, "*"): (1, "initial"),
    (Simple.ON_HOLD, "*"): (16, "angehalten"),
}


def internal_status(simple: int, method: str) -> tuple[int, str]:
    return _INTERNAL.get((simple, method)) or _INTERNAL.get((simple, "*")) or (1, "initial")


PAYMENT_METHODS = ("creditcard", "debit", "invoice", "paypal", "prepaid", "sofort")

# The legacy resource names of TestChangedPaymentStatus and the method each one stands for.
LEGACY_RESOURCES = {
    "Secupaydebits": "debit",
    "Secupayprepays": "prepaid",
    "Secupayinvoices": "invoice",
    "Secupaycreditcards": "creditcard",
    "Secupaysofort": "sofort",
}

PRODUCT_NAMES = {
    "creditcard": "Kreditkarte",
    "debit": "Lastschrift",
    "invoice": "Kauf auf Rechnung",
    "paypal": "PayPal",
    "prepaid": "Vorkasse",
    "sofort": "Sofortüberweisung",
    "refund": "Erstattung",
}

# Smart Transaction statuses after the payment has been captured, by intent and delivery type.
STX_FINAL_CREATED = "created"
STX_OPEN = {"created"}
STX_PAYABLE = {"created", "failed"}


def captured_status(intent: str, delivery_type: str) -> str:
    """The Smart Transaction status once the money is secured (§3.1)."""
    if intent != "order":
        return "ok"
    return "collection" if delivery_type == "collection" else "received"
