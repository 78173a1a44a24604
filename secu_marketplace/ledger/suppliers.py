"""A supplier's contract, written: a request recorded before it is sent (under the supplier's
row lock, re-checked there), put back when refused, marked unknown when its answer is lost, and
the contract stored, settled or re-read as secuconnect says.

Suppliers are not part of an order's lock order (``ledger/__init__.py``): no write locks a
supplier and an order together.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from secu_marketplace.exceptions import OnboardingError
from secu_marketplace.models import Supplier
from secu_marketplace.provider.contracts import ContractRequested

State = Supplier.ContractState
UNSETTLED = (State.REQUESTING, State.UNKNOWN)
# What a failed request puts back: the fields the request touched.
REQUEST_FIELDS = ("onboarding_project", "onboarding_requested", "contract_state")


def duplicate_project(project: str) -> str:
    return _("The project name %(project)s is taken; every contract request needs a new one.") % {
        "project": project
    }


def record_request(supplier: Supplier, project: str) -> dict[str, Any]:
    """Lock the supplier, refuse what cannot be requested (a contract already, a request still
    unsettled, a project name taken), record the request; returns what to put back if the
    request fails."""
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.contract_id:
            raise OnboardingError(
                _("Supplier %(name)s has a contract already (%(contract)s).")
                % {"name": locked.name, "contract": locked.contract_id}
            )
        if locked.contract_state in UNSETTLED:
            raise OnboardingError(
                _(
                    "A contract request for %(name)s is still unsettled (project %(project)s); "
                    "settle it first."
                )
                % {"name": locked.name, "project": locked.onboarding_project}
            )
        if Supplier.objects.filter(onboarding_project=project).exclude(pk=locked.pk).exists():
            raise OnboardingError(duplicate_project(project))
        previous = {field: getattr(locked, field) for field in REQUEST_FIELDS}
        locked.onboarding_project = project
        locked.onboarding_requested = timezone.now()
        locked.contract_state = State.REQUESTING
        try:
            with transaction.atomic():
                locked.save(update_fields=list(REQUEST_FIELDS))
        except IntegrityError:  # another supplier took the name a moment ago
            raise OnboardingError(duplicate_project(project)) from None
    return previous


def put_back(supplier: Supplier, previous: dict[str, Any]) -> None:
    """The request was refused or never sent: the supplier as it was."""
    Supplier.objects.filter(pk=supplier.pk).update(**previous)
    for field, value in previous.items():
        setattr(supplier, field, value)


def lost(supplier: Supplier) -> None:
    """The request's answer was lost: it may or may not have made a contract."""
    Supplier.objects.filter(pk=supplier.pk).update(contract_state=State.UNKNOWN)
    supplier.refresh_from_db()


def stored(supplier: Supplier, made: ContractRequested, *, keep_apikey: bool) -> None:
    """secuconnect answered with the new contract: its ids, pay-in account and approval (the
    answer is the contract itself: ``approved`` is false until secupay approves it). The
    ``apikey`` is kept (write-only) only when asked."""
    supplier.contract_id = made.contract_id
    supplier.merchant_id = made.merchant_id
    supplier.store_id = made.store_id
    supplier.payin_account = made.payin_account
    supplier.contract_state = State.REQUESTED
    supplier.contract_approved = made.approved
    if keep_apikey and made.apikey:
        supplier.apikey = made.apikey
    supplier.save(
        update_fields=[
            "contract_id",
            "contract_approved",
            "merchant_id",
            "store_id",
            "payin_account",
            "contract_state",
            "apikey",
        ]
    )


def settled(supplier: Supplier, contract_id: str, *, approved: bool | None) -> None:
    """A lost request did make ``contract_id`` (secuconnect confirmed it)."""
    supplier.contract_id = contract_id
    supplier.contract_state = State.ACTIVE
    supplier.contract_approved = approved
    supplier.save(update_fields=["contract_id", "contract_state", "contract_approved"])


def abandoned(supplier: Supplier) -> None:
    """A lost request made no contract (staff checked): the supplier may be onboarded again."""
    supplier.onboarding_project = ""
    supplier.onboarding_requested = None
    supplier.contract_state = State.NONE
    supplier.save(update_fields=list(REQUEST_FIELDS))


def contract_read(supplier: Supplier, *, known: bool, approved: bool | None) -> None:
    """The contract re-read: whether secuconnect knows it, whether secupay approved it. A
    request in flight keeps its state (its answer settles it)."""
    changed = []
    state = State.ACTIVE if known else State.NOT_FOUND
    if supplier.contract_state != state and supplier.contract_state not in UNSETTLED:
        supplier.contract_state = state
        changed.append("contract_state")
    if supplier.contract_approved != approved:
        supplier.contract_approved = approved
        changed.append("contract_approved")
    if changed:
        supplier.save(update_fields=changed)


def approval_seen(contract_id: str, approved: bool) -> None:
    """secuconnect says whether ``contract_id`` is approved: the supplier rows that say
    otherwise follow (no write when they agree)."""
    Supplier.objects.filter(contract_id=contract_id).exclude(contract_approved=approved).update(
        contract_approved=approved
    )
