"""``manage.py secu_check``: are the credentials and contract accepted by the configured host?

Runs the system checks for SECU_MARKETPLACE, fetches a token, and makes one harmless read (a
Smart Transaction id that cannot exist) to prove the token is accepted by the API. Nothing is
created.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from secu_marketplace.client import SecuconnectClient
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import AuthenticationError, NotFound, SecuconnectError

PROBE_ID = "STX_" + "0" * 30


class Command(BaseCommand):
    help = "Check that secuconnect accepts SECU_MARKETPLACE's credentials (creates nothing)."

    requires_system_checks = ["compatibility"]

    def handle(self, *args: Any, **options: Any) -> None:
        client = SecuconnectClient()
        self.stdout.write(f"Host:      {client.api_url}")
        self.stdout.write(f"Client id: {client.client_id}")
        self.stdout.write(f"Contract:  {app_settings.CONTRACT_ID}")
        try:
            client.token()
        except AuthenticationError as error:
            raise CommandError(f"The credentials were refused: {error}") from error
        except SecuconnectError as error:
            raise CommandError(f"Could not get a token: {error}") from error
        self.stdout.write(self.style.SUCCESS("Token:     issued"))
        try:
            client.get_smart_transaction(PROBE_ID)
        except NotFound:
            pass  # expected: the token is accepted, and the probe id does not exist
        except SecuconnectError as error:
            raise CommandError(f"The API refused a read with that token: {error}") from error
        self.stdout.write(self.style.SUCCESS("API:       reachable and the token is accepted"))
