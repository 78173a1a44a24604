"""The headless JSON API (``pip install django-secu-marketplace[api]``; docs/headless.md).

For a shop whose front end (React, an app) talks JSON: start or resume the checkout of an order
(answers the URL to send the buyer to), read the order's payment state and the buyer's summary,
and the payment methods its suppliers accept. Built on Django REST framework with an OpenAPI 3
schema (drf-spectacular). Include ``secu_marketplace.api.urls``, e.g. at ``api/``.

Like the buyer's HTML pages, the endpoints are authorised by the order's public token in the URL:
no session, no CSRF token, and nothing here moves money (capture, refunds and shipping stay with
staff: the admin, ``services.capture``/``refunds``/``shipping``). Nothing outside this package
imports it, so the app works without Django REST framework installed.
"""
