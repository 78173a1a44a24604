# urls.py
from django.apps import apps
from django.urls import include  # startproject's urls.py imports only path

urlpatterns += [path("payments/", include("secu_marketplace.urls"))]
if apps.is_installed("secu_marketplace.sandbox"):  # SECUCONNECT_ENVIRONMENT=sandbox only
    urlpatterns += [path("sandbox/", include("secu_marketplace.sandbox.urls"))]
