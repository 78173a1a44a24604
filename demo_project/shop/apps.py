from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "demo_project.shop"
    label = "shop"
    verbose_name = "Demo marketplace shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # E-mails to the buyer and the suppliers when a payment moves (see receivers.py).
        from . import receivers

        receivers.connect()
