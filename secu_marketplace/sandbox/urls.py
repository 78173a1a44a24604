"""Mount with ``path("sandbox/", include("secu_marketplace.sandbox.urls"))``.

Below the mount point the paths are secuconnect's own: ``oauth/token`` at the root, the API under
``api/v2/``. The hosted checkout page, the GiroCode image and the control API sit beside them.
"""

from __future__ import annotations

from django.urls import path, re_path

from secu_marketplace.sandbox.api import unknown_endpoint
from secu_marketplace.sandbox.views import (
    checkout,
    contracts,
    control,
    home,
    oauth,
    payment,
    payouts,
    qr,
    smart,
)

app_name = "secu_sandbox"

ID = r"(?P<{}>[A-Za-z0-9_]+)"

urlpatterns = [
    path("", home.home, name="home"),
    path("oauth/token", oauth.token, name="oauth-token"),
    path("api/v2/Smart/Transactions", smart.collection, name="smart-collection"),
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}$", smart.detail, name="smart-detail"
    ),
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}/prepare/(?P<method>[a-z]+)$",
        smart.prepare,
        name="smart-prepare",
    ),
    # ``/start`` and ``/start/`` (the PHP SDK's spelling with an empty method after /prepare).
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}/start/?$",
        smart.start,
        name="smart-start",
    ),
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}/start/(?P<method>[a-z_]+)$",
        smart.start,
        name="smart-start-method",
    ),
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}/cancel$",
        smart.cancel,
        name="smart-cancel",
    ),
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}/abort$", smart.abort, name="smart-abort"
    ),
    re_path(
        rf"^api/v2/Smart/Transactions/{ID.format('stx_id')}/setDelivery$",
        smart.set_delivery,
        name="smart-set-delivery",
    ),
    path("api/v2/Payment/Transactions", payment.listing, name="payment-collection"),
    re_path(
        rf"^api/v2/Payment/Transactions/{ID.format('pci_id')}$", payment.read, name="payment-detail"
    ),
    re_path(
        rf"^api/v2/Payment/Transactions/{ID.format('pci_id')}/checkStatus$",
        payment.check_status,
        name="payment-check-status",
    ),
    re_path(
        rf"^api/v2/Payment/Transactions/{ID.format('pci_id')}/cancel$",
        payment.cancel,
        name="payment-cancel",
    ),
    re_path(
        rf"^api/v2/Payment/Transactions/{ID.format('pci_id')}/capture$",
        payment.capture,
        name="payment-capture",
    ),
    re_path(
        rf"^api/v2/Payment/Transactions/{ID.format('pci_id')}/ShippingInformation$",
        payment.shipping_information,
        name="payment-shipping-information",
    ),
    re_path(
        rf"^api/v2/Payment/(?P<resource>Secupay[a-z]+)/{ID.format('pci_id')}/TestChangedPaymentStatus$",
        payment.test_changed_status,
        name="payment-test-status",
    ),
    re_path(
        rf"^api/v2/Payment/Transactions/{ID.format('pci_id')}/revokeAccrual$",
        payouts.revoke_accrual,
        name="payment-revoke-accrual",
    ),
    path("api/v2/Payment/Payouts", payouts.listing, name="payouts-collection"),
    re_path(
        rf"^api/v2/Payment/Payouts/{ID.format('payout_id')}$", payouts.read, name="payouts-detail"
    ),
    re_path(
        rf"^api/v2/General/Contracts/{ID.format('contract_id')}/transferBalance$",
        payouts.transfer_balance,
        name="contracts-transfer-balance",
    ),
    path("api/v2/Payment/Contracts", contracts.listing, name="contracts-collection"),
    re_path(
        rf"^api/v2/Payment/Contracts/{ID.format('contract_id')}$",
        contracts.read,
        name="contracts-detail",
    ),
    re_path(
        rf"^api/v2/Payment/Contracts/{ID.format('contract_id')}/paymentMethods$",
        contracts.payment_methods,
        name="contracts-payment-methods",
    ),
    # Both spellings: the SDK's ``requestId`` and the recorded ``RequestID`` (RUBY-C).
    re_path(
        rf"^api/v2/Payment/Contracts/{ID.format('contract_id')}/(?:requestId|RequestID)$",
        contracts.request_id,
        name="contracts-request-id",
    ),
    re_path(
        rf"^api/v2/General/Contracts/{ID.format('contract_id')}/getAvailablePaymentMethods$",
        contracts.available_methods,
        name="contracts-available-methods",
    ),
    # Anything else under api/v2/ answers a product error (404), like every other API error.
    re_path(r"^api/v2/", unknown_endpoint, name="api-unknown"),
    path("checkout/<str:stx_id>/", checkout.checkout, name="checkout"),
    path("qr/epc", qr.epc, name="qr-epc"),
    path("control/faults", control.faults, name="control-faults"),
    path("control/calls", control.calls, name="control-calls"),
    path("control/tokens/expire", control.expire_tokens, name="control-expire-tokens"),
    path("control/clients/<str:client_id>", control.client_settings, name="control-client"),
    path("control/pushes", control.pushes, name="control-pushes"),
    path("control/clock", control.clock, name="control-clock"),
    path("control/payouts", control.payouts, name="control-payouts"),
    path("control/switches", control.switches, name="control-switches"),
    path("control/payments/<str:pci_id>/money-back", control.money_back, name="control-money-back"),
    path(
        "control/payments/<str:pci_id>/issue-resolved",
        control.issue_resolved,
        name="control-issue-resolved",
    ),
    path(
        "control/contracts/<str:contract_id>/methods",
        control.contract_methods,
        name="control-contract-methods",
    ),
    path(
        "control/contracts/<str:contract_id>/cloning",
        control.contract_cloning,
        name="control-contract-cloning",
    ),
    path(
        "control/contracts/<str:contract_id>/approval",
        control.contract_approval,
        name="control-contract-approval",
    ),
    path(
        "control/contracts/<str:contract_id>/mixed_basket",
        control.contract_mixed_basket,
        name="control-contract-mixed-basket",
    ),
    path(
        "control/contracts/<str:contract_id>/payout_push",
        control.contract_payout_push,
        name="control-contract-payout-push",
    ),
]
