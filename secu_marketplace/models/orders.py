"""An order as the buyer placed it: sub-baskets per supplier, their line items and fees.

Amounts are integer minor units of ``Order.currency``. A sub-basket's ``sum`` is its articles and
shipping minus its coupons; its ``fee`` is the marketplace's share of that sum (secuconnect's
stakeholder payment), not added on top. ``Order.total`` is the sum of the sub-basket sums. The
builder (``secu_marketplace.builder``) computes all of them; nothing else writes them.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.querysets import OrderQuerySet, SubBasketQuerySet
from secu_marketplace.models.suppliers import Supplier
from secu_marketplace.rules.statuses import PAYABLE, DisputeState, OrderStatus


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class Order(models.Model):
    public_token = models.CharField(
        _("public token"), max_length=64, unique=True, default=new_public_token, editable=False
    )
    reference = models.CharField(
        _("reference"),
        max_length=64,
        unique=True,
        help_text=_("The shop's order number (merchantRef)."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.NEW,
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total = models.PositiveBigIntegerField(_("total (minor units)"))
    # What secuconnect tells us once the buyer has chosen and authorised.
    payment_method = models.CharField(_("payment method"), max_length=20, blank=True)
    trans_id = models.BigIntegerField(_("trans_id"), null=True, blank=True, db_index=True)
    payment_instructions = models.JSONField(_("payment instructions"), null=True, blank=True)
    review_reason = models.TextField(_("reason for review"), blank=True)
    # The payment deadline of a prepayment or an accepted invoice (EXPIRE_UNPAID_AFTER_DAYS),
    # set when the order starts waiting for the buyer's money; staff may extend it.
    pay_by = models.DateTimeField(_("pay by"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("payment reminder sent"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired unpaid"), null=True, blank=True)
    # The buyer.
    email = models.EmailField(_("e-mail"), db_index=True)
    forename = models.CharField(_("first name"), max_length=100)
    surname = models.CharField(_("last name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200)
    street_number = models.CharField(_("house number"), max_length=20, blank=True)
    additional_address = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created", "-pk"]
        # Moving money and reporting shipments, apart from "change order" (admin/processing.py).
        permissions = [
            ("capture_order", _("Can capture authorised payments")),
            ("refund_order", _("Can cancel or refund payments")),
            ("ship_order", _("Can report shipments to secuconnect")),
            ("extend_order_deadline", _("Can extend an order's payment deadline")),
            ("erase_buyer", _("Can erase buyers' personal data")),
        ]
        # The admin's list filters, each in the list's order: a page of a filtered list reads
        # its rows from the index, however many orders there are (and a rare status is found
        # without walking every order by date). They replace single-column indexes.
        indexes = [
            models.Index(fields=["status", "-created", "-id"], name="secu_order_status_list"),
            models.Index(
                fields=["payment_method", "-created", "-id"], name="secu_order_method_list"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gt=0), name="secu_order_total_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="secu_order_currency_iso4217",
            ),
        ]

    def __str__(self) -> str:
        return str(self.reference)

    @property
    def buyer_name(self) -> str:
        return " ".join(part for part in (self.forename, self.surname) if part)

    def get_payment_url(self) -> str:
        """Where the shop's "Pay now" button POSTs."""
        return reverse("secu_marketplace:pay", args=[self.public_token])

    def get_status_url(self) -> str:
        """The buyer's page for the order (authorised by its public token): where the payment
        stands, with a "Pay now" button while the order may be paid. Link it from the shop's
        order confirmation; open it to pay a test order."""
        return reverse("secu_marketplace:status", args=[self.public_token])

    @property
    def is_payable(self) -> bool:
        """The buyer may (still, or again) pay this order."""
        return self.status in PAYABLE


class SubBasket(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="sub_baskets")
    position = models.PositiveSmallIntegerField(_("position"))
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="sub_baskets")
    # Copied when the order is placed, so a later change of the supplier changes no order.
    contract_id = models.CharField(_("contract"), max_length=34)
    reference_id = models.CharField(_("reference id"), max_length=50)
    description = models.CharField(_("description"), max_length=200)
    sum = models.PositiveBigIntegerField(_("sum (minor units)"))
    fee = models.PositiveBigIntegerField(_("marketplace fee (minor units)"), default=0)
    # Shipping, as staff reported it (and secuconnect was told).
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_id = models.CharField(_("tracking id"), max_length=100, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=100, blank=True)
    # A chargeback or returned debit on this supplier's part, as secuconnect reported it.
    dispute = models.CharField(
        _("dispute"), max_length=10, choices=DisputeState.choices, blank=True, default=""
    )

    objects = SubBasketQuerySet.as_manager()

    class Meta:
        verbose_name = _("sub-basket")
        verbose_name_plural = _("sub-baskets")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "reference_id"], name="secu_subbasket_reference_unique"
            ),
            models.UniqueConstraint(
                fields=["order", "supplier"], name="secu_subbasket_one_per_supplier"
            ),
            models.CheckConstraint(
                condition=models.Q(fee__lte=models.F("sum")), name="secu_subbasket_fee_within_sum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.reference_id} ({self.supplier_id})"


class LineItem(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article", _("article")
        SHIPPING = "shipping", _("shipping")
        COUPON = "coupon", _("coupon")

    sub_basket = models.ForeignKey(SubBasket, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    description = models.CharField(_("description"), max_length=255)
    article_number = models.CharField(_("article number"), max_length=64, blank=True)
    ean = models.CharField(_("EAN"), max_length=14, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.PositiveBigIntegerField(_("unit price (minor units)"))
    tax_rate = models.PositiveSmallIntegerField(_("VAT (%)"), default=19)

    class Meta:
        verbose_name = _("line item")
        verbose_name_plural = _("line items")
        ordering = ["sub_basket", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sub_basket", "position"], name="secu_lineitem_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="secu_lineitem_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__lte=100), name="secu_lineitem_tax_rate_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"

    @property
    def total(self) -> int:
        """Signed contribution to the sub-basket sum (coupons count negative)."""
        amount = self.quantity * self.unit_price
        return -amount if self.kind == self.Kind.COUPON else amount


def load_parts(order: Order, *, items: bool = True, fresh: bool = False) -> list[SubBasket]:
    """The order's sub-baskets with their suppliers (and their items), in position order, kept
    on the order (``order.sub_baskets.all()``, each ``sub.items.all()``): within one request
    the checkout, a sync, the signal receivers and the payment page read them once, whoever
    comes first. ``fresh`` forgets what an earlier call kept on this instance (the basket may
    have changed since).

    With ``items``, one query: every line joined to its sub-basket and supplier (the builder
    never makes a sub-basket without lines)."""
    cache: dict[str, Any] = order.__dict__.setdefault("_prefetched_objects_cache", {})
    if fresh:
        cache.pop("sub_baskets", None)
    if "sub_baskets" in cache:
        subs = list(cache["sub_baskets"])
        if items:
            prefetch_related_objects(subs, "items")  # nothing to do once they are kept
        return subs
    if not items:
        parts = SubBasket.objects.filter(order=order).select_related("supplier")
        prefetch_related_objects([order], Prefetch("sub_baskets", queryset=parts))
        return list(order.sub_baskets.all())
    lines = list(
        LineItem.objects.filter(sub_basket__order=order)
        .select_related("sub_basket__supplier")
        .order_by("sub_basket__position", "position")
    )
    subs_by_pk: dict[int, SubBasket] = {}
    lines_by_sub: dict[int, list[LineItem]] = {}
    for line in lines:
        sub = subs_by_pk.setdefault(line.sub_basket_id, line.sub_basket)
        line.sub_basket = sub  # one instance per sub-basket, whichever line brought it
        lines_by_sub.setdefault(sub.pk, []).append(line)
    for sub in subs_by_pk.values():
        sub.order = order
        _keep(sub, "items", lines_by_sub[sub.pk])
    _keep(order, "sub_baskets", list(subs_by_pk.values()))
    return list(subs_by_pk.values())


def _keep(instance: models.Model, name: str, rows: list[Any]) -> None:
    """Hold ``rows`` as ``instance.<name>.all()``, exactly as ``prefetch_related`` keeps what
    it read (Django's prefetch cache: the related queryset with its results filled in)."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
