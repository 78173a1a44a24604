"""The hosted checkout page at ``/sandbox/checkout/<STX>/``: Smart Checkout played for a tester."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from secu_marketplace.sandbox import smart_ops
from secu_marketplace.sandbox.models import Customer, PaymentTransaction, SmartTransaction
from secu_marketplace.sandbox.statuses import PAYMENT_METHODS, Simple
from tests.helpers import SandboxApi, guide_body

from .conftest import plain_body

CUSTOMER_FORM = {
    "forename": "Jana",
    "surname": "Beispiel",
    "email": "jana@example.net",
    "street": "Ringstraße",
    "street_number": "7",
    "postal_code": "50667",
    "city": "Köln",
    "country": "de",
}


def _page(stx: dict[str, Any], query: str = "") -> str:
    return f"/sandbox/checkout/{stx['id']}/{query}"


def _html(response: Any) -> str:
    return response.content.decode()


def _methods(html: str) -> list[str]:
    return re.findall(r'name="method" value="([a-z]+)"', html)


def _guide_without_customer() -> dict[str, Any]:
    body = guide_body()
    del body["customer"]
    return body


# --- What the page shows ---------------------------------------------------------------------


@pytest.mark.parametrize("intent", ["order", "sale"])
def test_the_links_in_the_answer_open_the_page(api: SandboxApi, intent: str) -> None:
    body = guide_body()
    body["intent"] = intent
    stx = api.create(body)
    client = Client()
    # Intent order answers only checkout_links, intent sale only payment_links (DEMO Step2).
    if intent == "order":
        assert "payment_links" not in stx
        urls = [stx["checkout_links"]["url_checkout"]]
    else:
        assert "checkout_links" not in stx
        urls = list(stx["payment_links"].values())
        assert set(stx["payment_links"]) == {"general", *PAYMENT_METHODS}
    for url in urls:
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/html; charset=utf-8"


def test_page_in_german_shows_merchant_suppliers_and_totals(api: SandboxApi) -> None:
    stx = api.create(guide_body())  # application_context.language "de"
    html = _html(Client().get(_page(stx)))
    assert '<html lang="de">' in html
    assert "Mustermarktplatz GmbH" in html
    assert "Ihre Bestellung" in html
    assert "Gesamtbetrag" in html
    assert "Zwischensumme" in html
    assert "Zahlungsart" in html
    sections = re.findall(r'<section class="sub-basket" data-reference="(sb\d)">', html)
    assert sections == ["sb0", "sb1"]
    assert "Musterhändler Kaffee &amp; Tee" in html
    assert "Musterhändler Einrichtung" in html
    assert "Kaffeepads Aromata 20 Stück" in html
    assert "Magnettafel 70x50 cm" in html
    # Amounts in German notation.
    for amount in ("19,95", "39,90", "4,50", "44,40", "29,95", "3,50", "33,45"):
        assert f"{amount} EUR" in html, amount
    assert '<span id="total">77,85 EUR</span>' in html
    assert "77,85 EUR bezahlen" in html
    # The marketplace's fee is not the buyer's business.
    assert "Marktplatzgebühr" not in html
    assert "0,80 EUR" not in html
    assert "0,70 EUR" not in html
    # Usable without JavaScript.
    assert "<script" not in html
    assert '<form method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_page_in_english(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    html = _html(Client().get(_page(stx, "?lang=en")))
    assert '<html lang="en">' in html
    assert "Your order" in html
    assert "Total" in html
    assert "Ihre Bestellung" not in html
    assert "Pay 77.85 EUR" in html


def test_language_from_application_context(api: SandboxApi) -> None:
    stx = api.create(plain_body(language="en"))
    assert "Your order" in _html(Client().get(_page(stx)))
    assert "Ihre Bestellung" in _html(Client().get(_page(stx, "?lang=de")))
    # An unknown language falls back to German.
    assert "Ihre Bestellung" in _html(Client().get(_page(stx, "?lang=fr")))


def test_regular_basket_is_one_group_with_the_coupon_subtracted(api: SandboxApi) -> None:
    stx = api.create(plain_body(language="en"))
    html = _html(Client().get(_page(stx)))
    assert len(re.findall(r'<section class="sub-basket"', html)) == 1
    assert "<h3>Mustermarktplatz GmbH</h3>" in html
    assert "Gutschein" in html
    assert "-2.00 EUR" in html
    assert '<span id="total">22.95 EUR</span>' in html


def test_asks_for_customer_details_only_when_none_were_given(api: SandboxApi) -> None:
    without = api.create(_guide_without_customer())
    html = _html(Client().get(_page(without, "?lang=en")))
    for field in CUSTOMER_FORM:
        assert f'name="{field}"' in html, field
    assert "Your details" in html

    with_customer = api.create(guide_body())
    html = _html(Client().get(_page(with_customer, "?lang=en")))
    assert 'name="forename"' not in html
    assert "Max Mustermann" in html
    assert "max@example.net" in html


def test_offers_all_methods_by_default(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    assert _methods(_html(Client().get(_page(stx)))) == list(PAYMENT_METHODS)


def test_offers_only_the_allowed_methods(api: SandboxApi) -> None:
    stx = api.create(plain_body(methods=["prepaid", "invoice"]))
    assert _methods(_html(Client().get(_page(stx)))) == ["prepaid", "invoice"]
    assert _methods(_html(Client().get(_page(stx, "?method=invoice")))) == ["invoice"]
    # A method the transaction does not allow is not offered, even when asked for.
    assert _methods(_html(Client().get(_page(stx, "?method=debit")))) == ["prepaid", "invoice"]


def test_per_method_link_offers_one_method(api: SandboxApi) -> None:
    body = guide_body()
    body["intent"] = "sale"
    stx = api.create(body)
    url = stx["payment_links"]["paypal"].removeprefix("http://testserver")
    html = _html(Client().get(url))
    assert _methods(html) == ["paypal"]
    assert "checked" in re.search(r'<input type="radio" name="method"[^>]*>', html).group(0)  # type: ignore[union-attr]


# --- Submitting -------------------------------------------------------------------------------


def test_success_authorises_and_redirects_to_url_success(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    response = Client().post(_page(stx), {"method": "creditcard", "outcome": "success"})
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/SUCCEESS"
    after = api.stx(stx["id"])
    assert after["status"] == "received"  # intent order, auto_capture
    assert after["payment_method"] == "creditcard"
    assert [t.get("reference_id") for t in after["transactions"]] == [None, "sb0", "sb1"]
    for t in after["transactions"]:
        assert api.pci(t["id"])["details"]["status_simple"] == Simple.ACCEPTED


def test_prepaid_through_the_page(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    response = Client().post(_page(stx), {"method": "prepaid", "outcome": "success"})
    assert response["Location"] == "https://shop.example.com/ok"
    after = api.stx(stx["id"])
    assert after["status"] == "pending"
    assert after["payment_instructions"]["purpose"] == f"TA {after['trans_id']}"
    assert after["payment_instructions"]["girocode_url"].startswith(
        "http://testserver/sandbox/qr/epc?stx="
    )


def test_declined_redirects_to_url_error_and_can_be_retried(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    client = Client()
    response = client.post(_page(stx), {"method": "debit", "outcome": "declined"})
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/FAILURE"
    failed = api.stx(stx["id"])
    assert failed["status"] == "failed"
    html = _html(client.get(_page(stx, "?lang=en")))
    assert "The last attempt was declined" in html
    response = client.post(_page(stx), {"method": "debit", "outcome": "success"})
    assert response["Location"] == "https://shop.example.com/SUCCEESS"
    after = api.stx(stx["id"])
    assert after["status"] == "received"
    assert not {t["id"] for t in after["transactions"]} & {t["id"] for t in failed["transactions"]}


def test_abort_redirects_to_url_abort_and_leaves_the_transaction(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    response = Client().post(_page(stx), {"action": "abort"})
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/DENIAL"
    assert api.stx(stx["id"])["status"] == "created"
    assert not PaymentTransaction.objects.exists()


def test_abort_without_url_abort_uses_url_error(api: SandboxApi) -> None:
    body = guide_body()
    del body["application_context"]["return_urls"]["url_abort"]
    stx = api.create(body)
    response = Client().post(_page(stx), {"action": "abort"})
    assert response["Location"] == "https://shop.example.com/FAILURE"


def test_abort_without_any_url_shows_a_page(api: SandboxApi) -> None:
    body = plain_body(language="en")
    body["application_context"]["return_urls"] = {}
    stx = api.create(body)
    # Nowhere to go back to: Smart Checkout does not offer to abort.
    assert 'value="abort"' not in _html(Client().get(_page(stx)))
    response = Client().post(_page(stx), {"action": "abort"})
    assert response.status_code == 200
    assert "You cancelled the payment." in _html(response)
    assert api.stx(stx["id"])["status"] == "created"


def test_abort_is_offered_with_a_return_url(api: SandboxApi) -> None:
    stx = api.create(plain_body())
    assert 'name="action" value="abort"' in _html(Client().get(_page(stx)))


def test_success_without_url_success_shows_a_page(api: SandboxApi) -> None:
    body = plain_body(language="en")
    body["application_context"]["return_urls"] = {}
    stx = api.create(body)
    response = Client().post(_page(stx), {"method": "debit", "outcome": "success"})
    assert response.status_code == 200
    assert "already been completed (status: ok)" in _html(response)


def test_customer_details_from_the_form(api: SandboxApi) -> None:
    stx = api.create(_guide_without_customer())
    response = Client().post(
        _page(stx), {"method": "invoice", "outcome": "success", **CUSTOMER_FORM}
    )
    assert response.status_code == 302, _html(response)
    contact = api.stx(stx["id"])["customer"]["contact"]
    assert contact["name"] == "Jana Beispiel"
    assert contact["email"] == "jana@example.net"
    assert contact["address"] == {
        "street": "Ringstraße",
        "street_number": "7",
        "postal_code": "50667",
        "city": "Köln",
        "country": "DE",
    }


def test_missing_customer_details_are_asked_again(api: SandboxApi) -> None:
    stx = api.create(_guide_without_customer())
    data = {"method": "debit", "outcome": "success", **CUSTOMER_FORM}
    del data["email"]
    response = Client().post(_page(stx, "?lang=en"), data)
    assert response.status_code == 200
    assert "errorlist" in _html(response)
    assert api.stx(stx["id"])["status"] == "created"
    assert not Customer.objects.exists()
    assert not PaymentTransaction.objects.exists()


@pytest.mark.parametrize("method", ["bitcoin", "debit", ""])
def test_a_method_that_is_not_offered_is_refused(api: SandboxApi, method: str) -> None:
    stx = api.create(plain_body(methods=["prepaid"]))
    response = Client().post(_page(stx), {"method": method, "outcome": "success"})
    assert response.status_code == 200
    assert "errorlist" in _html(response)
    assert not PaymentTransaction.objects.exists()


def test_an_authorisation_error_is_shown_on_the_page(api: SandboxApi) -> None:
    body = plain_body(language="en")
    del body["customer"]["contact"]["address"]
    stx = api.create(body)
    response = Client().post(_page(stx), {"method": "invoice", "outcome": "success"})
    assert response.status_code == 200
    assert "invoice payment needs the customer&#x27;s address" in _html(response)
    assert api.stx(stx["id"])["status"] == "created"


def test_csrf_token_round_trip(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    client = Client(enforce_csrf_checks=True)
    assert client.post(_page(stx), {"method": "debit", "outcome": "success"}).status_code == 403
    html = _html(client.get(_page(stx)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = client.post(
        _page(stx), {"method": "debit", "outcome": "success", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert api.stx(stx["id"])["status"] == "received"


# --- Pages that cannot be paid -----------------------------------------------------------------


def test_already_finished_transaction(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    client = Client()
    client.post(_page(stx), {"method": "debit", "outcome": "success"})
    response = client.get(_page(stx, "?lang=en"))
    assert response.status_code == 409
    html = _html(response)
    assert "already been completed (status: received)" in html
    assert 'href="https://shop.example.com/SUCCEESS"' in html
    german = _html(client.get(_page(stx)))
    assert "bereits abgeschlossen (Status: received)" in german
    # Posting again changes nothing.
    again = client.post(_page(stx), {"method": "debit", "outcome": "success"})
    assert again.status_code == 409
    assert PaymentTransaction.objects.count() == 3


def test_cancelled_transaction(api: SandboxApi) -> None:
    stx = api.create(plain_body(language="en"))
    api.post(f"/api/v2/Smart/Transactions/{stx['id']}/abort")
    response = Client().get(_page(stx))
    assert response.status_code == 409
    html = _html(response)
    assert "cancelled by the shop" in html
    assert 'href="https://shop.example.com/error"' in html


@pytest.mark.parametrize("how", ["ttl-setting", "old-transaction", "old-failed-transaction"])
def test_expired_transaction(api: SandboxApi, how: str) -> None:
    stx = api.create(guide_body())
    if how == "old-failed-transaction":
        api.prepare(stx["id"], "debit", outcome="declined")
    if how.startswith("old-"):
        SmartTransaction.objects.filter(stx_id=stx["id"]).update(
            created=timezone.now() - timedelta(days=2)
        )
        settings: dict[str, Any] = {"PUSH_MODE": "manual"}
    else:
        settings = {"PUSH_MODE": "manual", "CHECKOUT_TTL": -1}
    with override_settings(SECU_SANDBOX=settings):
        response = Client().get(_page(stx, "?lang=en"))
        assert response.status_code == 410
        assert "This checkout has expired" in _html(response)
        assert "abgelaufen" in _html(Client().get(_page(stx)))
        posted = Client().post(_page(stx), {"method": "debit", "outcome": "success"})
        assert posted.status_code == 410
        assert PaymentTransaction.objects.filter(unlinked=False, status_simple=1).count() == 0
        # The API refuses to authorise it too.
        answer = api.prepare(stx["id"], "debit")
        assert answer.status == 409
        assert "expired" in answer.json()["error_details"]


def test_fresh_transaction_is_not_expired(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    with override_settings(SECU_SANDBOX={"PUSH_MODE": "manual", "CHECKOUT_TTL": 3600}):
        assert Client().get(_page(stx)).status_code == 200


def test_unknown_transaction_is_a_404_page(sandbox_world: object) -> None:
    response = Client().get("/sandbox/checkout/STX_DOESNOTEXIST0000000000000000/")
    assert response.status_code == 404
    html = _html(response)
    assert "Zahlung nicht gefunden" in html
    assert "STX_" not in html or "Checkout-Link" in html
    english = Client().get("/sandbox/checkout/STX_DOESNOTEXIST0000000000000000/?lang=en")
    assert english.status_code == 404
    assert "Payment not found" in _html(english)
    assert Client().post("/sandbox/checkout/STX_NOPE/", {}).status_code == 404


def test_paid_before_the_page_was_submitted(api: SandboxApi) -> None:
    stx = api.create(plain_body(language="en"))
    client = Client()
    assert client.get(_page(stx)).status_code == 200  # the tester opened the page...
    api.prepare(stx["id"], "debit")  # ...and it was paid elsewhere
    response = client.post(_page(stx), {"method": "debit", "outcome": "success"})
    assert response.status_code == 409
    assert "already been completed (status: ok)" in _html(response)
    assert PaymentTransaction.objects.count() == 1


def test_paid_in_another_tab_while_submitting(
    api: SandboxApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    stx = api.create(plain_body(language="en"))
    real = smart_ops.authorise

    def racing(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the other tab wins the row lock first
        return real(*args, **kwargs)

    monkeypatch.setattr(smart_ops, "authorise", racing)
    response = Client().post(_page(stx), {"method": "debit", "outcome": "success"})
    assert response.status_code == 409
    assert "already been completed (status: ok)" in _html(response)
    assert PaymentTransaction.objects.count() == 1


def test_page_methods(api: SandboxApi) -> None:
    stx = api.create(guide_body())
    assert Client().put(_page(stx)).status_code == 405
