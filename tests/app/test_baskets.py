"""The payload builder: exactly secuconnect's wire format, the sum rules, determinism."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secu_marketplace.builder import Buyer, Coupon, Item, Shipping, SupplierBasket, build_order
from secu_marketplace.exceptions import BasketError
from secu_marketplace.models import CheckoutAttempt, Order, Supplier
from secu_marketplace.provider.payloads import check_sums, smart_transaction_payload
from tests.factories import MAX, guide_order

CONTRACTS = [f"GCR_{'ABCDEFGHIJ'[n]}{'X' * 29}" for n in range(6)]
URLS = {
    "url_success": "https://shop.example/s",
    "url_error": "https://shop.example/e",
    "url_abort": "https://shop.example/a",
    "url_push": "https://shop.example/p",
}


def _attempt(order: Order) -> CheckoutAttempt:
    return CheckoutAttempt(
        order=order,
        number=1,
        amount=order.total,
        currency=order.currency,
        contract_id="GCR_" + "M" * 30,
        is_demo=True,
    )


def _payload(order: Order) -> dict[str, Any]:
    return smart_transaction_payload(order, _attempt(order), urls=URLS, language="de")


@pytest.mark.django_db
def test_guide_order_becomes_the_guides_payload_with_correct_sums() -> None:
    order = guide_order()
    payload = _payload(order)
    assert payload["basket_info"] == {"sum": 7785, "currency": "EUR"}
    assert payload["merchantRef"] == order.reference
    assert payload["transactionRef"] == order.reference
    assert payload["intent"] == "order"
    assert payload["delivery_options"] == {"type": "shipping"}
    assert payload["application_context"]["return_urls"] == URLS
    assert (
        payload["application_context"]["checkout_template"] == "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2"
    )
    assert payload["payment_context"] == {"auto_capture": True}
    sb0, sb1 = payload["basket"]["products"]
    assert sb0["item_type"] == "sub_transaction"
    assert sb0["reference_id"] == "sb0"
    assert sb0["sum"] == 2 * 1995 + 450
    assert sb0["contract_id"] == "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7"
    article, shipping, fee = sb0["sub_basket"]
    assert article == {
        "id": 1,
        "item_type": "article",
        "articleNumber": "1",
        "desc": "Kaffeepads Aromata 20 Stück",
        "quantity": 2,
        "priceOne": 1995,
        "tax": 19,
    }
    assert shipping["item_type"] == "shipping"
    assert shipping["priceOne"] == 450
    assert fee == {
        "item_type": "stakeholder_payment",
        "desc": "Marktplatzgebühr",
        "sum": 80,
        "reference_id": "sb0.fee",
        "contract_id": "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2",
    }
    assert sb1["sum"] == 3345
    assert payload["customer"]["contact"]["address"]["street_number"] == "55 a"


@pytest.mark.django_db
def test_fee_is_never_part_of_the_sub_basket_sum() -> None:
    order = guide_order()
    for product in _payload(order)["basket"]["products"]:
        payable = sum(
            (-1 if i["item_type"] == "coupon" else 1) * i["priceOne"] * i["quantity"]
            for i in product["sub_basket"]
            if i["item_type"] != "stakeholder_payment"
        )
        assert payable == product["sum"]


@pytest.mark.django_db
def test_a_corrupted_stored_sum_is_refused_naming_the_sub_basket_and_both_amounts() -> None:
    order = guide_order()
    order.sub_baskets.filter(reference_id="sb0").update(sum=3940)  # the guide's own mistake
    order.total = 3940 + 3345
    with pytest.raises(BasketError) as error:
        check_sums(order)
    assert "sb0" in str(error.value)
    assert "3940" in str(error.value)
    assert "4440" in str(error.value)
    assert error.value.reference_id == "sb0"


@pytest.mark.django_db
def test_builder_refuses_bad_baskets() -> None:
    supplier = Supplier.objects.create(name="S", contract_id=CONTRACTS[0])
    with pytest.raises(BasketError, match="integer"):
        build_order(
            reference="X1", buyer=MAX, baskets=[SupplierBasket(supplier, [Item("a", 1, 19.99)])]
        )  # type: ignore[arg-type]
    with pytest.raises(BasketError, match="fee 600 exceeds its sum 500"):
        build_order(
            reference="X2",
            buyer=MAX,
            baskets=[SupplierBasket(supplier, [Item("a", 1, 500)], fee=600)],
        )
    with pytest.raises(BasketError, match="control characters"):
        build_order(
            reference="X0", buyer=MAX, baskets=[SupplierBasket(supplier, [Item("a\x00b", 1, 5)])]
        )
    with pytest.raises(BasketError, match="no items"):
        build_order(reference="X3", buyer=MAX, baskets=[SupplierBasket(supplier, [])])
    with pytest.raises(BasketError, match="one sub-basket"):
        build_order(
            reference="X4",
            buyer=MAX,
            baskets=[
                SupplierBasket(supplier, [Item("a", 1, 5)]),
                SupplierBasket(supplier, [Item("b", 1, 5)]),
            ],
        )
    with pytest.raises(BasketError, match="coupons"):
        build_order(
            reference="X5",
            buyer=MAX,
            baskets=[SupplierBasket(supplier, [Item("a", 1, 500)], coupons=[Coupon("-10", 500)])],
        )
    build_order(reference="X6", buyer=MAX, baskets=[SupplierBasket(supplier, [Item("a", 1, 500)])])
    with pytest.raises(ValueError, match="exists already"):
        build_order(
            reference="X6", buyer=MAX, baskets=[SupplierBasket(supplier, [Item("a", 1, 500)])]
        )
    assert Order.objects.count() == 1


items = st.builds(
    Item,
    description=st.text(
        alphabet=st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30
    ).filter(str.strip),
    quantity=st.integers(min_value=1, max_value=20),
    unit_price=st.integers(min_value=0, max_value=500_000),
    tax_rate=st.sampled_from([0, 7, 19]),
    article_number=st.text(alphabet="0123456789ABC", max_size=8),
)
supplier_baskets = st.tuples(
    st.lists(items, min_size=1, max_size=6),
    st.one_of(st.none(), st.integers(min_value=0, max_value=2_000)),  # shipping
    st.lists(st.integers(min_value=1, max_value=500), max_size=2),  # coupons
    st.integers(min_value=0, max_value=3000),  # fee rate, basis points
    st.integers(min_value=0, max_value=300),  # fixed fee
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(baskets=st.lists(supplier_baskets, min_size=1, max_size=5))
@pytest.mark.django_db
def test_random_marketplace_baskets_always_satisfy_the_sum_rules(baskets: list[Any]) -> None:
    Supplier.objects.all().delete() if not Order.objects.exists() else None
    specs = []
    for position, (lines, shipping, coupons, rate, fixed) in enumerate(baskets):
        supplier, _ = Supplier.objects.update_or_create(
            contract_id=CONTRACTS[position],
            defaults={"name": f"S{position}", "fee_rate": rate, "fee_fixed": fixed},
        )
        base = sum(i.quantity * i.unit_price for i in lines) + (shipping or 0)
        usable = [c for c in coupons if c < base][:1]
        if base - sum(usable) <= 0:
            lines = [*lines, Item("filler", 1, 100)]
        specs.append(
            SupplierBasket(
                supplier,
                lines,
                shipping=Shipping("Versand", shipping) if shipping is not None else None,
                coupons=[Coupon("Rabatt", c) for c in usable],
            )
        )
    order = build_order(
        reference=f"H-{Order.objects.count()}-{len(specs)}", buyer=MAX, baskets=specs
    )
    payload = _payload(order)

    products = payload["basket"]["products"]
    assert payload["basket_info"]["sum"] == sum(p["sum"] for p in products) == order.total
    for product in products:
        payable = 0
        fees = 0
        for item in product["sub_basket"]:
            for key in ("priceOne", "sum", "quantity"):
                if key in item:
                    assert type(item[key]) is int
            if item["item_type"] == "stakeholder_payment":
                fees += item["sum"]
            else:
                sign = -1 if item["item_type"] == "coupon" else 1
                payable += sign * item["priceOne"] * item["quantity"]
        assert payable == product["sum"] > 0
        assert fees <= product["sum"]
    # Deterministic: the same order gives the same bytes.
    again = _payload(Order.objects.get(pk=order.pk))
    assert json.dumps(payload, sort_keys=True) == json.dumps(again, sort_keys=True)


@pytest.mark.django_db
def test_language_and_transaction_ref_hook(settings: Any) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "TRANSACTION_REF": lambda order: f"Mustermarktplatz {order.reference}",
    }
    order = guide_order(buyer=Buyer(**{**MAX.__dict__}))
    payload = smart_transaction_payload(order, _attempt(order), urls=URLS, language="en")
    assert payload["transactionRef"] == f"Mustermarktplatz {order.reference}"
    assert payload["application_context"]["language"] == "en"
    fee = payload["basket"]["products"][0]["sub_basket"][-1]
    assert fee["desc"] == "Marketplace fee"
