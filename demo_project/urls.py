"""The demo marketplace: the shop, the app's buyer-facing URLs, the admin and the sandbox."""

from django.contrib import admin
from django.urls import include, path

from demo_project.shop import views as shop

urlpatterns = [
    path("", shop.home, name="home"),
    path("admin/", admin.site.urls),
    path("sandbox/", include("secu_marketplace.sandbox.urls")),
]
