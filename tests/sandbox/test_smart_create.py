"""``POST /api/v2/Smart/Transactions``: the guide's example, the answer's shape, validation."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from secu_marketplace.sandbox import control, world
from secu_marketplace.sandbox.models import Customer, SmartTransaction
from tests.helpers import SandboxApi, guide_body

from .conftest import CUSTOMER, plain_body

CREATE = "/api/v2/Smart/Transactions"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _error(answer: Any, status: int = 400) -> dict[str, Any]:
    assert answer.status == status, answer.text
    body = answer.json()
    assert body["status"] == "error"
    assert re.fullmatch(r"[0-9a-f]{32}", body["supportId"])
    assert body["error_user"] == f"Es ist ein unbekannter Fehler aufgetreten (Code {body['code']})"
    return body


# --- The guide's example ------------------------------------------------------------------


def test_guide_literal_is_refused_naming_sb0_and_both_sums(api: SandboxApi) -> None:
    control.reset_calls()
    answer = api.post(CREATE, guide_body(corrected=False))
    error = _error(answer)
    assert error["error"] == "ProductBadRequestException"
    assert error["code"] == 1001
    details = error["error_details"]
    assert "sb0" in details
    assert "3940" in details
    assert "4440" in details
    assert "basket.products[0]" in details
    assert answer.headers["Content-Type"] == "application/json"
    assert not SmartTransaction.objects.exists()
    assert control.count("smart.create", status=400) == 1
    assert control.count("smart.create", status=200) == 0


def test_guide_with_only_the_sub_basket_sum_fixed_is_refused_for_the_total(
    api: SandboxApi,
) -> None:
    body = guide_body(corrected=False)
    body["basket"]["products"][0]["sum"] = 4440  # basket_info.sum stays 7285
    details = _error(api.post(CREATE, body))["error_details"]
    assert "basket_info.sum" in details
    assert "7285" in details
    assert "7785" in details


def test_guide_corrected_is_accepted_with_every_field(api: SandboxApi) -> None:
    control.reset_calls()
    stx = api.create(guide_body())
    assert control.count("smart.create", status=200) == 1
    assert SmartTransaction.objects.count() == 1

    assert stx["object"] == "smart.transactions"
    assert re.fullmatch(r"STX_[A-Z0-9]{30}", stx["id"])
    assert stx["merchant"] == {
        "object": "general.merchants",
        "id": world.GUIDE_MERCHANT_ID,
        "companyname": "Mustermarktplatz GmbH",
    }
    assert stx["contract"] == {"object": "general.contracts", "id": world.GUIDE_CONTRACT}
    assert stx["provider_contract"] == {
        "object": "general.contracts",
        "id": world.GUIDE_PROVIDER_CONTRACT,
    }
    customer = stx["customer"]
    assert customer["object"] == "payment.customers"
    assert re.fullmatch(r"PCU_[A-Z0-9]{30}", customer["id"])
    contact = customer["contact"]
    assert contact["name"] == "Max Mustermann"
    assert contact["forename"] == "Max"
    assert contact["surname"] == "Mustermann"
    assert contact["phone"] == "+495555555555"
    assert contact["mobile"] == "+491775555555"
    assert contact["dob"] == "1980-01-01T00:00:00+01:00"
    assert contact["email"] == "max@example.net"
    assert contact["address"] == {
        "street": "Musterstr.",
        "street_number": "55a",
        "additional_address_data": "Whg. 203",
        "postal_code": "09123",
        "city": "Musterstadt",
        "country": "DE",
    }
    assert stx["transactions"] == []
    for key in ("created", "updated"):
        assert ISO_WITH_OFFSET.match(stx[key]), stx[key]
        assert datetime.fromisoformat(stx[key]).utcoffset() is not None
    assert stx["status"] == "created"
    assert stx["intent"] == "order"
    assert stx["is_demo"] is True
    assert stx["merchantRef"] is None
    assert stx["transactionRef"] is None

    basket = stx["basket"]
    assert basket["type"] == "mixed"
    sb0, sb1 = basket["products"]
    assert (sb0["reference_id"], sb0["sum"], sb0["contract_id"]) == (
        "sb0",
        4440,
        "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7",
    )
    assert (sb1["reference_id"], sb1["sum"], sb1["contract_id"]) == (
        "sb1",
        3345,
        "GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30",
    )
    article, shipping, fee = sb0["sub_basket"]
    # What was sent or derived, no null-filled keys (DEMO custom_checkout_for_marketplace/Step2).
    assert article == {
        "id": 1,
        "item_type": "article",
        "desc": "Kaffeepads Aromata 20 Stück",
        "articleNumber": "1",
        "quantity": 2,
        "priceOne": 1995,
        "tax": 19,
    }
    assert None not in shipping.values()
    assert shipping["item_type"] == "shipping"
    assert shipping["desc"] == "Standardversand"  # sent as "name" by the guide
    assert shipping["priceOne"] == 450
    assert fee == {
        "item_type": "stakeholder_payment",
        "desc": "Marktplatzgebühr",
        "reference_id": "fee",
        "contract_id": world.GUIDE_CONTRACT,
        "sum": 80,
    }
    assert stx["basket_info"] == {"sum": 7785, "currency": "EUR"}
    assert stx["delivery_options"] == {"type": "shipping"}
    assert stx["application_context"] == {
        "checkout_template": "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2",
        "language": "de",
        "return_urls": {
            "url_success": "https://shop.example.com/SUCCEESS",
            "url_error": "https://shop.example.com/FAILURE",
            "url_abort": "https://shop.example.com/DENIAL",
        },
    }
    assert stx["payment_context"] == {"auto_capture": True}

    checkout = f"http://testserver/sandbox/checkout/{stx['id']}/"
    # Intent order: only the checkout link (DEMO api_integration_of_smart_checkout/Step2).
    assert stx["checkout_links"] == {"url_checkout": checkout}
    assert "payment_links" not in stx
    # Nothing authorised yet: no method, no TA number, no instructions.
    assert "payment_method" not in stx
    assert "trans_id" not in stx
    assert "payment_instructions" not in stx


def test_get_answers_what_create_answered(api: SandboxApi) -> None:
    created = api.create(guide_body())
    assert api.stx(created["id"]) == created


def test_ids_are_unique(api: SandboxApi) -> None:
    ids = {api.create(plain_body())["id"] for _ in range(5)}
    assert len(ids) == 5


def test_regular_basket_defaults(api: SandboxApi) -> None:
    body = plain_body()
    del body["intent"]
    del body["payment_context"]
    del body["basket_info"]["currency"]
    del body["application_context"]["language"]
    stx = api.create(body)
    assert stx["basket"]["type"] == "default"
    assert [p["item_type"] for p in stx["basket"]["products"]] == ["article", "shipping", "coupon"]
    assert stx["basket"]["products"][1]["quantity"] == 1
    assert stx["basket"]["products"][1]["tax"] == 0
    assert stx["basket_info"] == {"sum": 2295, "currency": "EUR"}
    assert stx["intent"] == "sale"
    assert stx["payment_context"] == {"auto_capture": False}
    assert stx["application_context"]["language"] == "de"
    assert stx["delivery_options"] == {}
    assert stx["merchantRef"] == "ORDER-1"
    assert stx["transactionRef"] == "Shop ORDER-1"
    assert stx["is_demo"] is False
    assert stx["contract"]["id"] == world.GUIDE_CONTRACT


def test_intent_order_defaults_to_shipping(api: SandboxApi) -> None:
    assert api.create(plain_body(intent="order"))["delivery_options"] == {"type": "shipping"}
    stx = api.create(plain_body(intent="order", delivery_type="collection"))
    assert stx["delivery_options"] == {"type": "collection"}


def test_contract_defaults_to_the_clients_own(api: SandboxApi) -> None:
    body = plain_body()
    del body["contract"]
    assert api.create(body)["contract"]["id"] == world.GUIDE_CONTRACT


def test_without_a_basket_basket_info_sum_is_enough(api: SandboxApi) -> None:
    stx = api.create({"basket_info": {"sum": 1234, "currency": "EUR"}})
    assert stx["basket"] is None
    assert stx["basket_info"] == {"sum": 1234, "currency": "EUR"}
    assert stx["customer"] is None


def test_gratuity_is_echoed(api: SandboxApi) -> None:
    body = plain_body()
    body["basket_info"]["gratuity"] = 100
    assert api.create(body)["basket_info"] == {"sum": 2295, "currency": "EUR", "gratuity": 100}


def test_payment_links_follow_payment_methods(api: SandboxApi) -> None:
    stx = api.create(plain_body(methods=["prepaid", "creditcard"]))
    assert set(stx["payment_links"]) == {"general", "prepaid", "creditcard"}
    assert stx["payment_links"]["prepaid"].endswith(f"/checkout/{stx['id']}/?method=prepaid")
    assert stx["payment_context"]["payment_methods"] == ["prepaid", "creditcard"]


def test_existing_customer_by_id(api: SandboxApi) -> None:
    first = api.create(plain_body())
    pcu = first["customer"]["id"]
    body = plain_body(customer=False)
    body["customer"] = {"id": pcu}
    second = api.create(body)
    assert second["customer"] == first["customer"]
    assert Customer.objects.count() == 1


def test_contact_normalisation_details(api: SandboxApi) -> None:
    body = plain_body(customer=False)
    body["customer"] = {
        "contact": {
            "companyname": "Beispiel AG",
            "phone": " +49 (0)30  12 34 ",
            "fax": "+49 30 9",
            "address": {"country": "de", "city": "Köln"},
        }
    }
    contact = api.create(body)["customer"]["contact"]
    assert contact["name"] == "Beispiel AG"  # no person's name: the company's
    assert contact["phone"] == "+49(0)301234"
    assert contact["fax"] == "+49309"
    assert contact["address"] == {"country": "DE", "city": "Köln"}


def test_string_numbers_for_ints_and_int_article_numbers_are_accepted(api: SandboxApi) -> None:
    # The documentation itself sends articleNumber 1 and tax "19".
    body = plain_body()
    body["basket"]["products"][0].update({"articleNumber": 42, "tax": "19", "quantity": "2"})
    product = api.create(body)["basket"]["products"][0]
    assert (product["articleNumber"], product["tax"], product["quantity"]) == ("42", 19, 2)


def test_return_url_of_exactly_2000_characters_is_accepted(api: SandboxApi) -> None:
    body = plain_body()
    prefix = "https://shop.example.com/ok?x="
    body["application_context"]["return_urls"]["url_success"] = prefix + "a" * (2000 - len(prefix))
    stx = api.create(body)
    assert len(stx["application_context"]["return_urls"]["url_success"]) == 2000


def test_stakeholder_payment_equal_to_the_sum_is_accepted(api: SandboxApi) -> None:
    body = guide_body()
    body["basket"]["products"][1]["sub_basket"][2]["sum"] = 3345
    assert api.create(body)["basket"]["products"][1]["sub_basket"][2]["sum"] == 3345


# --- Validation errors --------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()
LONG_URL = "https://shop.example.com/" + "x" * 1976  # 2001 characters


PLAIN_CASES: list[tuple[str, Mutation, list[str]]] = [
    # Values of the wrong JSON type are refused as secuconnect refuses them, never a 500.
    (
        "item_type-not-a-string",
        _set("basket.products.1.item_type", ["shipping"]),
        ["basket.products[1].item_type"],
    ),
    (
        "checkout_template-not-a-string",
        _set("application_context.checkout_template", {"id": "COT_X"}),
        ["application_context.checkout_template"],
    ),
    (
        "language-not-a-string",
        _set("application_context.language", ["de"]),
        ["application_context.language"],
    ),
    ("desc-required", _set("basket.products.0.desc", _DELETE), ["basket.products[0].desc"]),
    (
        "priceOne-missing",
        _set("basket.products.0.priceOne", _DELETE),
        ["basket.products[0].priceOne", "integer"],
    ),
    (
        "priceOne-float",
        _set("basket.products.0.priceOne", 10.5),
        ["basket.products[0].priceOne", "integer"],
    ),
    (
        "priceOne-negative",
        _set("basket.products.0.priceOne", -1),
        ["basket.products[0].priceOne", "at least 0"],
    ),
    (
        "quantity-text",
        _set("basket.products.0.quantity", "two"),
        ["basket.products[0].quantity", "integer"],
    ),
    (
        "quantity-zero",
        _set("basket.products.0.quantity", 0),
        ["basket.products[0].quantity", "at least 1"],
    ),
    ("quantity-bool", _set("basket.products.0.quantity", True), ["basket.products[0].quantity"]),
    (
        "tax-over-100",
        _set("basket.products.0.tax", 1900),
        ["basket.products[0].tax", "at most 100"],
    ),
    (
        "item-type-unknown",
        _set("basket.products.0.item_type", "gift"),
        ["basket.products[0].item_type", "'gift'"],
    ),
    (
        "stakeholder-in-regular-basket",
        _set("basket.products.0.item_type", "stakeholder_payment"),
        ["basket.products[0].item_type", "stakeholder_payment"],
    ),
    ("desc-not-string", _set("basket.products.0.desc", {"x": 1}), ["basket.products[0].desc"]),
    ("products-empty", _set("basket.products", []), ["basket.products"]),
    ("products-not-list", _set("basket.products", {"a": 1}), ["basket.products"]),
    ("basket-not-object", _set("basket", [1]), ["basket: must be an object"]),
    (
        "sum-mismatch",
        _set("basket_info.sum", 2000),
        ["basket_info.sum", "2000", "2295"],
    ),
    ("sum-text", _set("basket_info.sum", "many"), ["basket_info.sum", "integer"]),
    ("currency-long", _set("basket_info.currency", "EURO"), ["basket_info.currency", "EURO"]),
    ("currency-lower", _set("basket_info.currency", "eur"), ["basket_info.currency", "3-letter"]),
    ("currency-short", _set("basket_info.currency", "EU"), ["basket_info.currency"]),
    ("currency-number", _set("basket_info.currency", 978), ["basket_info.currency"]),
    (
        "url-too-long",
        _set("application_context.return_urls.url_success", LONG_URL),
        ["application_context.return_urls.url_success", "2000", "2001"],
    ),
    (
        "push-url-too-long",
        _set("application_context.return_urls.url_push", LONG_URL + "x" * 100),
        ["application_context.return_urls.url_push", "2000"],
    ),
    (
        "url-relative",
        _set("application_context.return_urls.url_error", "/error"),
        ["application_context.return_urls.url_error", "absolute"],
    ),
    (
        "url-ftp",
        _set("application_context.return_urls.url_abort", "ftp://shop.example.com/x"),
        ["application_context.return_urls.url_abort"],
    ),
    ("intent-unknown", _set("intent", "buy"), ["intent", "'buy'"]),
    ("language-unknown", _set("application_context.language", "fr"), ["application_context"]),
    (
        "template-unknown",
        _set("application_context.checkout_template", "COT_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ["application_context.checkout_template"],
    ),
    (
        "auto-capture-text",
        _set("payment_context.auto_capture", "yes"),
        ["payment_context.auto_capture"],
    ),
    (
        "method-unknown",
        _set("payment_context.payment_methods", ["debit", "bitcoin"]),
        ["payment_context.payment_methods", "bitcoin"],
    ),
    (
        "methods-not-list",
        _set("payment_context.payment_methods", "debit"),
        ["payment_context.payment_methods"],
    ),
    ("delivery-type", _set("delivery_options", {"type": "drone"}), ["delivery_options.type"]),
    ("is-demo-text", _set("is_demo", "true"), ["is_demo"]),
    ("merchant-ref-long", _set("merchantRef", "x" * 256), ["merchantRef", "255"]),
    ("transaction-ref-type", _set("transactionRef", ["x"]), ["transactionRef"]),
    ("dob-invalid", _set("customer.contact.dob", "31.12.1965"), ["customer.contact.dob"]),
    ("email-invalid", _set("customer.contact.email", "erika"), ["customer.contact.email"]),
    (
        "country-invalid",
        _set("customer.contact.address.country", "DEU"),
        ["customer.contact.address.country"],
    ),
    (
        "customer-unknown",
        _set("customer", {"id": "PCU_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
        ["customer.id", "PCU_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ),
    (
        "provider-contract-unknown",
        _set("provider_contract", {"id": "GCR_UNKNOWN"}),
        ["provider_contract.id", "GCR_UNKNOWN"],
    ),
    ("contract-unknown", _set("contract", {"id": "GCR_UNKNOWN"}), ["contract.id"]),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [(m, e) for _, m, e in PLAIN_CASES], ids=[i for i, _, _ in PLAIN_CASES]
)
def test_regular_basket_validation(api: SandboxApi, mutate: Mutation, expected: list[str]) -> None:
    body = plain_body()
    mutate(body)
    error = _error(api.post(CREATE, body))
    assert error["error"] == "ProductBadRequestException"
    assert error["code"] == 1001
    for fragment in expected:
        assert fragment in error["error_details"]
    assert not SmartTransaction.objects.exists()


def _mixed(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = guide_body()
    mutate(body)
    return body


def _fee(sub: int, value: int) -> Mutation:
    return _set(f"basket.products.{sub}.sub_basket.2.sum", value)


MIXED_CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "fee-counted-in-sum",
        # 4440 + the 80 fee: stakeholder payments are not part of the sub-basket's sum.
        lambda b: (
            _set("basket.products.0.sum", 4520)(b),
            _set("basket_info.sum", 7865)(b),
        ),
        ["sb0", "4520", "4440", "stakeholder payments are not part of the sum"],
    ),
    (
        "fee-exceeds-sum",
        _fee(1, 3346),
        ['reference_id "sb1"', "3346", "3345", "stakeholder payments"],
    ),
    (
        "total-is-not-sum-of-sub-sums",
        _set("basket_info.sum", 7786),
        ["basket_info.sum", "7786", "7785", "sub-basket sums"],
    ),
    (
        "sub-basket-reference-missing",
        _set("basket.products.1.reference_id", _DELETE),
        ["basket.products[1].reference_id", "required"],
    ),
    (
        "sub-basket-reference-twice",
        _set("basket.products.1.reference_id", "sb0"),
        ["basket.products[1].reference_id", "'sb0'", "twice"],
    ),
    (
        "sub-basket-contract-missing",
        _set("basket.products.0.contract_id", _DELETE),
        ['reference_id "sb0"', "contract_id", "required"],
    ),
    (
        "sub-basket-contract-unknown",
        _set("basket.products.0.contract_id", "GCR_NOPE"),
        ['reference_id "sb0"', "GCR_NOPE"],
    ),
    (
        "fee-contract-unknown",
        _set("basket.products.1.sub_basket.2.contract_id", "GCR_NOPE"),
        ['reference_id "sb1"', "sub_basket[2].contract_id", "GCR_NOPE"],
    ),
    (
        "fee-contract-missing",
        _set("basket.products.1.sub_basket.2.contract_id", _DELETE),
        ['reference_id "sb1"', "sub_basket[2].contract_id", "required"],
    ),
    (
        "fee-sum-negative",
        _fee(0, -5),
        ['reference_id "sb0"', "sub_basket[2].sum", "at least 0"],
    ),
    (
        "sub-basket-sum-missing",
        _set("basket.products.0.sum", _DELETE),
        ['reference_id "sb0"', ".sum", "integer"],
    ),
    ("sub-basket-empty", _set("basket.products.0.sub_basket", []), ['"sb0"', "sub_basket"]),
    (
        "nested-sub-transaction",
        _set("basket.products.0.sub_basket.0.item_type", "sub_transaction"),
        ['reference_id "sb0"', "sub_basket[0].item_type", "sub_transaction"],
    ),
    (
        "article-beside-sub-baskets",
        _set(
            "basket.products.1",
            {"item_type": "article", "desc": "x", "priceOne": 3345, "quantity": 1},
        ),
        ["basket.products[1].item_type", "only sub_transaction"],
    ),
    (
        "sub-item-price-text",
        _set("basket.products.1.sub_basket.0.priceOne", "teuer"),
        ['reference_id "sb1"', "sub_basket[0].priceOne", "integer"],
    ),
    (
        "sub-basket-desc-missing",
        _set("basket.products.1.desc", _DELETE),
        ['reference_id "sb1"', "desc", "required"],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [(m, e) for _, m, e in MIXED_CASES], ids=[i for i, _, _ in MIXED_CASES]
)
def test_mixed_basket_validation(api: SandboxApi, mutate: Mutation, expected: list[str]) -> None:
    error = _error(api.post(CREATE, _mixed(mutate)))
    for fragment in expected:
        assert fragment in error["error_details"], error["error_details"]
    assert not SmartTransaction.objects.exists()


def test_coupons_are_subtracted_in_sub_baskets(api: SandboxApi) -> None:
    body = guide_body()
    sb0 = body["basket"]["products"][0]
    sb0["sub_basket"].append({"item_type": "coupon", "desc": "Rabatt", "priceOne": 440})
    sb0["sum"] = 4000
    body["basket_info"]["sum"] = 7345
    assert api.create(body)["basket_info"]["sum"] == 7345


def test_coupons_exceeding_the_articles_are_refused(api: SandboxApi) -> None:
    body = plain_body()
    body["basket"]["products"][2]["priceOne"] = 5000
    del body["basket_info"]["sum"]
    assert "coupons exceed" in _error(api.post(CREATE, body))["error_details"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("{not json", "body: not valid JSON"), ("[1, 2]", "body"), ("{}", "body")],
)
def test_unusable_bodies(api: SandboxApi, raw: str, expected: str) -> None:
    error = _error(api.post(CREATE, raw))
    assert error["error_details"].startswith(expected)


def test_zero_sum_is_refused(api: SandboxApi) -> None:
    assert (
        "greater than 0" in _error(api.post(CREATE, {"basket_info": {"sum": 0}}))["error_details"]
    )


def test_missing_sum_without_basket_is_refused(api: SandboxApi) -> None:
    error = _error(api.post(CREATE, {"basket_info": {"currency": "EUR"}}))
    assert error["error_details"] == "basket_info.sum: is required"


def test_another_merchants_contract_is_not_allowed(api: SandboxApi) -> None:
    body = plain_body()
    body["contract"] = {"id": "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7"}  # a supplier's
    error = _error(api.post(CREATE, body), status=403)
    assert error["error"] == "ProductNotAllowedException"
    assert "contract.id" in error["error_details"]


def test_the_request_body_is_not_changed_by_validation(api: SandboxApi) -> None:
    body = plain_body()
    before = copy.deepcopy(body)
    api.create(body)
    assert body == before
    assert CUSTOMER["contact"]["phone"] == "+49 30 1234 567"
