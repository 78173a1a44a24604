"""``{% load secu_money %}`` then ``{{ order.total|money:order.currency }}`` → "72.85 EUR";
``{{ iban|in_fours }}`` groups an IBAN for reading, ``{{ iban|ungrouped }}`` for copying."""

from __future__ import annotations

from django import template

from secu_marketplace.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "EUR") -> str:
    if minor is None or minor == "":
        return ""
    return format_money(int(minor), currency or "EUR")


@register.filter
def ungrouped(value: object) -> str:
    """ "DE81 8504 0061" → "DE81850400611": what a banking app wants pasted."""
    return "".join(str(value or "").split())


@register.filter
def in_fours(value: object) -> str:
    """An IBAN as it is read aloud and printed: "DE81 8504 0061 1005 5237 59"."""
    compact = ungrouped(value)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
