"""Contracts and payment method names as recorded, parsed once (secu_marketplace/
provider_contracts.py; docs/provider.md, "Payment contracts" and "Payment methods")."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from secu_marketplace.provider.contracts import (
    METHOD_NAMES,
    method_key,
    parse_contract,
    parse_contract_page,
    parse_contract_requested,
    parse_method_names,
)
from secu_marketplace.rules.payments import PAYMENT_METHODS

# RUBY-C contract_creation/create_a_new_contract.yml, the answer as recorded.
CREATED = {
    "object": "general.contracts",
    "id": "GCR_WRG7H77A3NG6HZ8NJ0U5NAZ900W2O3",
    "id_old": 2000443,
    "parent": {"object": "general.contracts", "id": "GCR_W27MYFEB7VYQ4AYXUSFZD278H8AWOX"},
    "merchant": {"object": "general.merchants", "id": "MRC_K4XA5F344PAN05HF58JT3Y48002CN5"},
    "approved": False,
    "created": "2022-01-23T21:46:53+01:00",
    "apikey": "7770468b8813e754d0985ff3475dc1514315e0d9",
    "contract": {"object": "general.contracts", "id": "GCR_WRG7H77A3NG6HZ8NJ0U5NAZ900W2O3"},
}
# DEMO-M src/migrate/get_payment_methods.php, the sample output.
RECORDED_NAMES = [
    "Creditcard",
    "Debit",
    "easyCredit",
    "eps",
    "Invoice",
    "Paypal",
    "Prepay",
    "Sofort",
    "Applepay",
    "Googlepay",
]


def test_the_recorded_general_contracts_names_are_read_as_smart_checkout_keys() -> None:
    read = parse_method_names(RECORDED_NAMES)
    assert read.methods == (
        "creditcard",
        "debit",
        "easycredit",
        "eps",
        "invoice",
        "paypal",
        "prepaid",
        "sofort",
    )
    assert read.ignored == ("Applepay", "Googlepay")
    assert read.received == tuple(RECORDED_NAMES)


def test_smart_checkout_keys_and_other_spellings_read_the_same() -> None:
    assert parse_method_names(list(PAYMENT_METHODS)).methods == tuple(PAYMENT_METHODS)
    read = parse_method_names(["PREPAY", "CreditCard", "Giropay", "prepaid", "bitcoin", 7])
    assert read.methods == ("prepaid", "creditcard", "giropay")
    assert read.ignored == ("bitcoin",)
    assert parse_method_names({"not": "a list"}).methods == ()


@given(st.lists(st.one_of(st.sampled_from(sorted(METHOD_NAMES)), st.text(max_size=12))))
def test_every_name_is_a_key_or_ignored(names: list[str]) -> None:
    read = parse_method_names(names)
    assert set(read.methods) <= set(PAYMENT_METHODS)
    assert len(read.methods) == len(set(read.methods))
    for name in names:
        key = method_key(name)
        assert key in read.methods if key else name in read.ignored


def test_the_recorded_contract_and_request_answer() -> None:
    contract = parse_contract(CREATED)
    assert contract.id == "GCR_WRG7H77A3NG6HZ8NJ0U5NAZ900W2O3"
    assert contract.parent_id == "GCR_W27MYFEB7VYQ4AYXUSFZD278H8AWOX"
    assert contract.approved is False
    assert contract.id_old == 2000443
    assert contract.created is not None
    assert contract.created.utcoffset() is not None
    made = parse_contract_requested(CREATED)
    assert made.contract_id == CREATED["id"]
    assert made.merchant_id == "MRC_K4XA5F344PAN05HF58JT3Y48002CN5"
    assert made.store_id == ""  # the recording has none
    assert made.apikey == CREATED["apikey"]
    assert CREATED["apikey"] not in repr(made)
    # An answer without "approved" says nothing about it; a garbled id is no contract.
    assert parse_contract({"id": "GCR_X"}).approved is None
    assert parse_contract_requested({"contract": {"id": "nope"}}).contract_id == ""


def test_a_page_of_the_list() -> None:
    page = parse_contract_page({"count": 144, "data": [CREATED, {"id": "garbage"}, "x"]})
    assert page.count == 144
    assert [c.id for c in page.contracts] == [CREATED["id"]]
    assert parse_contract_page(None).contracts == ()
