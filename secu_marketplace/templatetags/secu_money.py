"""``{% load secu_money %}`` then ``{{ order.total|money:order.currency }}`` → "72.85 EUR"."""

from __future__ import annotations

from django import template

from secu_marketplace.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "EUR") -> str:
    if minor is None or minor == "":
        return ""
    return format_money(int(minor), currency or "EUR")
