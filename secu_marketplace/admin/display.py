"""Read-only renderings for the order page: sub-baskets with their items, JSON snapshots; and
what staff read when an action failed."""

from __future__ import annotations

import json
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from secu_marketplace.exceptions import AuthenticationError
from secu_marketplace.money import format_money
from secu_marketplace.provider.answers import InstrumentKind, parse_smart
from secu_marketplace.redaction import redact

# What staff read for secuconnect's payment method codes (statuses.PAYMENT_METHODS).
PAYMENT_METHOD_LABELS: dict[str, Promise] = {
    "creditcard": pgettext_lazy("payment method", "Credit card"),
    "debit": pgettext_lazy("payment method", "Direct debit"),
    "invoice": pgettext_lazy("payment method", "Invoice"),
    "paypal": pgettext_lazy("payment method", "PayPal"),
    "prepaid": pgettext_lazy("payment method", "Prepayment"),
    "sofort": pgettext_lazy("payment method", "Sofort"),
    "easycredit": pgettext_lazy("payment method", "easyCredit"),
}


def payment_method_label(code: str) -> str:
    """The method's name; an unknown code as it came, none as a dash."""
    if not code:
        return "–"
    return str(PAYMENT_METHOD_LABELS.get(code, code))


INSTRUMENT_LABELS: dict[str, Promise] = {
    InstrumentKind.BANK_ACCOUNT: pgettext_lazy("payment instrument", "bank account"),
    InstrumentKind.CREDIT_CARD: pgettext_lazy("payment instrument", "credit card"),
}


def instrument_label(snapshot: Any) -> str:
    """The payment instrument a Smart Transaction was paid with, as far as its answer says:
    "bank account PCT_…". The answer carries no masked account or card number (DEMO-M Step3
    outputs), so neither does this; "" when there is no container."""
    container = parse_smart(snapshot).container if isinstance(snapshot, dict) else None
    if container is None:
        return ""
    kind = INSTRUMENT_LABELS.get(container.kind, container.kind or "?")
    return f"{kind} {container.id}"


def pretty_json(data: Any) -> SafeString:
    if not data:
        return format_html("<span>{}</span>", "–")
    # Snapshots are stored redacted; redact again in case an older row predates a rule.
    text = json.dumps(redact(data), indent=2, ensure_ascii=False, sort_keys=True)
    return format_html(
        '<details><summary>{}</summary><pre style="white-space: pre-wrap; max-height: 30rem; '
        'overflow: auto">{}</pre></details>',
        _("show"),
        text,
    )


def items_list(lines: list[Any], currency: str) -> SafeString:
    """A sub-basket's lines, one per row ("2 × Kaffeepads · 39.90 EUR, 19 % VAT"): a list
    rather than a nested table, so the sub-baskets' table fits a laptop screen."""
    rows = format_html_join(
        "",
        "<li>{} × {}{} · <span class='secu-money'>{}</span>, {}</li>",
        (
            (
                line.quantity,
                line.description,
                "" if line.kind == "article" else f" ({line.get_kind_display()})",
                format_money(line.total, currency),
                _("%(rate)s %% VAT") % {"rate": line.tax_rate},
            )
            for line in lines
        ),
    )
    return format_html("<ul class='secu-items'>{}</ul>", rows)


def explain(error: Exception) -> str:
    """What staff read when an action could not be done; every provider error has one."""
    if isinstance(error, AuthenticationError):
        return _(
            "secuconnect refused the shop's credentials (CLIENT_ID / CLIENT_SECRET): nothing "
            "was done. Check the settings, or ask secupay whether they were revoked. (%(error)s)"
        ) % {"error": error}
    return str(error)
