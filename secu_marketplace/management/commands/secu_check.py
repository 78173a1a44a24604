"""``manage.py secu_check``: are the credentials and contract accepted by the configured host?

Runs the system checks for SECU_MARKETPLACE, fetches a token, and makes one harmless read (a
Smart Transaction id that cannot exist) to prove the token is accepted by the API. Then reads
each active supplier's contract and its payment methods, and names those missing, waiting for
secupay's approval, or lacking a method the shop offers. Nothing is created.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import AuthenticationError, NotFound, SecuconnectError
from secu_marketplace.models import Supplier
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.served import probe_site
from secu_marketplace.services import supplier_contracts

PROBE_ID = "STX_" + "0" * 30


class Command(BaseCommand):
    help = "Check that secuconnect accepts SECU_MARKETPLACE's credentials (creates nothing)."

    requires_system_checks = ["compatibility"]

    def handle(self, *args: Any, **options: Any) -> None:
        client = SecuconnectClient()
        self.stdout.write(f"Host:      {client.api_url}")
        self.stdout.write(f"Client id: {client.client_id}")
        self.stdout.write(f"Contract:  {app_settings.CONTRACT_ID}")
        site_problem = probe_site()
        if site_problem:
            self.stdout.write(self.style.WARNING(f"Site:      {site_problem}"))
        else:
            self.stdout.write(f"Site:      {app_settings.site_url} answers")
        try:
            client.token()
        except AuthenticationError as error:
            raise CommandError(f"The credentials were refused: {error}") from error
        except SecuconnectError as error:
            hint = f" ({site_problem})" if site_problem else ""
            raise CommandError(f"Could not get a token: {error}{hint}") from error
        self.stdout.write(self.style.SUCCESS("Token:     issued"))
        try:
            client.get_smart_transaction(PROBE_ID)
        except NotFound:
            pass  # expected: the token is accepted, and the probe id does not exist
        except SecuconnectError as error:
            raise CommandError(f"The API refused a read with that token: {error}") from error
        self.stdout.write(self.style.SUCCESS("API:       reachable and the token is accepted"))
        self._suppliers(client)

    def _suppliers(self, client: SecuconnectClient) -> None:
        for supplier in Supplier.objects.filter(is_active=True).order_by("name"):
            label = f"Supplier:  {supplier.name}"
            if not supplier.contract_id:
                self.stdout.write(self.style.WARNING(f"{label}: no contract (onboard it)"))
                continue
            try:
                supplier_contracts.refresh(supplier, client=client)
                if supplier.contract_state == Supplier.ContractState.NOT_FOUND:
                    self.stdout.write(
                        self.style.WARNING(
                            f"{label}: secuconnect does not know {supplier.contract_id}"
                        )
                    )
                    continue
                methods = supplier_contracts.payment_methods(supplier.contract_id, client=client)
            except SecuconnectError as error:
                raise CommandError(f"Could not read {supplier.contract_id}: {error}") from error
            if supplier.contract_approved is False:
                self.stdout.write(
                    self.style.WARNING(
                        f"{label}: {supplier.contract_id} is waiting for secupay's approval "
                        f"(UNAPPROVED_SUPPLIERS = {supplier_contracts.unapproved_policy().value})"
                    )
                )
            lacking = supplier_contracts.lacking(methods)
            if lacking:
                self.stdout.write(
                    self.style.WARNING(
                        f"{label}: {supplier.contract_id} lacks {', '.join(lacking)}"
                    )
                )
            else:
                self.stdout.write(f"{label}: {supplier.contract_id} takes every offered method")
