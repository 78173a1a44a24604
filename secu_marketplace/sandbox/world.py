"""The sandbox's default world: the provider guide's client, merchant, contracts and template.

Created on first use (and by ``sandbox_setup``), so a fresh database, a flushed test database and
the demo all know the guide's credentials without a fixture.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from secu_marketplace.conf import (
    PUBLIC_CLIENT_ID,
    PUBLIC_CLIENT_SECRET,
    PUBLIC_CONTRACT_ID,
    PUBLIC_PROVIDER_CONTRACT_ID,
)
from secu_marketplace.sandbox.models import ApiClient, Contract, Merchant

# The app's conf names these public ids too: it refuses them in production (safety.py).
GUIDE_CLIENT_ID = PUBLIC_CLIENT_ID
GUIDE_CLIENT_SECRET = PUBLIC_CLIENT_SECRET
GUIDE_MERCHANT_ID = "MRC_SP02GWXS3FVVX0MFN2F95BN9F8SCE2"
GUIDE_MERCHANT_NAME = "Mustermarktplatz GmbH"
GUIDE_CONTRACT = PUBLIC_CONTRACT_ID
GUIDE_PROVIDER_CONTRACT = PUBLIC_PROVIDER_CONTRACT_ID
GUIDE_SUPPLIER_CONTRACTS = {
    "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7": "Musterhändler Kaffee & Tee",
    "GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30": "Musterhändler Einrichtung",
}
# A third supplier the demo marketplace uses beside the guide's two.
EXTRA_SUPPLIER_CONTRACTS = {
    "GCR_HB3WQ7KT5ZP2M9DX4RCE1LVN8SJ6YA": "Musterhändler Bürobedarf",
}
# Checkout templates the real service documents; any other COT_ id is refused (a sandbox
# validation on top of the real API: docs/provider.md, "Undecided").
CHECKOUT_TEMPLATES = {
    "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2": "regular checkout",
    "COT_QV85D3F542XWFFJYCSWG00W400YWAT": "subscriptions",
    "COT_3DP70FK5H2XP02TCVQ28000NG095A2": "easyCredit",
}


@dataclass(frozen=True)
class World:
    client: ApiClient
    merchant: Merchant
    contract: Contract


def ensure_defaults() -> World:
    """Create the guide's world if it is missing; cheap and idempotent."""
    with transaction.atomic():
        merchant, _ = Merchant.objects.get_or_create(
            merchant_id=GUIDE_MERCHANT_ID, defaults={"companyname": GUIDE_MERCHANT_NAME}
        )
        client, _ = ApiClient.objects.get_or_create(
            client_id=GUIDE_CLIENT_ID,
            defaults={"client_secret": GUIDE_CLIENT_SECRET, "merchant": merchant},
        )
        contract, _ = Contract.objects.get_or_create(
            contract_id=GUIDE_CONTRACT,
            defaults={
                "merchant": merchant,
                "kind": Contract.Kind.MERCHANT,
                "name": merchant.companyname,
                # The marketplace's contract is the parent of requestId (docs/provider.md,
                # "Payment contracts"); control.set_contract_cloning turns it off.
                "allow_cloning": True,
            },
        )
        Contract.objects.get_or_create(
            contract_id=GUIDE_PROVIDER_CONTRACT,
            defaults={"merchant": merchant, "kind": Contract.Kind.PROVIDER, "name": "Provider"},
        )
        for contract_id, name in {**GUIDE_SUPPLIER_CONTRACTS, **EXTRA_SUPPLIER_CONTRACTS}.items():
            supplier, _ = Merchant.objects.get_or_create(
                merchant_id="MRC_" + contract_id[4:], defaults={"companyname": name}
            )
            Contract.objects.get_or_create(
                contract_id=contract_id,
                defaults={"merchant": supplier, "kind": Contract.Kind.SUPPLIER, "name": name},
            )
    return World(client=client, merchant=merchant, contract=contract)
