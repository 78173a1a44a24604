"""Read-only renderings for the order page: sub-baskets with their items, JSON snapshots."""

from __future__ import annotations

import json
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from secu_marketplace.money import format_money
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


def items_table(lines: list[Any], currency: str) -> SafeString:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td style='text-align:right'>{}</td>"
        "<td style='text-align:right'>{}</td>"
        "<td style='text-align:right'>{} %</td><td style='text-align:right'>{}</td></tr>",
        (
            (
                line.get_kind_display(),
                line.description,
                line.quantity,
                format_money(line.unit_price, currency),
                line.tax_rate,
                format_money(line.total, currency),
            )
            for line in lines
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        _("kind"),
        _("description"),
        _("quantity"),
        _("unit price"),
        _("VAT"),
        _("amount"),
        rows,
    )
