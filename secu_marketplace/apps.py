from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecuMarketplaceConfig(AppConfig):
    name = "secu_marketplace"
    verbose_name = _("Marketplace payments (secuconnect)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from secu_marketplace import checks  # noqa: F401  (registers the system checks)
        from secu_marketplace.safety import refuse_unsafe_server
        from secu_marketplace.sqlite import begin_immediate

        connection_created.connect(begin_immediate, dispatch_uid="secu_marketplace.sqlite")
        # A web server runs no system checks: an unsafe live deployment must not start at all.
        refuse_unsafe_server()
