"""The API's request and answer shapes, typed for the OpenAPI schema. Every figure is read from
the app's public read API (``read.balances.order_balance``, ``read.presentation.payment_page``)
and never computed here: amounts are integer minor units of the order's currency."""

from __future__ import annotations

from rest_framework import serializers

from secu_marketplace.rules.payments import PAYMENT_METHODS
from secu_marketplace.rules.statuses import OrderStatus

PAGE_STATES = (
    "What the buyer's payment page says: awaiting (not paid yet), confirming (back from "
    "checkout, secuconnect has not confirmed yet), paid, invoice (may ship; the buyer pays the "
    "invoice), pending_transfer (waiting for the buyer's transfer), pending_check, authorized, "
    "failed, aborted, cancelled, refunded, needs_review."
)


class CheckoutRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=PAYMENT_METHODS,
        required=False,
        allow_blank=True,
        default="",
        help_text="Preselect a payment method; empty: the buyer chooses on Smart Checkout.",
    )
    language = serializers.ChoiceField(
        choices=("de", "en"),
        required=False,
        allow_null=True,
        default=None,
        help_text="The language of Smart Checkout; default: the request's active language.",
    )


class CheckoutSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Send the buyer's browser here: Smart Checkout.")
    reused = serializers.BooleanField(
        help_text="An unchanged open checkout was resumed instead of a new one being opened."
    )
    order = serializers.CharField(help_text="The order's reference.")


class ErrorSerializer(serializers.Serializer):
    error = serializers.ChoiceField(
        choices=(
            "not_payable",
            "invalid",
            "checkout_refused",
            "basket",
            "provider_unavailable",
            "provider_refused",
        ),
        help_text="What went wrong, for the front end to decide on.",
    )
    detail = serializers.CharField(help_text="A sentence for the developer (not the buyer).")
    status = serializers.CharField(required=False, help_text="The order's status (not_payable).")


class TransferSerializer(serializers.Serializer):
    """What the buyer has to transfer (prepayment, invoice), as the payment page shows it."""

    owner = serializers.CharField(allow_blank=True)
    iban = serializers.CharField(allow_blank=True)
    bic = serializers.CharField(allow_blank=True)
    bank_name = serializers.CharField(allow_blank=True)
    purpose = serializers.CharField(help_text="Use exactly this, so the payment is matched.")
    amount = serializers.IntegerField(help_text="Minor units of the order's currency.")


class ItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="article, shipping or coupon")
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Signed: coupons count negative.")


class PartSerializer(serializers.Serializer):
    """One supplier's part: its items, what was refunded, whether and how it shipped."""

    reference_id = serializers.CharField()
    supplier = serializers.CharField()
    sum = serializers.IntegerField(help_text="Articles and shipping less coupons.")
    paid = serializers.BooleanField()
    owed = serializers.IntegerField(help_text="What the buyer still has to pay for this part.")
    refunded = serializers.IntegerField(help_text="Money returned (executed by secuconnect).")
    refunding = serializers.IntegerField(help_text="Refunds on their way.")
    reduced = serializers.IntegerField(help_text="Taken off before the buyer paid.")
    left = serializers.IntegerField(help_text="The part's worth after refunds and reductions.")
    shipped = serializers.BooleanField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    carrier = serializers.CharField(allow_blank=True)
    tracking_id = serializers.CharField(allow_blank=True)
    items = ItemSerializer(many=True)


class OrderSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    state = serializers.CharField(help_text=PAGE_STATES)
    payable = serializers.BooleanField(help_text="A checkout may be started (again).")
    currency = serializers.CharField()
    total = serializers.IntegerField()
    payment_method = serializers.CharField(allow_blank=True)
    paid = serializers.BooleanField(help_text="The buyer's money has arrived.")
    owed = serializers.IntegerField(help_text="What the buyer still has to pay.")
    pending = serializers.IntegerField(help_text="Promised and not arrived (transfer, invoice).")
    refunded = serializers.IntegerField()
    refunding = serializers.IntegerField()
    reduced = serializers.IntegerField()
    left = serializers.IntegerField(help_text="The order's worth after refunds and reductions.")
    shipped = serializers.BooleanField(help_text="Every part has shipped.")
    transfer = TransferSerializer(
        allow_null=True, help_text="Bank details while a transfer is due."
    )
    parts = PartSerializer(many=True)
    page_url = serializers.CharField(help_text="The app's HTML page for the order.")


class MethodsSerializer(serializers.Serializer):
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=PAYMENT_METHODS),
        help_text="The methods the shop offers that every supplier's contract accepts.",
    )
