"""Include with ``path("payments/", include("secu_marketplace.urls"))``."""

from __future__ import annotations

from django.urls import path

from secu_marketplace import converters  # noqa: F401  (registers the token converters)
from secu_marketplace.views import payment, push

app_name = "secu_marketplace"

urlpatterns = [
    path("pay/<public_token:token>/", payment.pay, name="pay"),
    path("order/<public_token:token>/", payment.status, name="status"),
    path("return/<signed_token:token>/<str:outcome>/", payment.returned, name="return"),
    path("push/<signed_token:token>/", push.push, name="push"),
    path("push/payouts/<signed_token:token>/", push.payout_push, name="payout_push"),
]
