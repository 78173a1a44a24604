from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecuMarketplaceConfig(AppConfig):
    name = "secu_marketplace"
    verbose_name = _("Marketplace payments (secuconnect)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
