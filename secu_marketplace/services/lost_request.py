"""Finding the contract a lost ``requestId`` answer may have made (docs/provider.md, "Payment
contracts"; ``onboarding`` settles it).

``GET /Payment/Contracts`` lists the marketplace's contracts and their children, each child with
its ``parent`` and ``created`` (RUBY-C ``contract_index``). A contract the lost request made is a
child of the marketplace's contract (``CONTRACT_ID``) that no supplier holds yet, created while
the request could still land: from ``onboarding_requested`` (less ``CLOCK_SKEW``, the two clocks
differ) until the landing window (connect and read timeouts plus ``LOST_CREATE_MARGIN``, plus
``CLOCK_SKEW``) had passed. Those are *proposed* to staff, never adopted without a person
confirming one (``onboarding.settle_with_contract`` then checks it again).

The recordings show every contract's ``created`` as the moment of the answer, not of the
contract's making (RUBY-C ``contract_index``, ``contract_show``). Where secuconnect answers so,
no contract falls in the window; staff are then shown the newest children nobody holds
(``id_old`` counts up as contracts are made), marked as outside the window, and asked to check
them in secuOffice, or to enter the id or confirm that none was made.

The list is paged with ``count``/``offset`` and filtered here: no recording shows ``q`` on
contracts, so nothing relies on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from secu_marketplace.conf import app_settings
from secu_marketplace.models import Supplier
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.contracts import ContractData, parse_contract_page

PAGE_SIZE = 100
MAX_PAGES = 20  # 2000 contracts: far more than a marketplace's suppliers
CLOCK_SKEW = timedelta(minutes=2)
MAX_PROPOSALS = 5


@dataclass(frozen=True)
class Proposal:
    """A contract that may be the lost request's, for staff to confirm (or not)."""

    contract: ContractData
    in_window: bool  # created while the request could land; else only unclaimed


def window(requested: datetime) -> tuple[datetime, datetime]:
    """When a contract made by a request sent at ``requested`` can have been created."""
    landing = timedelta(seconds=app_settings.landing_window)
    return requested - CLOCK_SKEW, requested + landing + CLOCK_SKEW


def marketplace_children(client: SecuconnectClient) -> list[ContractData]:
    """Every child of the marketplace's contract that ``GET /Payment/Contracts`` lists."""
    found: list[ContractData] = []
    seen = 0
    for number in range(MAX_PAGES):
        page = parse_contract_page(
            client.list_contracts(count=PAGE_SIZE, offset=number * PAGE_SIZE)
        )
        seen += len(page.contracts)
        found += [c for c in page.contracts if c.parent_id == app_settings.CONTRACT_ID]
        if not page.contracts or (page.count is not None and seen >= page.count):
            break
    return found


def _newest_first(contract: ContractData) -> tuple[int, float]:
    moment = contract.created.timestamp() if contract.created else 0.0
    return (contract.id_old or 0, moment)


def proposals(supplier: Supplier, *, client: SecuconnectClient | None = None) -> list[Proposal]:
    """The contracts to propose for ``supplier``'s lost request: those created in the window
    first; when none is, the newest unclaimed ones. Raises ``SecuconnectError`` when the list
    cannot be read."""
    client = client or SecuconnectClient()
    held = set(Supplier.objects.exclude(contract_id="").values_list("contract_id", flat=True))
    unclaimed = [c for c in marketplace_children(client) if c.id not in held]
    requested = supplier.onboarding_requested or timezone.now()
    start, end = window(requested)
    inside = [c for c in unclaimed if c.created is not None and start <= c.created <= end]
    if inside:
        inside.sort(key=lambda c: abs((c.created or requested) - requested))
        return [Proposal(c, in_window=True) for c in inside[:MAX_PROPOSALS]]
    unclaimed.sort(key=_newest_first, reverse=True)
    return [Proposal(c, in_window=False) for c in unclaimed[:MAX_PROPOSALS]]
