"""``/api/v2/Payment/Contracts``: reading a contract, its payment methods, and ``requestId``,
which clones the marketplace's contract for a new supplier (docs/provider.md, "Payment
contracts").

Evidence: PHP-SDK ``PaymentContractsApi.md`` (paths; requestId "clones your payment contract, so
that you can use this to separate the merchants of your marketplace (Needs to be activated)"),
``PaymentContractsDTORequestId`` (``contact``, ``project`` "must be unique", ``payout_account``,
``iframe_opts``, ``payin_account`` default false), ``PaymentContractsRequestIdResult.php``
(``contract``, ``merchant``, ``store`` as ``{object, id}``, ``apikey``, ``payin_account``),
``PaymentContractsProductModel`` (``object, id, parent, demo, allow_cloning,
sepa_mandate_inform, created, updated``); the old SDK demo ``05_marketplace/create_merchant.php``
(a full request).

Where the evidence is silent the sandbox picks one reading, said where it is made:

- "Needs to be activated" is read as the parent's ``allow_cloning``: a parent without it is
  refused with HTTP 403 ProductNotAllowedException, code ``CODE_CLONING_NOT_ALLOWED`` (the real
  code is unknown). The new contract is usable at once as a supplier contract in a Smart
  Transaction; no public source shows a second activation step for the child.
- A taken project name, a bad IBAN or a missing field: HTTP 400, code 1001, ``error_details``
  starting with the field's path (``project: ...``, ``payout_account.iban: ...``).
- Required: ``project``, ``contact`` (a company name or a forename and surname),
  ``payout_account.iban`` and ``.owner``. The SDK marks none of them required; the sandbox asks
  for what a payout cannot go without.
- Any contract the sandbox knows can be read by any client (a marketplace reads its suppliers'
  contracts, which belong to other merchants); an unknown id answers as ``UNKNOWN_ID`` says.
- ``object`` is "payment.contracts" in these answers (the SDK does not give the value).
- ``paymentMethods`` is the contract's configured list, or every method the sandbox knows when
  none is configured.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction

from secu_marketplace import iban

from . import clock, ids
from .errors import BadRequest, NotAllowed, unknown_id
from .instructions import BANK_ACCOUNT
from .models import ApiClient, Contract, Merchant
from .representation import iso
from .statuses import PAYMENT_METHODS
from .validation import normalise_contact

OBJECT = "payment.contracts"
CODE_CLONING_NOT_ALLOWED = 9406  # unknown; the sandbox's own number (errors.py)
MAX_PROJECT_LENGTH = 255


def get(contract_id: str) -> Contract:
    contract = Contract.objects.select_related("parent").filter(contract_id=contract_id).first()
    if contract is None:
        raise unknown_id(f"paymentContractId: unknown contract {contract_id}")
    return contract


def representation(contract: Contract) -> dict[str, Any]:
    """PaymentContractsProductModel, with nothing the SDK model does not name."""
    parent = contract.parent
    return {
        "object": OBJECT,
        "id": contract.contract_id,
        "parent": {"object": OBJECT, "id": parent.contract_id} if parent else None,
        "demo": contract.demo,
        "allow_cloning": contract.allow_cloning,
        "sepa_mandate_inform": "never",
        "created": iso(contract.created),
        "updated": iso(contract.created),
    }


def payment_methods(contract: Contract) -> list[str]:
    return list(contract.payment_methods or PAYMENT_METHODS)


def _text(data: dict[str, Any], key: str, path: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{path}.{key}: must be a string")
    return value.strip()


def _project(body: dict[str, Any]) -> str:
    project = _text(body, "project", "body")
    if not project:
        raise BadRequest("project: is required (a name that is unique)")
    if len(project) > MAX_PROJECT_LENGTH:
        raise BadRequest(f"project: must be at most {MAX_PROJECT_LENGTH} characters")
    if Contract.objects.filter(project=project).exists():
        raise BadRequest(f"project: {project!r} exists already (the name must be unique)")
    return project


def _contact(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("contact")
    if not isinstance(raw, dict) or not raw:
        raise BadRequest("contact: is required (the new merchant's contact)")
    contact = normalise_contact(raw, "contact")
    if not contact.get("companyname") and not (contact.get("forename") and contact.get("surname")):
        raise BadRequest("contact.companyname: is required (or contact.forename and .surname)")
    return contact


def _payout_account(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("payout_account")
    if not isinstance(raw, dict):
        raise BadRequest("payout_account: is required (iban and owner)")
    number = iban.normalise(_text(raw, "iban", "payout_account"))
    if not number:
        raise BadRequest("payout_account.iban: is required")
    problem = iban.problem(number)
    if problem:
        raise BadRequest(f"payout_account.iban: {problem}")
    owner = _text(raw, "owner", "payout_account")
    if not owner:
        raise BadRequest("payout_account.owner: is required")
    account = {"iban": number, "owner": owner}
    for key in ("bic", "bankname"):
        if _text(raw, key, "payout_account"):
            account[key] = _text(raw, key, "payout_account")
    return account


def _payin_account(owner: str) -> dict[str, Any]:
    """A fresh account at the sandbox's bank for the merchant's pay-ins (a valid IBAN)."""
    bban = BANK_ACCOUNT["iban"][4:12] + "".join(secrets.choice("0123456789") for _ in range(10))
    return {
        "iban": iban.with_check_digits("DE", bban),
        "bic": BANK_ACCOUNT["bic"],
        "owner": owner,
        "bankname": BANK_ACCOUNT["bankname"],
    }


def request_id(client: ApiClient, parent_id: str, body: Any) -> dict[str, Any]:
    """Clone ``parent_id`` for a new merchant; returns PaymentContractsRequestIdResult."""
    parent = get(parent_id)
    if parent.merchant_id != client.merchant_id:
        raise NotAllowed(
            f"paymentContractId: contract {parent_id} does not belong to this client", code=2005
        )
    if not parent.allow_cloning:
        raise NotAllowed(
            f"paymentContractId: contract {parent_id} may not create sub-contracts "
            "(requestId needs to be activated for it)",
            code=CODE_CLONING_NOT_ALLOWED,
        )
    if not isinstance(body, dict):
        raise BadRequest("body: must be an object")
    project = _project(body)
    contact = _contact(body)
    payout = _payout_account(body)
    wants_payin = body.get("payin_account", False)
    if not isinstance(wants_payin, bool):
        raise BadRequest("payin_account: must be true or false")
    company = contact.get("companyname") or contact["name"]
    payin = _payin_account(company) if wants_payin else {}
    try:
        with transaction.atomic():
            merchant = Merchant.objects.create(
                merchant_id=ids.object_id("MRC"), companyname=company
            )
            contract = Contract.objects.create(
                contract_id=ids.object_id("GCR"),
                merchant=merchant,
                kind=Contract.Kind.SUPPLIER,
                name=project,
                parent=parent,
                demo=parent.demo,
                # Inherited like everything else a clone takes from its parent.
                payment_methods=list(parent.payment_methods),
                project=project,
                store_id=ids.object_id("STO"),
                contact=contact,
                payout_account=payout,
                payin_account=payin,
                created=clock.now(),
            )
    except IntegrityError:  # the same project name sent twice at the same moment
        raise BadRequest(f"project: {project!r} exists already (the name must be unique)") from None
    result: dict[str, Any] = {
        "contract": {"object": OBJECT, "id": contract.contract_id},
        "merchant": {"object": "general.merchants", "id": merchant.merchant_id},
        "store": {"object": "general.stores", "id": contract.store_id},
        # The new merchant's key; the sandbox does not keep it (nothing accepts it).
        "apikey": secrets.token_hex(16),
    }
    if payin:
        result["payin_account"] = payin
    return result


def set_methods(contract_id: str, methods: list[str] | None) -> list[str]:
    """Configure what ``paymentMethods`` answers for a contract (empty or None: all)."""
    unknown = sorted(set(methods or ()) - set(PAYMENT_METHODS))
    if unknown:
        raise ValueError(f"unknown payment method(s): {', '.join(unknown)}")
    contract = Contract.objects.filter(contract_id=contract_id).first()
    if contract is None:
        raise LookupError(f"unknown contract {contract_id}")
    contract.payment_methods = [m for m in PAYMENT_METHODS if m in (methods or ())]
    contract.save(update_fields=["payment_methods"])
    return payment_methods(contract)
