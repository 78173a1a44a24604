"""``/api/v2/Payment/Contracts`` and ``/api/v2/General/Contracts``: reading and listing contracts,
their payment methods, and ``requestId``, which clones the marketplace's contract for a new
supplier (docs/provider.md, "Payment contracts").

As recorded (RUBY-C: ``eugenmueller/secuconnect``,
``spec/fixtures/vcr_cassettes/Secuconnect_Payment_Contract/{contract_show,contract_index,
contract_creation}/*.yml``): a contract is ``{"object": "general.contracts", "id", "id_old",
"parent" (only for a child), "approved", "created", "pay_in_account" (when it has one),
"merchant": {"object": "general.merchants", "id"}}``; the list is ``{count, data}``; the
``requestId`` answer is the new contract (``approved: false``) with ``apikey`` (40 hex digits) and
``contract: {object, id}``, plus ``payin_account`` when one was asked for (DEMO-M
``src/migrate/create_project.php``). The fields the SDK model dropped in 0.4.0
(``allow_cloning``, ``sepa_mandate_inform``) are not sent. ``requestId`` accepts what the
recording shows was accepted: a country written out ("Germany"), an empty BIC, an empty mobile
number; the path spelled ``requestId`` or ``RequestID``; the contract id ``me`` (DEMO-M
``create_project.php``: the caller's own contract).

Where the evidence is silent the sandbox picks one reading, said where it is made:

- "Needs to be activated" is the parent's ``allow_cloning``, kept internally and never sent: a
  parent without it is refused with HTTP 403 ProductNotAllowedException, code
  ``CODE_CLONING_NOT_ALLOWED`` (the real code is unknown).
- A new contract takes part in Smart Transactions before it is approved (whether the real host
  allows that is undecided; the app's ``UNAPPROVED_SUPPLIERS`` policy decides what it does).
- ``id_old`` is the contract's number, the same a Payment Transaction carries as ``contract_id``.
- The list shows the client's own contracts and every contract made from them, in creation
  order; ``q`` takes ``id:``, ``parent.id:`` and ``approved:`` terms joined by ``AND`` (the
  generic grammar of PHP-SDK ``PaymentContractsApi.php`` ``paymentContractsGet``; no recording
  shows ``q`` on contracts), anything else answers 400.
- A taken project name, a bad IBAN or a missing field: HTTP 400, code 1001, ``error_details``
  starting with the field's path (``project: ...``, ``payout_account.iban: ...``).
- Any contract the sandbox knows can be read by any client; an unknown id answers as
  ``UNKNOWN_ID`` says.
- Payment methods: the contract's configured list, or every method the sandbox knows. The
  General Contracts names come from ``statuses.GENERAL_METHOD_NAMES``; the deprecated endpoint
  answers the Smart Checkout keys or those names as the ``METHOD_NAMES`` switch says.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from secu_marketplace import iban
from secu_marketplace.sandbox import clock, conf, ids
from secu_marketplace.sandbox.contact_validation import normalise_contact
from secu_marketplace.sandbox.errors import BadRequest, NotAllowed, unknown_id
from secu_marketplace.sandbox.instructions import BANK_ACCOUNT
from secu_marketplace.sandbox.models import ApiClient, Contract, Merchant
from secu_marketplace.sandbox.representation import CONTRACT_NUMBER_BASE, iso
from secu_marketplace.sandbox.statuses import GENERAL_METHOD_NAMES, PAYMENT_METHODS, WALLET_NAMES

OBJECT = "general.contracts"
CODE_CLONING_NOT_ALLOWED = 9406  # unknown; the sandbox's own number (errors.py)
MAX_PROJECT_LENGTH = 255
MAX_COUNTRY_LENGTH = 60
OWN = "me"  # the caller's own contract (DEMO-M create_project.php: requestId('me', ...))


def own_contract(client: ApiClient) -> Contract:
    """The client's marketplace contract: its merchant's first contract of kind "merchant"."""
    found = (
        Contract.objects.select_related("parent", "merchant")
        .filter(merchant=client.merchant, kind=Contract.Kind.MERCHANT)
        .order_by("pk")
        .first()
    )
    if found is None:
        raise unknown_id("paymentContractId: this client has no contract of its own")
    return found


def get(contract_id: str, client: ApiClient | None = None) -> Contract:
    if contract_id == OWN and client is not None:
        return own_contract(client)
    contract = (
        Contract.objects.select_related("parent", "merchant")
        .filter(contract_id=contract_id)
        .first()
    )
    if contract is None:
        raise unknown_id(f"paymentContractId: unknown contract {contract_id}")
    return contract


def representation(contract: Contract) -> dict[str, Any]:
    """The contract as recorded (RUBY-C); nothing the current SDK model dropped."""
    data: dict[str, Any] = {"object": OBJECT, "id": contract.contract_id}
    data["id_old"] = CONTRACT_NUMBER_BASE + contract.pk
    if contract.parent is not None:
        data["parent"] = {"object": OBJECT, "id": contract.parent.contract_id}
    data["approved"] = contract.approved
    # CONTRACT_CREATED: the recorded answers carry the moment of the answer here.
    read = conf.switch("CONTRACT_CREATED") == "read"
    data["created"] = iso(clock.now() if read else contract.created)
    if contract.payin_account:
        data["pay_in_account"] = dict(contract.payin_account)
    if contract.demo:
        data["demo"] = True
    data["merchant"] = {"object": "general.merchants", "id": contract.merchant.merchant_id}
    return data


QUERY_FIELDS = {"id": "contract_id", "parent.id": "parent__contract_id", "approved": "approved"}


def search(client: ApiClient, query: str) -> QuerySet[Contract]:
    """``GET /Payment/Contracts?q=``: the client's contracts and their children."""
    found = Contract.objects.filter(
        Q(merchant=client.merchant) | Q(parent__merchant=client.merchant)
    )
    for term in (t.strip() for t in query.split(" AND ") if t.strip()):
        name, sep, value = term.partition(":")
        value = value.strip().strip('"')
        if not sep or name not in QUERY_FIELDS:
            raise BadRequest(f"q: unsupported term {term!r} (fields: {', '.join(QUERY_FIELDS)})")
        if name == "approved":
            if value not in ("true", "false"):
                raise BadRequest("q: approved must be true or false")
            found = found.filter(approved=value == "true")
        else:
            found = found.filter(**{QUERY_FIELDS[name]: value})
    return found.select_related("parent", "merchant").order_by("pk")


def listing(client: ApiClient, query: str, count: int, offset: int) -> dict[str, Any]:
    found = search(client, query)
    page = found[offset : offset + count]
    return {"count": found.count(), "data": [representation(c) for c in page]}


def payment_methods(contract: Contract) -> list[str]:
    """What the contract accepts, as Smart Checkout keys."""
    return list(contract.payment_methods or PAYMENT_METHODS)


def general_method_names(contract: Contract) -> list[str]:
    """The same, as the General Contracts endpoint names them (wallets last, as recorded)."""
    methods = payment_methods(contract)
    names = sorted((GENERAL_METHOD_NAMES[m] for m in methods), key=str.lower)
    return names + (list(WALLET_NAMES) if "creditcard" in methods else [])


def deprecated_payment_methods(contract: Contract) -> list[str]:
    """``GET /Payment/Contracts/{id}/paymentMethods`` under the ``METHOD_NAMES`` switch."""
    if conf.switch("METHOD_NAMES") == "general":
        return general_method_names(contract)
    return payment_methods(contract)


def available_payment_methods(contract: Contract, body: Any) -> list[str]:
    """``POST /General/Contracts/{id}/getAvailablePaymentMethods`` with a
    GetAvailablePaymentMethodsDTO (``currency`` and ``is_demo`` required; ``apiv2_products``,
    whose names no public source shows, is accepted and ignored)."""
    data = body if isinstance(body, dict) else {}
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise BadRequest("currency: is required (an ISO 4217 code)")
    if not isinstance(data.get("is_demo"), bool):
        raise BadRequest("is_demo: is required (true or false)")
    if data.get("apiv2_products") not in (None, True, False):
        raise BadRequest("apiv2_products: must be true or false")
    return general_method_names(contract)


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


def _country(address: dict[str, Any]) -> str:
    """An ISO code (upper-cased) or a country written out, as recorded ("Germany")."""
    country = _text(address, "country", "contact.address")
    if len(country) > MAX_COUNTRY_LENGTH or not all(c.isalpha() or c in " -." for c in country):
        raise BadRequest("contact.address.country: a country code or name is required")
    return country.upper() if len(country) == 2 else country


def _contact(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("contact")
    if not isinstance(raw, dict) or not raw:
        raise BadRequest("contact: is required (the new merchant's contact)")
    address = raw.get("address")
    country = ""
    if isinstance(address, dict):
        country = _country(address)
        # The Smart Transaction's customer takes codes only; a contract's contact more.
        raw = {**raw, "address": {k: v for k, v in address.items() if k != "country"}}
    contact = normalise_contact(raw, "contact")
    if country:
        contact.setdefault("address", {})["country"] = country
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
    for key in ("bic", "bankname"):  # an empty BIC is accepted (recorded) and not kept
        if _text(raw, key, "payout_account"):
            account[key] = _text(raw, key, "payout_account")
    return account


def _payin_account() -> dict[str, Any]:
    """A fresh account at secupay's bank for the merchant's pay-ins: owned by secupay AG, as
    recorded (DEMO-M create_project.php; RUBY-C contract_index's ``pay_in_account``)."""
    bban = BANK_ACCOUNT["iban"][4:12] + "".join(secrets.choice("0123456789") for _ in range(10))
    return {
        "iban": iban.with_check_digits("DE", bban),
        "bic": BANK_ACCOUNT["bic"],
        "owner": BANK_ACCOUNT["owner"],
        "bankname": BANK_ACCOUNT["bankname"],
    }


def _parent_for(client: ApiClient, parent_id: str) -> Contract:
    parent = get(parent_id, client)
    if parent.merchant_id != client.merchant_id:
        raise NotAllowed(
            f"paymentContractId: contract {parent_id} does not belong to this client", code=2005
        )
    if not parent.allow_cloning:
        raise NotAllowed(
            f"paymentContractId: contract {parent.contract_id} may not create sub-contracts "
            "(requestId needs to be activated for it)",
            code=CODE_CLONING_NOT_ALLOWED,
        )
    return parent


def request_id(client: ApiClient, parent_id: str, body: Any) -> dict[str, Any]:
    """Clone ``parent_id`` (or ``me``) for a new merchant; answers as recorded (RUBY-C)."""
    parent = _parent_for(client, parent_id)
    if not isinstance(body, dict):
        raise BadRequest("body: must be an object")
    project = _project(body)
    contact = _contact(body)
    payout = _payout_account(body)
    wants_payin = body.get("payin_account", False)
    if not isinstance(wants_payin, bool):
        raise BadRequest("payin_account: must be true or false")
    company = contact.get("companyname") or contact["name"]
    payin = _payin_account() if wants_payin else {}
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
                approved=False,  # waits for secupay (recorded: "approved": false)
                # Inherited like everything else a clone takes from its parent.
                payment_methods=list(parent.payment_methods),
                mixed_basket=parent.mixed_basket,
                project=project,
                store_id=ids.object_id("STO"),
                contact=contact,
                payout_account=payout,
                payin_account=payin,
                created=clock.now(),
            )
    except IntegrityError:  # the same project name sent twice at the same moment
        raise BadRequest(f"project: {project!r} exists already (the name must be unique)") from None
    result = representation(contract)
    result.pop("pay_in_account", None)  # answered as ``payin_account`` (DEMO-M)
    # The new merchant's key (40 hex digits, as recorded); the sandbox does not keep it.
    result["apikey"] = secrets.token_hex(20)
    result["contract"] = {"object": OBJECT, "id": contract.contract_id}
    if payin:
        result["payin_account"] = {k: payin[k] for k in ("iban", "bic", "owner")}
    return result


def _contract(contract_id: str) -> Contract:
    contract = Contract.objects.filter(contract_id=contract_id).first()
    if contract is None:
        raise LookupError(f"unknown contract {contract_id}")
    return contract


def set_methods(contract_id: str, methods: list[str] | None) -> list[str]:
    """Configure what a contract accepts (empty or None: all)."""
    unknown = sorted(set(methods or ()) - set(PAYMENT_METHODS))
    if unknown:
        raise ValueError(f"unknown payment method(s): {', '.join(unknown)}")
    contract = _contract(contract_id)
    contract.payment_methods = [m for m in PAYMENT_METHODS if m in (methods or ())]
    contract.save(update_fields=["payment_methods"])
    return payment_methods(contract)


def set_flag(contract_id: str, flag: str, value: bool) -> None:
    """Turn one of a contract's own switches on or off: ``approved`` (secupay's approval),
    ``mixed_basket`` (else code 4028) or ``allow_cloning`` (requestId)."""
    if flag not in ("approved", "mixed_basket", "allow_cloning"):
        raise ValueError(f"unknown contract flag {flag!r}")
    if not isinstance(value, bool):
        raise ValueError(f"{flag}: true or false")
    if not Contract.objects.filter(contract_id=contract_id).update(**{flag: value}):
        raise LookupError(f"unknown contract {contract_id}")
