from __future__ import annotations

import logging

from secu_marketplace.redaction import MASK, RedactingFilter, redact, redact_text
from tests.helpers import guide_body


def test_customer_blocks_keep_only_object_and_id() -> None:
    data = {
        "customer": {
            "object": "payment.customers",
            "id": "PCU_X",
            "contact": {"email": "max@example.net"},
        },
        "basket_info": {"sum": 7785},
    }
    assert redact(data) == {
        "customer": {"object": "payment.customers", "id": "PCU_X", "redacted": True},
        "basket_info": {"sum": 7785},
    }


def test_the_guides_request_loses_every_personal_field_but_keeps_the_basket() -> None:
    body = guide_body()
    text = str(redact(body))
    for personal in ("Mustermann", "max@example.net", "+49 555", "Musterstr.", "1980-01-01"):
        assert personal not in text
    assert "Kaffeepads Aromata 20 Stück" in text
    assert "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7" in text


def test_secrets_are_masked_anywhere() -> None:
    data = {
        "client_secret": "s3cr3t",
        "nested": [{"access_token": "tok"}],
        "Authorization": "Bearer abc",
    }
    assert redact(data) == {
        "client_secret": MASK,
        "nested": [{"access_token": MASK}],
        "Authorization": MASK,
    }


def test_payment_instructions_stay_readable() -> None:
    data = {
        "payment_instructions": {
            "owner": "secupay AG",
            "iban": "DE81850400611005523759",
            "purpose": "TA 1",
        }
    }
    assert redact(data) == data


def test_payer_bank_data_outside_the_instructions_is_masked() -> None:
    data = {"incoming_payment_iban": "DE02120300000000202051", "iban": "DE02120300000000202051"}
    assert redact(data) == {"incoming_payment_iban": MASK, "iban": MASK}


def test_free_text() -> None:
    line = (
        "POST client_secret=abc&x=1 Authorization: Bearer qb56tjj1bcvo9n2nj4u38k84lo "
        "max@example.net DE02 1203 0000 0000 2020 51"
    )
    out = redact_text(line)
    assert "abc" not in out.split("client_secret=")[1][:5]
    assert "qb56tjj1bcvo9n2nj4u38k84lo" not in out
    assert "max@example.net" not in out
    assert "2020" not in out


def test_logging_filter_redacts_arguments() -> None:
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "payload %s from %s",
        ({"customer": {"id": "P"}}, "a@b.example"),
        None,
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "payload {'customer': {'id': 'P', 'redacted': True}} from " + MASK


def test_a_provider_error_keeps_no_buyer_data_for_the_audit_trail() -> None:
    from secu_marketplace.exceptions import ApiError

    error = ApiError(
        "secuconnect answered 400",
        http_status=400,
        body={
            "status": "error",
            "error": "ProductBadRequestException",
            "error_details": "Invalid e-mail max.mustermann@example.net for DE89370400440532013000",
            "code": 4001,
        },
    )
    stored = str(error.as_dict())
    assert "max.mustermann@example.net" not in stored
    assert "DE89370400440532013000" not in stored
    assert error.as_dict()["code"] == 4001
    assert error.as_dict()["error"] == "ProductBadRequestException"
