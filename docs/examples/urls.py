# urls.py
from django.urls import include  # startproject's urls.py imports only path

urlpatterns += [
    path("payments/", include("secu_marketplace.urls")),
    path("sandbox/", include("secu_marketplace.sandbox.urls")),  # not in production
]
