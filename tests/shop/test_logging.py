"""The demo's logging masks the signed tokens of return and push URLs on every handler,
Django's own loggers included ("django.request" logs a failed request's path, "django.server"
every request line)."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from demo_project import settings as demo
from secu_marketplace import links
from secu_marketplace.models import CheckoutAttempt
from tests.factories import guide_order


@pytest.fixture
def demo_logging() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    config: dict[str, Any] = {**demo.LOGGING}
    config["handlers"] = {
        name: {**handler, **({"stream": stream} if "StreamHandler" in handler["class"] else {})}
        for name, handler in demo.LOGGING["handlers"].items()
    }
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)  # the test run's own again


@pytest.mark.django_db
def test_a_push_token_in_djangos_request_log_is_masked(demo_logging: io.StringIO) -> None:
    order = guide_order()
    attempt = CheckoutAttempt.objects.create(
        order=order,
        number=1,
        stx_id="STX_" + "A" * 30,
        amount=order.total,
        currency=order.currency,
        contract_id="GCR_" + "C" * 30,
    )
    path = links.push_path(attempt)
    token = links.push_token(attempt)
    assert token in path
    logging.getLogger("django.request").error("Service Unavailable: %s", path)
    logging.getLogger("django.server").info('"POST %s HTTP/1.1" 503 52', path)
    written = demo_logging.getvalue()
    assert "Service Unavailable" in written
    assert "HTTP/1.1" in written
    assert token not in written


def test_every_handler_of_the_demo_masks() -> None:
    for name, handler in demo.LOGGING["handlers"].items():
        assert "redact" in handler.get("filters", []), name
