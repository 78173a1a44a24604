"""Include with ``path("payments/", include("secu_marketplace.urls"))``."""

from __future__ import annotations

from django.urls import path

from .views import payment, push

app_name = "secu_marketplace"

urlpatterns = [
    path("pay/<str:token>/", payment.pay, name="pay"),
    path("order/<str:token>/", payment.status, name="status"),
    path("return/<str:token>/<str:outcome>/", payment.returned, name="return"),
    path("push/<str:token>/", push.push, name="push"),
]
