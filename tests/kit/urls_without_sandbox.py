"""A project that mounts the app but forgot the sandbox (tests/kit/test_installation.py)."""

from django.urls import include, path

urlpatterns = [path("payments/", include("secu_marketplace.urls"))]
