from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "secu_marketplace.sandbox"
    label = "secu_sandbox"
    verbose_name = _("secuconnect sandbox")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from secu_marketplace.sandbox import state

        # Any change to faults, the clock or the switches invalidates every process's cache.
        state.connect_signals()
