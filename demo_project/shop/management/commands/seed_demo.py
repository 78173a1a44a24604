"""Seed the demo marketplace: the sandbox's world, the suppliers with their shipping and
products, and an admin login. Idempotent: a second run creates nothing and changes nothing.

The guide's two suppliers come with their contracts; the third is onboarded the way staff would
in the admin: a contract requested through ``requestId`` (secu_marketplace.services.onboarding),
from the bundled sandbox, reached in-process because the demo server is not running yet."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo_project.shop.in_process import ORIGIN, InProcessAdapter
from demo_project.shop.models import Product, ShippingRate
from secu_marketplace.conf import Environment, app_settings
from secu_marketplace.models import Supplier
from secu_marketplace.provider.client import SecuconnectClient, session
from secu_marketplace.services import onboarding, supplier_contracts

if not apps.is_installed("secu_marketplace.sandbox"):
    raise CommandError(
        "seed_demo seeds the demo marketplace on the bundled sandbox "
        "(SECUCONNECT_ENVIRONMENT=sandbox); on secuconnect's hosts add your suppliers in the admin."
    )

from secu_marketplace.sandbox import control, world

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
FEE_RATE = 200  # 2 % of each sub-basket, in basis points


class P(NamedTuple):
    article_number: str
    name: str
    price: int  # cents
    description: str
    tax_rate: int = 19


COFFEE, FURNITURE = world.GUIDE_SUPPLIER_CONTRACTS
# The third supplier has no contract until it is onboarded: it is keyed by its name.
OFFICE = "Musterhändler Bürobedarf"
SUPPLIER_NAMES = {**world.GUIDE_SUPPLIER_CONTRACTS, OFFICE: OFFICE}
OFFICE_APPLICATION = onboarding.Application(
    project="Mustermarktplatz: Musterhändler Bürobedarf",
    companyname="Musterhändler Bürobedarf GmbH",
    forename="Berta",
    surname="Büro",
    email="buero@musterhaendler.example",
    street="Papierweg",
    street_number="7",
    postal_code="09111",
    city="Chemnitz",
    payout_iban="DE89370400440532013000",
    payout_owner="Musterhändler Bürobedarf GmbH",
)
# Shipping per supplier, in cents: charged once per order and supplier.
SHIPPING = {COFFEE: 450, FURNITURE: 350, OFFICE: 490}
# Where each supplier's order mails go (the demo prints them on the console).
EMAILS = {
    COFFEE: "kaffee@musterhaendler.example",
    FURNITURE: "einrichtung@musterhaendler.example",
    OFFICE: "buero@musterhaendler.example",
}
CATALOGUE: dict[str, list[P]] = {
    COFFEE: [
        P("KT-1001", "Kaffeepads Aromata 20 Stück", 1995, "Milde Röstung, für alle Padmaschinen."),
        P("KT-1002", "Espressobohnen Crema 1 kg", 1790, "Ganze Bohnen, dunkel geröstet."),
        P("KT-1003", "Grüner Tee Sencha 100 g", 650, "Loser Blatttee aus Japan.", 7),
        P("KT-1004", "Kräutertee Abendruhe 20 Beutel", 395, "Melisse, Lavendel, Kamille.", 7),
    ],
    FURNITURE: [
        P("EI-2001", "Magnettafel 70x50 cm", 2995, "Weiß, beschreibbar, mit Alurahmen."),
        P("EI-2002", "Schreibtischlampe LED", 3990, "Dimmbar, mit Schwenkarm."),
        P("EI-2003", "Wandregal Kiefer 80 cm", 3490, "Massivholz, Montagematerial inklusive."),
        P("EI-2004", "Garderobenhaken Eiche 3er-Set", 2450, "Geölte Eiche, zum Schrauben."),
    ],
    OFFICE: [
        P("BB-3001", "Kugelschreiber blau 10 Stück", 499, "Mit Druckmechanik."),
        P("BB-3002", "Collegeblock A4 kariert 5 Stück", 749, "80 Blatt, gelocht."),
        P("BB-3003", "Ordner A4 breit 3 Stück", 897, "Rückenbreite 8 cm."),
        P("BB-3004", "Haftnotizen 76x76 mm 12 Blöcke", 990, "Gelb, je 100 Blatt."),
    ],
}


def seed_catalogue() -> int:
    """Create what is missing (and give a supplier seeded without an e-mail address its
    address); returns how many rows were created."""
    created = 0
    with transaction.atomic():
        for contract_id, products in CATALOGUE.items():
            if contract_id == OFFICE:
                supplier, new = Supplier.objects.get_or_create(
                    name=OFFICE, defaults={"fee_rate": FEE_RATE, "email": EMAILS[OFFICE]}
                )
            else:
                supplier, new = Supplier.objects.get_or_create(
                    contract_id=contract_id,
                    defaults={
                        "name": SUPPLIER_NAMES[contract_id],
                        "fee_rate": FEE_RATE,
                        "email": EMAILS[contract_id],
                    },
                )
            created += new
            if not supplier.email:
                supplier.email = EMAILS[contract_id]
                supplier.save(update_fields=["email"])
            _rate, new = ShippingRate.objects.get_or_create(
                supplier=supplier, defaults={"price": SHIPPING[contract_id]}
            )
            created += new
            for p in products:
                _product, new = Product.objects.get_or_create(
                    article_number=p.article_number,
                    defaults={
                        "supplier": supplier,
                        "name": p.name,
                        "price": p.price,
                        "description": p.description,
                        "tax_rate": p.tax_rate,
                    },
                )
                created += new
    return created


def onboard_office() -> str:
    """Request the third supplier's contract from the bundled sandbox (once)."""
    supplier = Supplier.objects.get(name=OFFICE)
    if supplier.contract_id or onboarding.is_unsettled(supplier):
        return ""
    if app_settings.api_url != f"{app_settings.site_url}/sandbox":  # a sandbox elsewhere
        return f"{OFFICE}: onboard it in the admin (not against {app_settings.api_url} here)."
    session().mount(f"{ORIGIN}/", InProcessAdapter())
    client = SecuconnectClient(api_url=f"{ORIGIN}/sandbox")
    onboarding.onboard(supplier, OFFICE_APPLICATION, client=client)
    # A new contract waits for secupay's approval; in the bundled sandbox the demo plays secupay
    # and approves it at once, so the demo shop can sell the supplier's products.
    control.approve_contract(supplier.contract_id)
    supplier_contracts.refresh(supplier, client=client)
    return (
        f"{OFFICE}: onboarded with contract {supplier.contract_id} "
        "(approved in the sandbox, as secupay would)."
    )


class Command(BaseCommand):
    help = "Create the demo marketplace's data and an admin login (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if app_settings.environment != Environment.SANDBOX:
            raise CommandError("seed_demo runs only with SECUCONNECT_ENVIRONMENT=sandbox.")
        world.ensure_defaults()
        created = seed_catalogue()
        onboarded = onboard_office()
        if onboarded:
            self.stdout.write(onboarded)
        self.stdout.write(f"Suppliers, shipping rates and products: {created} created.")
        # A well-known login is for a developer's machine (or a deliberate demo) only.
        if not (settings.DEBUG or app_settings.DEMO_DEPLOYMENT):
            self.stdout.write(
                self.style.SUCCESS("Demo ready; create a staff login with createsuperuser.")
            )
            return
        users = get_user_model().objects
        if not users.filter(username=ADMIN_USER).exists():
            users.create_superuser(ADMIN_USER, "admin@mustermarktplatz.example", ADMIN_PASSWORD)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready. Admin login: {ADMIN_USER} / {ADMIN_PASSWORD} at /admin/; "
                "the sandbox is at /sandbox/"
            )
        )
