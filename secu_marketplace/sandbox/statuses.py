"""Status vocabularies of the emulated API (docs/provider.md, "Smart Transaction statuses" and
"Payment Transaction statuses").

Smart Transaction statuses are strings (DOC:Status_Flow_of_a_Smart_Transaction). A Payment
Transaction has a numeric internal ``status`` with a German text and a ``status_simple`` with an
English text. The pairs below are the ones public answers show: 25 "Vorkasse wartend" with simple
2 (DOC:Read_a_Payment_Transaction; DEMO getSubTransactions.php), 6 "abgeschlossen" with simple 1
(refunds and captured payments, DOC:Read_a_Payment_Transaction), 85/86 (DOC:Mark_as_Shipped), plus
the sandbox's own numbers for states the documentation names without a number (87 for a paid
invoice, the rest of the generic table).

"The payer has paid" is a separate fact from "captured" (JAVA-SDK, PaymentTransactionsApi cancel:
"If the payer has already made the payment ..."): ``payer_pays`` says which simple statuses mean
that the buyer's money has arrived. A captured invoice (86, simple 1, cleared "open") has not.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Intent(StrEnum):
    """A Smart Transaction's ``intent``: it decides the statuses after capture (see
    ``captured_status``)."""

    # Paid and done: "ok" once captured.
    SALE = "sale"
    # Paid, then delivered: "received" (or "collection"), then "shipped" (or "collected").
    ORDER = "order"


class DeliveryType(StrEnum):
    """``delivery_options.type``: whether an order is shipped or collected by the buyer."""

    SHIPPING = "shipping"
    COLLECTION = "collection"


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
    # A prepayment waiting for the transfer: 25 with simple 2 as recorded; 10 as the status list
    # describes it is accepted too (TestChangedPaymentStatus can set it).
    (Simple.AUTHORIZED, "prepaid"): (25, "Vorkasse wartend"),
    (Simple.PENDING, "prepaid"): (25, "Vorkasse wartend"),
    (Simple.AUTHORIZED, "invoice"): (85, "autorisiert (Rechnung)"),
    (Simple.WAITING_FOR_SHIPMENT, "invoice"): (85, "autorisiert (Rechnung)"),
    (Simple.ACCEPTED, "invoice"): (86, "abgeschlossen (Rechnung offen)"),
    (Simple.PAID, "invoice"): (87, "abgeschlossen (Rechnung bezahlt)"),
    # Refund transactions never carry the invoice's labels (DOC:Read_a_Payment_Transaction).
    (Simple.ACCEPTED, "refund"): (6, "abgeschlossen"),
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


# Every method the API knows (PHP-SDK PaymentContext.php and the /prepare/{method} docblock;
# docs/provider.md, "Payment methods").
PAYMENT_METHODS = (
    "creditcard",
    "debit",
    "easycredit",
    "eps",
    "giropay",
    "invoice",
    "paypal",
    "prepaid",
    "sofort",
)
# Methods whose buyer pays later: authorised (and captured) before the money arrives.
PAY_LATER = ("prepaid", "invoice")
# The payment container a method leaves on the Smart Transaction (DEMO-M custom_checkout/
# Step3.php: debit → bank_account; payment_with_smart_checkout/Step3.php: creditcard →
# credit_card). Other methods show none in any recording.
CONTAINER_TYPES = {"debit": "bank_account", "creditcard": "credit_card"}


def payer_pays(method: str, simple: int) -> bool | None:
    """Whether reaching ``simple`` means the payer's money has arrived (None: no news on that).

    Accepted is enough for every method but invoice, whose capture (86) is "accepted" while the
    invoice is still open; an invoice is paid at simple 9 "paid" (status 87)."""
    if simple == Simple.PAID:
        return True
    if simple == Simple.ACCEPTED:
        return method != "invoice"
    if simple in (Simple.AUTHORIZED, Simple.PENDING, Simple.WAITING_FOR_SHIPMENT, Simple.DENIED):
        return False
    return None


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
    "easycredit": "easyCredit-Ratenkauf",
    "eps": "eps-Überweisung",
    "giropay": "giropay",
    "invoice": "Kauf auf Rechnung",
    "paypal": "PayPal",
    "prepaid": "Vorkasse",
    "sofort": "Sofortüberweisung",
}


def refund_product(method: str) -> str:
    # "Erstattung" or "PayPal Erstattung" (DOC:Read_a_Payment_Transaction).
    return "PayPal Erstattung" if method == "paypal" else "Erstattung"


# ``product_id`` per method. Recorded or documented: prepaid 36 (DEMO getSubTransactions.php),
# invoice ("Kauf auf Rechnung") 267 and PayPal 440 (the API reference's product table, "Get a list
# of payment transactions"). The others are the sandbox's own numbers.
PRODUCT_IDS = {
    "creditcard": 31,
    "debit": 32,
    "easycredit": 43,
    "eps": 44,
    "giropay": 45,
    "invoice": 267,
    "paypal": 440,
    "prepaid": 36,
    "sofort": 42,
    "refund": 40,
}

# What ``POST /General/Contracts/{id}/getAvailablePaymentMethods`` calls each method, in the
# recorded order (DEMO-M src/migrate/get_payment_methods.php: Creditcard, Debit, easyCredit, eps,
# Invoice, Paypal, Prepay, Sofort, Applepay, Googlepay). "Giropay" is not in the recording: the
# sandbox's guess, spelled like its neighbours.
GENERAL_METHOD_NAMES = {
    "creditcard": "Creditcard",
    "debit": "Debit",
    "easycredit": "easyCredit",
    "eps": "eps",
    "giropay": "Giropay",
    "invoice": "Invoice",
    "paypal": "Paypal",
    "prepaid": "Prepay",
    "sofort": "Sofort",
}
# Wallets the recorded answer lists after the others. They are no Smart Checkout method (no
# PaymentContext or /prepare value names them); the sandbox lists them for a contract that takes
# credit cards, the rails they run on (its own reading).
WALLET_NAMES = ("Applepay", "Googlepay")

# Smart Transaction statuses after the payment has been captured, by intent and delivery type.
STX_FINAL_CREATED = "created"
STX_OPEN = {"created"}
STX_PAYABLE = {"created", "failed"}


def captured_status(intent: str, delivery_type: str) -> str:
    """The Smart Transaction status once the payment is captured
    (DOC:Status_Flow_of_a_Smart_Transaction)."""
    if intent != Intent.ORDER:
        return "ok"
    return "collection" if delivery_type == DeliveryType.COLLECTION else "received"
