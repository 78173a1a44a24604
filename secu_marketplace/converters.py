"""URL converters that check public input before any view (or database) sees it."""

from __future__ import annotations

from django.urls import register_converter


class PublicToken:
    """``Order.public_token``: ``secrets.token_urlsafe`` text. Anything else (a NUL byte, which
    PostgreSQL refuses in text, or a megabyte of junk) is a 404 without a query."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SignedToken:
    """An attempt's signed token (``links.token_for``): ``key:signature``, URL-safe text."""

    regex = "[A-Za-z0-9_:-]{1,200}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# Registered once, when this module is first imported (by the app's and a shop's URLconfs).
register_converter(PublicToken, "public_token")
register_converter(SignedToken, "signed_token")
