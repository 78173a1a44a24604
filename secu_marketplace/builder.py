"""Turning a shop's cart into an ``Order``, with every sum computed here and nowhere else.

    from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket, build_order

    order = build_order(
        reference="100023",
        currency="EUR",
        buyer=Buyer(email="max@example.net", forename="Max", surname="Mustermann",
                    street="Musterstr.", street_number="55a", postal_code="09123",
                    city="Musterstadt"),
        baskets=[
            SupplierBasket(coffee, items=[Item("Kaffeepads Aromata 20 Stück", 2, 1995)],
                           shipping=Shipping("Standardversand", 450)),
            SupplierBasket(furniture, items=[Item("Magnettafel 70x50 cm", 1, 2995)],
                           shipping=Shipping("Standardversand", 350)),
        ],
    )

Prices are integer minor units (cents); convert decimals once with ``money.to_minor``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from secu_marketplace.exceptions import BasketError
from secu_marketplace.models import LineItem, Order, SubBasket, Supplier
from secu_marketplace.rules.statuses import OrderStatus
from secu_marketplace.services.supplier_contracts import require_contract


def _minor(value: object, what: str) -> int:
    # bool is an int in Python; a float amount is always a bug (int(19.99 * 100) == 1998).
    if isinstance(value, bool) or not isinstance(value, int):
        raise BasketError(f"{what} must be an integer amount in minor units, got {value!r}")
    if value < 0:
        raise BasketError(f"{what} must not be negative, got {value}")
    return value


def _text(value: object, what: str, max_length: int = 255) -> str:
    # Control characters end up in bank statements and secuOffice, and PostgreSQL refuses NUL.
    if not isinstance(value, str) or not value.strip():
        raise BasketError(f"{what} must be a non-empty text")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BasketError(f"{what} contains control characters")
    if len(value) > max_length:
        raise BasketError(f"{what} is longer than {max_length} characters")
    return value.strip()


@dataclass(frozen=True)
class Item:
    description: str
    quantity: int
    unit_price: int
    tax_rate: int = 19
    article_number: str = ""
    ean: str = ""


@dataclass(frozen=True)
class Shipping:
    description: str
    price: int
    tax_rate: int = 19


@dataclass(frozen=True)
class Coupon:
    description: str
    amount: int
    tax_rate: int = 19


@dataclass(frozen=True)
class SupplierBasket:
    supplier: Supplier
    items: Sequence[Item]
    shipping: Shipping | None = None
    coupons: Sequence[Coupon] = ()
    # None: the supplier's fee rule decides.
    fee: int | None = None


@dataclass(frozen=True)
class Buyer:
    email: str
    forename: str
    surname: str
    street: str
    postal_code: str
    city: str
    street_number: str = ""
    additional_address: str = ""
    country: str = "DE"
    company: str = ""
    phone: str = ""
    date_of_birth: date | None = None


@dataclass
class _Lines:
    items: list[LineItem] = field(default_factory=list)
    total: int = 0


def _lines(basket: SupplierBasket, label: str) -> _Lines:
    out = _Lines()
    if not basket.items:
        raise BasketError(f"sub-basket {label} has no items", reference_id=label)
    for item in basket.items:
        if (
            isinstance(item.quantity, bool)
            or not isinstance(item.quantity, int)
            or item.quantity < 1
        ):
            raise BasketError(
                f"{label}: quantity of {item.description!r} must be a positive integer"
            )
        price = _minor(item.unit_price, f"{label}: unit price of {item.description!r}")
        out.items.append(
            LineItem(
                kind=LineItem.Kind.ARTICLE,
                description=_text(item.description, f"{label}: an item's description"),
                article_number=item.article_number,
                ean=item.ean,
                quantity=item.quantity,
                unit_price=price,
                tax_rate=item.tax_rate,
            )
        )
        out.total += item.quantity * price
    if basket.shipping is not None:
        price = _minor(basket.shipping.price, f"{label}: shipping")
        out.items.append(
            LineItem(
                kind=LineItem.Kind.SHIPPING,
                description=_text(basket.shipping.description, f"{label}: shipping description"),
                quantity=1,
                unit_price=price,
                tax_rate=basket.shipping.tax_rate,
            )
        )
        out.total += price
    for coupon in basket.coupons:
        amount = _minor(coupon.amount, f"{label}: coupon {coupon.description!r}")
        out.items.append(
            LineItem(
                kind=LineItem.Kind.COUPON,
                description=_text(coupon.description, f"{label}: coupon description"),
                quantity=1,
                unit_price=amount,
                tax_rate=coupon.tax_rate,
            )
        )
        out.total -= amount
    if out.total <= 0:
        raise BasketError(
            f"sub-basket {label}: coupons ({out.total}) leave nothing to pay",
            reference_id=label,
            sum=out.total,
        )
    return out


CURRENCY_RE = re.compile(r"^[A-Z]{3}\Z")


def _check_buyer(buyer: Buyer) -> None:
    """The buyer's texts fit their columns (PostgreSQL refuses what SQLite would store)."""
    for name, value in vars(buyer).items():
        if not isinstance(value, str):
            continue
        column = Order._meta.get_field(name)
        label = str(getattr(column, "verbose_name", name))
        limit = getattr(column, "max_length", None)
        if limit and len(value) > limit:
            raise BasketError(f"the buyer's {label} is longer than {limit} characters")
        if "\x00" in value:
            raise BasketError(f"the buyer's {label} contains a NUL character")


@dataclass
class _Part:
    """One supplier's basket, checked and priced, before anything is written."""

    position: int
    label: str
    basket: SupplierBasket
    lines: _Lines
    fee: int
    description: str = ""


def build_order(
    *,
    reference: str,
    buyer: Buyer,
    baskets: Sequence[SupplierBasket],
    currency: str = "EUR",
    language: str = "",
) -> Order:
    """Create the order, its sub-baskets (``sb0``, ``sb1``, ...) and line items in one transaction.

    Raises ``BasketError`` for a basket secuconnect would refuse (no items, negative or non-integer
    amounts, a fee larger than its sub-basket, one supplier twice) and ``ValueError`` for a
    reference that is already taken.
    """
    if not baskets:
        raise BasketError("an order needs at least one supplier basket")
    currency = str(currency).upper()
    if not CURRENCY_RE.match(currency):
        raise BasketError(f"the currency must be an ISO 4217 code such as EUR, got {currency!r}")
    _check_buyer(buyer)
    suppliers = [b.supplier.pk for b in baskets]
    if len(set(suppliers)) != len(suppliers):
        raise BasketError("each supplier may appear in one sub-basket only")
    for basket in baskets:
        require_contract(basket.supplier)
    parts = [_part(position, basket) for position, basket in enumerate(baskets)]
    with override(language or None):
        for part in parts:
            part.description = _("Basket %(supplier)s") % {"supplier": part.basket.supplier.name}
    try:
        with transaction.atomic():
            return _create(reference, buyer, currency, language, parts)
    except IntegrityError as error:
        if Order.objects.filter(reference=reference).exists():
            raise ValueError(f"an order with reference {reference!r} exists already") from error
        raise


def _part(position: int, basket: SupplierBasket) -> _Part:
    label = f"sb{position}"
    lines = _lines(basket, label)
    if basket.fee is None:
        fee = basket.supplier.fee_for(lines.total)
    else:
        fee = _minor(basket.fee, f"{label}: fee")
    if fee > lines.total:
        raise BasketError(
            f"sub-basket {label}: the marketplace fee {fee} exceeds its sum {lines.total}",
            reference_id=label,
            fee=fee,
            sum=lines.total,
        )
    return _Part(position, label, basket, lines, fee)


def _create(
    reference: str, buyer: Buyer, currency: str, language: str, parts: list[_Part]
) -> Order:
    """The order's rows: a new order has no state to move yet, so this is its only write
    outside the ledger."""
    order = Order.objects.create(
        reference=reference,
        status=OrderStatus.NEW,
        currency=currency,
        total=sum(part.lines.total for part in parts),
        language=language,
        **{**vars(buyer), "country": buyer.country.upper()},  # Buyer's fields are Order's
    )
    items: list[LineItem] = []
    for part in parts:
        sub = SubBasket.objects.create(
            order=order,
            position=part.position,
            supplier=part.basket.supplier,
            contract_id=part.basket.supplier.contract_id,
            reference_id=part.label,
            description=part.description,
            sum=part.lines.total,
            fee=part.fee,
        )
        for index, item in enumerate(part.lines.items):
            item.sub_basket = sub
            item.position = index
            items.append(item)
    LineItem.objects.bulk_create(items)
    return order
