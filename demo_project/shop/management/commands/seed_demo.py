"""Seed the demo marketplace: the sandbox's world and an admin login. Idempotent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from secu_marketplace.sandbox import world

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the demo marketplace's data and an admin login (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        world.ensure_defaults()
        users = get_user_model().objects
        if not users.filter(username=ADMIN_USER).exists():
            users.create_superuser(ADMIN_USER, "admin@mustermarktplatz.example", ADMIN_PASSWORD)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready. Admin login: {ADMIN_USER} / {ADMIN_PASSWORD} at /admin/; "
                "the sandbox is at /sandbox/"
            )
        )
