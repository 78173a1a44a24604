"""``{% load secu_money %}`` then ``{{ order.total|money:order.currency }}`` → "72.85 EUR";
``{{ iban|in_fours }}`` groups an IBAN for reading, ``{{ iban|ungrouped }}`` for copying;
``{% secu_chip chip %}`` shows a payment or shipping state in words and colour."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from secu_marketplace.money import format_money
from secu_marketplace.read.words import Chip

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


@register.simple_tag
def secu_chip(chip: Chip | None) -> str:
    """``{% secu_chip chip %}``: a ``read.words.Chip`` as text on its colour ("–" for none)."""
    if chip is None:
        return format_html('<span class="secu-chip secu-chip-none">{}</span>', "–")
    return format_html(
        '<span class="secu-chip secu-chip-{}" data-chip="{}">{}</span>',
        chip.tone,
        chip.key,
        chip.label,
    )
