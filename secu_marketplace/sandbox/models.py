"""The sandbox's state: its clients, merchants and contracts, and the transactions it emulates.

Everything the emulated API answers is derived from these rows, so several processes (the demo
server, a test's live server, a management command) see the same world.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secu_marketplace.sandbox import ids


class Merchant(models.Model):
    merchant_id = models.CharField(_("merchant id"), max_length=40, unique=True)
    companyname = models.CharField(_("company name"), max_length=200)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self) -> str:
        return f"{self.companyname} ({self.merchant_id})"


class Contract(models.Model):
    """A General Contract (``GCR_...``): a marketplace's own, a supplier's, or a provider's."""

    class Kind(models.TextChoices):
        MERCHANT = "merchant", _("merchant")
        SUPPLIER = "supplier", _("supplier")
        PROVIDER = "provider", _("provider")

    contract_id = models.CharField(_("contract id"), max_length=40, unique=True)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="contracts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MERCHANT)
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Methods this contract can be paid with; empty means all the sandbox knows.
    payment_methods = models.JSONField(_("payment methods"), default=list, blank=True)
    # PaymentContractsProductModel (PHP-SDK) and the recorded answers (RUBY-C): ``parent``,
    # ``demo``, ``approved``. A contract made by ``requestId`` names the contract it was cloned
    # from as its parent.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent contract"),
    )
    demo = models.BooleanField(_("demo contract"), default=False)
    # The sandbox's own switch for "(Needs to be activated)" (PHP-SDK requestId): never sent,
    # because the SDK model dropped ``allow_cloning`` in 0.4.0 (docs/provider.md, "Payment
    # contracts").
    allow_cloning = models.BooleanField(
        _("allow cloning"),
        default=False,
        help_text=_("Sub-contracts may be requested from this contract (requestId)."),
    )
    # ``approved`` on the wire (RUBY-C): a contract made by requestId waits for secupay's
    # approval; staff approve it in the sandbox admin or the control API.
    approved = models.BooleanField(
        _("approved by secupay"),
        default=True,
        help_text=_("A contract made by requestId is not approved until staff approve it here."),
    )
    # Smart Transactions of this contract may carry mixed baskets; without it they are refused
    # with code 4028 (SDK-T testSmartTransactionsAddMixedBasket).
    mixed_basket = models.BooleanField(
        _("mixed baskets enabled"),
        default=True,
        help_text=_("Off: a Smart Transaction with sub-baskets is refused with code 4028."),
    )
    # What requestId was given: the project name is unique over all contracts.
    project = models.CharField(_("project"), max_length=255, null=True, blank=True, unique=True)
    store_id = models.CharField(_("store id"), max_length=40, blank=True)
    # Where pushes about this contract's payouts go ("payment.payouts"): nothing public says
    # where secuconnect sends them; empty, to the newest url_push of a payment paid out.
    payout_push_url = models.CharField(_("payout push URL"), max_length=2000, blank=True)
    contact = models.JSONField(_("contact"), default=dict, blank=True)
    payout_account = models.JSONField(_("payout account"), default=dict, blank=True)
    payin_account = models.JSONField(_("pay-in account"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return f"{self.name or self.merchant.companyname} ({self.contract_id})"


class ApiClient(models.Model):
    """OAuth client credentials, bound to one merchant (what ``/oauth/token`` checks)."""

    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    client_secret = models.CharField(_("client secret"), max_length=128)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="clients")
    # Overrides SECU_SANDBOX["TOKEN_LIFETIME"] for this client (tests shorten it to expire tokens).
    token_lifetime = models.PositiveIntegerField(_("token lifetime (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.client_id} → {self.merchant.companyname}"


class AccessToken(models.Model):
    token = models.CharField(max_length=64, unique=True, default=ids.access_token)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"{self.token[:6]}… ({self.client.client_id})"


class Customer(models.Model):
    customer_id = models.CharField(max_length=40, unique=True)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="customers")
    contact = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return str(self.customer_id)


class SmartTransaction(models.Model):
    stx_id = models.CharField(_("id"), max_length=40, unique=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="transactions")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    provider_contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, default="created", db_index=True)
    intent = models.CharField(max_length=10, default="sale")
    is_demo = models.BooleanField(default=False)
    payment_method = models.CharField(max_length=20, blank=True)
    # The normalised request, echoed in every answer.
    basket = models.JSONField(null=True, blank=True)
    basket_info = models.JSONField(default=dict)
    application_context = models.JSONField(default=dict)
    payment_context = models.JSONField(default=dict)
    delivery_options = models.JSONField(default=dict)
    merchant_ref = models.CharField(max_length=255, blank=True)
    transaction_ref = models.CharField(max_length=255, blank=True)
    payment_instructions = models.JSONField(null=True, blank=True)
    # The payment container (``PCT_...``) a debit or card payment was made with (DEMO-M
    # custom_checkout/Step3.php, payment_with_smart_checkout/Step3.php).
    container_id = models.CharField(max_length=40, blank=True)
    # Ended by /abort or /cancel: whatever its status reads ("cancelled" or "failed", see the
    # CANCEL_STATUS/ABORT_STATUS switches), it can no longer be paid.
    closed = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Smart Transaction")
        verbose_name_plural = _("Smart Transactions")
        ordering = ["-created"]

    def __str__(self) -> str:
        return str(self.stx_id)

    @property
    def url_push(self) -> str:
        return str((self.application_context.get("return_urls") or {}).get("url_push") or "")

    def return_url(self, which: str) -> str:
        urls: dict[str, Any] = self.application_context.get("return_urls") or {}
        return str(urls.get(which) or "")

    def leading(self) -> PaymentTransaction | None:
        return self.payment_transactions.filter(
            kind=PaymentTransaction.Kind.ORIGINAL, unlinked=False
        ).first()


class PaymentTransaction(models.Model):
    class Kind(models.TextChoices):
        ORIGINAL = "original", _("leading (original) transaction")
        SUB = "sub", _("sub-transaction of a sub-basket")
        REFUND = "refund", _("refund")

    pci_id = models.CharField(_("id"), max_length=40, unique=True)
    trans_id = models.BigIntegerField(unique=True)
    transaction_hash = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The Smart Transaction this transaction (or the one it refunds) was created for.
    smart_transaction = models.ForeignKey(
        SmartTransaction, on_delete=models.CASCADE, related_name="payment_transactions"
    )
    # A newer authorisation attempt unlinks the earlier attempt's transactions from the Smart
    # Transaction's ``transactions`` (documented: new attempts replace them); they live on.
    unlinked = models.BooleanField(default=False)
    # Sub-transactions point at the leading transaction, refunds at the transaction they refund.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, related_name="children", null=True, blank=True
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    reference_id = models.CharField(max_length=100, blank=True)
    payment_method = models.CharField(max_length=20)
    amount = models.BigIntegerField()  # negative for refunds
    original_amount = models.BigIntegerField()
    # Kept internally (reduce_stakeholder_payment), never sent: the model has no such field.
    stakeholder_amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    status_simple = models.PositiveSmallIntegerField(db_index=True)
    # The payer's money has arrived (JAVA-SDK cancel: "if the payer has already made the
    # payment"). Not the same as captured: a captured invoice (86) is accepted but unpaid.
    payer_paid = models.BooleanField(default=False)
    # When the payment was captured or completed (PHP-SDK ``completion_date``; DOC:Mark_as_Shipped).
    completion_date = models.DateTimeField(null=True, blank=True)
    # When the payer's money arrived (``incoming_payment_date`` on the wire).
    paid_at = models.DateTimeField(null=True, blank=True)
    partial_cancels = models.PositiveSmallIntegerField(default=0)
    # payment_context.accrual: not paid out until the flag is revoked (PHP-SDK PaymentContext).
    accrual = models.BooleanField(default=False)
    url_push = models.CharField(max_length=2000, blank=True)
    shipping_information = models.JSONField(null=True, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    order_id = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    is_demo = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Payment Transaction")
        verbose_name_plural = _("Payment Transactions")
        ordering = ["trans_id"]

    def __str__(self) -> str:
        return f"{self.pci_id} ({self.trans_id})"


class PayoutLine(models.Model):
    """One record of ``GET /Payment/Payouts`` (PHP-SDK PaymentPayoutsProductModel): what one
    Payment Transaction gave one contract in one payout run (sandbox/payouts.py)."""

    payout_id = models.CharField(max_length=40, unique=True)
    number = models.BigIntegerField(db_index=True)  # the run's transfer, one per contract
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    payment_transaction = models.ForeignKey(
        PaymentTransaction, on_delete=models.CASCADE, related_name="payout_lines"
    )
    currency = models.CharField(max_length=3, default="EUR")
    amounts = models.JSONField(default=dict)  # transaction_volume, refund_amount, ...
    payout_amount = models.BigIntegerField(default=0)
    date = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ["number", "pk"]

    def __str__(self) -> str:
        return f"{self.payout_id} ({self.payout_amount})"


class PushDelivery(models.Model):
    """One ``event.pushes`` notification and the story of getting it acknowledged."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("given up")

    push_id = models.CharField(max_length=40, unique=True, default=ids.push_id)
    url = models.CharField(max_length=2000)
    body = models.JSONField()
    payment_transaction = models.ForeignKey(
        PaymentTransaction, on_delete=models.CASCADE, related_name="pushes", null=True
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # One entry per attempt: when, HTTP status or error, duration.
    history = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.push_id} → {self.url} ({self.state})"


class Fault(models.Model):
    """A fault to inject into the next ``remaining`` calls of one operation (or ``*``); with
    ``remaining`` empty, into every call until it is cleared."""

    class Kind(models.TextChoices):
        LATENCY = "latency", _("added latency")
        HTTP_500 = "http_500", _("HTTP 500 with an HTML body")
        HTTP_502 = "http_502", _("HTTP 502 with an HTML body")
        HTTP_503 = "http_503", _("HTTP 503 with an HTML body")
        HTTP_404 = "http_404", _("HTTP 404 product error, as from a host that lacks the endpoint")
        MALFORMED_JSON = "malformed_json", _("HTTP 200 with malformed JSON (after processing)")
        TOKEN_EXPIRED = "token_expired", _("HTTP 403, code 2003, as if the token had expired")
        DROP_RESPONSE = "drop_response", _("processed, then the connection is dropped")

    operation = models.CharField(max_length=60, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Empty: armed until cleared.
    remaining = models.PositiveIntegerField(default=1, null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fault")
        verbose_name_plural = _("faults")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        times = "until cleared" if self.remaining is None else f"x{self.remaining}"
        return f"{self.operation}: {self.kind} {times}"


class ApiCall(models.Model):
    """The call log: one row per API request, for tests and benchmarks to count."""

    operation = models.CharField(max_length=60, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    client_id = models.CharField(max_length=64, blank=True)
    fault = models.CharField(max_length=20, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class SandboxState(models.Model):
    """Run-time state every process shares: the clock's offset, switch overrides, counters.

    ``value`` holds JSON (a switch's value, the clock offset in seconds); ``number`` is a counter
    that is only ever changed by an atomic ``UPDATE ... SET number = number + n``.
    """

    name = models.CharField(max_length=60, unique=True)
    value = models.JSONField(null=True, blank=True)
    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("sandbox state")
        verbose_name_plural = _("sandbox state")

    def __str__(self) -> str:
        return f"{self.name} = {self.value if self.value is not None else self.number}"
