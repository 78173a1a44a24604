"""A customer's contact as secuconnect stores it: validated, and normalised the way its answers
show it (a ``name`` added from forename and surname, phone numbers without spaces, ``dob`` as
midnight in German local time, the country code upper case).

Used for the ``customer.contact`` of a Smart Transaction, the contact the hosted page or
``/prepare`` adds, and the new merchant's contact of a contract request (``contract_ops``). Only
the keys listed here are kept, in this order: the echo carries what was sent or derived.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from secu_marketplace.sandbox.errors import BadRequest
from secu_marketplace.sandbox.request_fields import obj, text

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BERLIN = ZoneInfo("Europe/Berlin")
PERSON_KEYS = ("salutation", "title", "forename", "surname", "companyname", "gender")
PHONE_KEYS = ("phone", "mobile", "fax")
OTHER_KEYS = ("url_website", "birthplace", "nationality")
ADDRESS_KEYS = ("type", "street", "street_number", "additional_address_data", "postal_code", "city")


def normalise_contact(contact: dict[str, Any], path: str) -> dict[str, Any]:
    """What secuconnect does to a contact: adds ``name``, strips phone spaces, dates ``dob``."""
    out = _person(contact, path)
    if contact.get("dob"):
        out["dob"] = _birth_date(contact["dob"], f"{path}.dob")
    if contact.get("email"):
        out["email"] = _email(contact["email"], f"{path}.email")
    for key in PHONE_KEYS:
        if contact.get(key):
            out[key] = re.sub(r"\s+", "", text(contact[key], f"{path}.{key}"))
    for key in OTHER_KEYS:
        if contact.get(key):
            out[key] = text(contact[key], f"{path}.{key}")
    address = obj(contact.get("address"), f"{path}.address")
    if address:
        out["address"] = _address(address, f"{path}.address")
    return out


def _person(contact: dict[str, Any], path: str) -> dict[str, Any]:
    """The person's or company's names, and the ``name`` secuconnect derives from them."""
    out: dict[str, Any] = {}
    for key in PERSON_KEYS:
        if contact.get(key):
            out[key] = text(contact[key], f"{path}.{key}")
    name = text(contact.get("name"), f"{path}.name") or " ".join(
        part for part in (out.get("forename"), out.get("surname")) if part
    )
    if name or out.get("companyname"):
        out["name"] = name or out["companyname"]
    return out


def _birth_date(value: Any, path: str) -> str:
    raw = text(value, path)
    try:
        born = date.fromisoformat(raw[:10])
    except ValueError:
        raise BadRequest(f"{path}: must be a date (YYYY-MM-DD), got {raw!r}") from None
    # Midnight in German local time, as the guide's answer shows ("...T00:00:00+01:00").
    return datetime.combine(born, time(), tzinfo=BERLIN).isoformat()


def _email(value: Any, path: str) -> str:
    email = text(value, path)
    if not EMAIL_RE.match(email):
        raise BadRequest(f"{path}: not a valid e-mail address")
    return email


def _address(address: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ADDRESS_KEYS:
        if address.get(key):
            out[key] = text(address[key], f"{path}.{key}")
    if "street_number" in out:
        out["street_number"] = out["street_number"].replace(" ", "")
    if address.get("country"):
        country = text(address["country"], f"{path}.country").upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise BadRequest(f"{path}.country: must be an ISO 3166 alpha-2 code")
        out["country"] = country
    return out
