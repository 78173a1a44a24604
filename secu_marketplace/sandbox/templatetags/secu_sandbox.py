"""The sandbox's template filters: the app's ``money`` filter under the sandbox's name."""

from __future__ import annotations

from secu_marketplace.templatetags.secu_money import register

__all__ = ["register"]
