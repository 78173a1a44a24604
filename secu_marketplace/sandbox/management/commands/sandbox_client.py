"""Add (or update) a sandbox client with its merchant and contracts.

    manage.py sandbox_client --client-id ID --client-secret SECRET --merchant "Shop GmbH" \
        --contract GCR_... --supplier "GCR_...=Supplier A" --supplier "GCR_...=Supplier B"
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from secu_marketplace.sandbox import ids, world
from secu_marketplace.sandbox.models import ApiClient, Contract, Merchant

GCR_RE = re.compile(r"^GCR_[A-Z0-9]{30}$")


class Command(BaseCommand):
    help = "Create the guide's defaults, or add a client with its merchant and contracts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id")
        parser.add_argument("--client-secret")
        parser.add_argument("--merchant", help="company name of the client's merchant")
        parser.add_argument("--contract", help="the merchant's own contract id (GCR_...)")
        parser.add_argument(
            "--supplier",
            action="append",
            default=[],
            metavar="GCR_...=NAME",
            help="a supplier contract",
        )
        parser.add_argument("--token-lifetime", type=int, help="seconds; default SECU_SANDBOX's")

    def handle(self, *args: Any, **options: Any) -> None:
        world.ensure_defaults()
        if not options["client_id"]:
            self.stdout.write("The guide's client, merchant and contracts are in place.")
            return
        for value in [options["contract"], *[s.partition("=")[0] for s in options["supplier"]]]:
            if value and not GCR_RE.match(value):
                raise CommandError(
                    f"{value!r} is not a contract id (GCR_ and 30 letters or digits)"
                )
        if not options["client_secret"] or not options["merchant"]:
            raise CommandError("--client-secret and --merchant are required with --client-id")
        with transaction.atomic():
            merchant = Merchant.objects.filter(
                companyname=options["merchant"]
            ).first() or Merchant.objects.create(
                merchant_id=ids.object_id("MRC"), companyname=options["merchant"]
            )
            ApiClient.objects.update_or_create(
                client_id=options["client_id"],
                defaults={
                    "client_secret": options["client_secret"],
                    "merchant": merchant,
                    "token_lifetime": options["token_lifetime"],
                },
            )
            contract_id = options["contract"] or ids.object_id("GCR")
            Contract.objects.update_or_create(
                contract_id=contract_id,
                defaults={
                    "merchant": merchant,
                    "kind": Contract.Kind.MERCHANT,
                    "name": merchant.companyname,
                    "allow_cloning": True,
                },
            )
            for spec in options["supplier"]:
                supplier_id, _, name = spec.partition("=")
                supplier = Merchant.objects.create(
                    merchant_id=ids.object_id("MRC"), companyname=name or supplier_id
                )
                Contract.objects.update_or_create(
                    contract_id=supplier_id,
                    defaults={"merchant": supplier, "kind": Contract.Kind.SUPPLIER, "name": name},
                )
        self.stdout.write(
            f"Client {options['client_id']} → {merchant.companyname}, contract {contract_id}."
        )
