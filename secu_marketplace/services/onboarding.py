"""Onboarding a supplier: a secuconnect contract of its own, requested through ``requestId`` on
the marketplace's contract (``SECU_MARKETPLACE["CONTRACT_ID"]``; docs/provider.md, "Payment
contracts").

The request is recorded on the supplier *before* it is sent (its unique project name, state
"requesting"), so a double click is refused and a lost answer leaves a trace. Then:

- an answer: the contract and merchant ids (and the store id, when the answer has one: the SDK
  model names it, the recording does not), the pay-in account and the contract's ``approved``
  (false for a new contract: it waits for secupay) are stored, the contract is read back to
  learn whether secuconnect knows it ("active"), and the ``apikey`` is dropped (or kept
  write-only when ``STORE_SUPPLIER_APIKEY`` asks for it);
- a refusal (taken project name, IBAN, not allowed) or an unreachable secuconnect: the supplier
  is put back as it was, and ``OnboardingError`` says why;
- a lost answer (``OutcomeUnknown``): the state becomes "unknown" and the request is **not** sent
  again (no idempotency key is documented). The contract list (``GET /Payment/Contracts``) is
  searched for a child of the marketplace's contract that no supplier holds, created while the
  request could land (``lost_request.proposals``); the settle page proposes what it finds, and
  only a person adopts it (``settle_with_contract``, checked against secuconnect). The list has
  no project field, so a match is a proposal, not a proof. Failing that, staff look in secuOffice
  and enter the contract id, or declare that none was made (``abandon_request``). Requesting
  again afterwards with the same project name is safe either way: secuconnect refuses a project
  name twice, so a contract made by the lost request can never get a twin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from secu_marketplace import iban
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import (
    ApiError,
    OnboardingError,
    OutcomeUnknown,
    ProviderUnavailable,
    SecuconnectError,
)
from secu_marketplace.ledger import suppliers as supplier_writes
from secu_marketplace.models import Supplier
from secu_marketplace.provider.answers import CONTRACT_ID_RE as CONTRACT_RE
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.contracts import ContractRequested, parse_contract_requested
from secu_marketplace.services import lost_request, supplier_contracts

logger = logging.getLogger(__name__)

State = Supplier.ContractState
__all__ = ["Application", "OnboardingError", "abandon_request", "onboard", "settle_with_contract"]


@dataclass(frozen=True)
class Application:
    """What staff enter for a new supplier's contract (PaymentContractsDTORequestId)."""

    project: str
    companyname: str
    payout_iban: str
    payout_owner: str
    forename: str = ""
    surname: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    street_number: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "DE"
    payin_account: bool = False

    def body(self) -> dict[str, Any]:
        address = {
            "street": self.street,
            "street_number": self.street_number,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country.upper(),
        }
        contact = {
            "companyname": self.companyname,
            "forename": self.forename,
            "surname": self.surname,
            "email": self.email,
            "phone": self.phone,
            "address": {k: v for k, v in address.items() if v},
        }
        return {
            "project": self.project.strip(),
            "contact": {k: v for k, v in contact.items() if v},
            "payout_account": {
                "iban": iban.normalise(self.payout_iban),
                "owner": self.payout_owner.strip(),
            },
            "payin_account": bool(self.payin_account),
        }


def _unsettled_for(supplier: Supplier) -> bool:
    """A request that is (or was left) in flight: "requesting" for longer than a call can take
    counts as lost."""
    if supplier.contract_state == State.UNKNOWN:
        return True
    if supplier.contract_state != State.REQUESTING:
        return False
    connect, read = app_settings.timeouts
    started = supplier.onboarding_requested or timezone.now()
    return timezone.now() - started > timedelta(seconds=connect + read + 5)


def _refusal(error: ApiError, project: str) -> str:
    details = str(error.error_details or error.message)
    if details.startswith("project"):
        return supplier_writes.duplicate_project(project)
    if details.startswith("payout_account.iban"):
        return _("secuconnect refused the payout account's IBAN: %(details)s") % {
            "details": details
        }
    if error.http_status == 403:
        return _(
            "secuconnect does not allow the marketplace's contract %(contract)s to request "
            "contracts (requestId needs to be activated by secuconnect): %(details)s"
        ) % {"contract": app_settings.CONTRACT_ID, "details": details}
    return _("secuconnect refused the contract request: %(details)s") % {"details": details}


def onboard(
    supplier: Supplier, application: Application, *, client: SecuconnectClient | None = None
) -> Supplier:
    """Request a contract for ``supplier``; returns it updated, or raises ``OnboardingError``
    (the supplier as it was, except after a lost answer: see the module docstring)."""
    project = application.project.strip()
    if not project:
        raise OnboardingError(_("A project name is required."))
    problem = iban.problem(application.payout_iban)
    if problem:
        raise OnboardingError(
            _("The payout account's IBAN is not valid: %(problem)s") % {"problem": problem}
        )
    if not application.payout_owner.strip():
        raise OnboardingError(_("The payout account's owner is required."))
    previous = supplier_writes.record_request(supplier, project)
    client = client or SecuconnectClient()
    try:
        answer = client.request_contract_id(app_settings.CONTRACT_ID, application.body())
    except OutcomeUnknown as error:
        supplier_writes.lost(supplier)
        logger.warning("contract request for supplier %s lost its answer: %s", supplier.pk, error)
        raise OnboardingError(unknown_message(supplier)) from error
    except ApiError as error:
        supplier_writes.put_back(supplier, previous)
        raise OnboardingError(_refusal(error, project)) from error
    except (ProviderUnavailable, SecuconnectError) as error:
        supplier_writes.put_back(supplier, previous)
        raise OnboardingError(
            _("secuconnect could not be reached; nothing was requested. Please try again later.")
        ) from error
    made = parse_contract_requested(answer)
    if not made.contract_id:
        supplier_writes.lost(supplier)
        raise OnboardingError(unknown_message(supplier))
    return _store(supplier, made, client)


def _store(supplier: Supplier, made: ContractRequested, client: SecuconnectClient) -> Supplier:
    contract_id = made.contract_id
    supplier_writes.stored(supplier, made, keep_apikey=app_settings.STORE_SUPPLIER_APIKEY)
    logger.info("supplier %s onboarded with contract %s", supplier.pk, contract_id)
    try:
        supplier_contracts.refresh(supplier, client=client)
    except SecuconnectError as error:  # the contract is stored; the state is learnt later
        logger.info("could not read the new contract %s yet: %s", contract_id, error)
    return supplier


def unknown_message(supplier: Supplier) -> str:
    return _(
        "The answer to the contract request for %(name)s (project %(project)s) was lost: "
        "secuconnect may or may not have created the contract, so it is not requested again. "
        "Confirm a contract proposed from secuconnect's list, or look for the project in "
        "secuOffice: enter the contract id if it exists, or confirm that none was created."
    ) % {"name": supplier.name, "project": supplier.onboarding_project}


def settle_with_contract(
    supplier: Supplier, contract_id: str, *, client: SecuconnectClient | None = None
) -> Supplier:
    """A lost request did create a contract: store its id once secuconnect confirms it (and,
    when it names a parent, that the parent is the marketplace's contract)."""
    contract_id = contract_id.strip()
    if not CONTRACT_RE.match(contract_id):
        raise OnboardingError(_("That is not a contract id (GCR_ and 30 capitals or digits)."))
    if not _unsettled_for(supplier):
        raise OnboardingError(_("There is no unsettled contract request for this supplier."))
    if Supplier.objects.filter(contract_id=contract_id).exclude(pk=supplier.pk).exists():
        raise OnboardingError(
            _("Contract %(contract)s belongs to another supplier already.")
            % {"contract": contract_id}
        )
    try:
        found = supplier_contracts.contract(contract_id, client=client, refresh=True)
    except SecuconnectError as error:
        raise OnboardingError(
            _("secuconnect could not be reached to confirm the contract; try again later.")
        ) from error
    if found is None:
        raise OnboardingError(
            _("secuconnect does not know the contract %(contract)s.") % {"contract": contract_id}
        )
    if found.parent_id and found.parent_id != app_settings.CONTRACT_ID:
        raise OnboardingError(
            _("Contract %(contract)s was not requested from the marketplace's contract.")
            % {"contract": contract_id}
        )
    supplier_writes.settled(supplier, contract_id, approved=found.approved)
    logger.info("supplier %s settled with contract %s", supplier.pk, contract_id)
    return supplier


def proposals(
    supplier: Supplier, *, client: SecuconnectClient | None = None
) -> list[lost_request.Proposal] | None:
    """Contracts in secuconnect's list that the lost request may have made, for staff to
    confirm; empty when the request is settled or nothing fits, None when the list cannot be
    read (staff then enter the id or declare that none was made)."""
    if not _unsettled_for(supplier):
        return []
    try:
        return lost_request.proposals(supplier, client=client)
    except SecuconnectError as error:
        logger.warning("contract list not readable for supplier %s: %s", supplier.pk, error)
        return None


def abandon_request(supplier: Supplier) -> Supplier:
    """Staff checked secuOffice: the lost request made no contract. The supplier may be
    onboarded again (the same project name is safe: secuconnect refuses it if it does exist)."""
    if not _unsettled_for(supplier):
        raise OnboardingError(_("There is no unsettled contract request for this supplier."))
    supplier_writes.abandoned(supplier)
    return supplier


def is_unsettled(supplier: Supplier) -> bool:
    return _unsettled_for(supplier)
