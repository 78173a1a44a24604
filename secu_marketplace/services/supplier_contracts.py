"""What each supplier's secuconnect contract is and accepts, cached, and what that allows at
checkout (docs/provider.md, "Payment contracts").

- ``contract(id)``: ``GET /Payment/Contracts/{id}``, or None when secuconnect does not know it
  (404, or a 403 that is not about the token: the ``UNKNOWN_ID`` question of "Undecided").
- ``payment_methods(id)``: ``GET /Payment/Contracts/{id}/paymentMethods``.

Both are kept in the Django cache for ``CONTRACT_CACHE_SECONDS`` (an hour by default: contracts
change rarely, and a checkout should not cost two extra calls per supplier). An unknown contract
is not cached, so a contract fixed at secuconnect is seen at the next checkout. The admin's
"Refresh contracts" drops and re-reads both.

``checkout_methods(order, method)`` is what ``start_checkout`` asks before anything else: every
sub-basket's supplier has a contract secuconnect knows, the preselected method (if any) is one
every supplier accepts, and the methods to send in ``payment_context.payment_methods``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import caches
from django.utils.translation import gettext as _

from secu_marketplace.baskets import load_parts
from secu_marketplace.client import SecuconnectClient
from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import BasketError, CheckoutError, NotAllowed, NotFound
from secu_marketplace.models import Order, Supplier
from secu_marketplace.statuses import PAYMENT_METHODS

CACHE_PREFIX = "secu_marketplace:contract:"


def _cache() -> Any:
    return caches[app_settings.CACHE_ALIAS]


def _key(kind: str, contract_id: str) -> str:
    return f"{CACHE_PREFIX}{kind}:{contract_id}"


def offered_methods() -> tuple[str, ...]:
    """What the shop offers: ``PAYMENT_METHODS`` of the settings, else every method."""
    return tuple(app_settings.PAYMENT_METHODS or PAYMENT_METHODS)


def contract(
    contract_id: str, *, client: SecuconnectClient | None = None, refresh: bool = False
) -> dict[str, Any] | None:
    """The contract as secuconnect shows it, or None if it does not know it.

    Raises ``ProviderUnavailable`` when secuconnect cannot be asked."""
    key = _key("model", contract_id)
    if not refresh:
        found = _cache().get(key)
        if found is not None:
            return dict(found)
    client = client or SecuconnectClient()
    try:
        data = client.get_contract(contract_id)
    except NotFound:
        return None
    except NotAllowed as error:
        if error.code == 2003:  # a token problem the client could not cure: not an answer
            raise
        return None
    _cache().set(key, data, int(app_settings.CONTRACT_CACHE_SECONDS))
    return data


def payment_methods(
    contract_id: str, *, client: SecuconnectClient | None = None, refresh: bool = False
) -> tuple[str, ...]:
    """The methods the contract accepts, as secuconnect lists them."""
    key = _key("methods", contract_id)
    if not refresh:
        found = _cache().get(key)
        if found is not None:
            return tuple(found)
    client = client or SecuconnectClient()
    methods = tuple(client.contract_payment_methods(contract_id))
    _cache().set(key, list(methods), int(app_settings.CONTRACT_CACHE_SECONDS))
    return methods


def cached_payment_methods(contract_id: str) -> tuple[str, ...] | None:
    """The cached methods without asking secuconnect (None when nothing is cached)."""
    found = _cache().get(_key("methods", contract_id))
    return None if found is None else tuple(found)


def forget(contract_id: str) -> None:
    _cache().delete_many([_key("model", contract_id), _key("methods", contract_id)])


def lacking(methods: Iterable[str]) -> list[str]:
    """The offered methods missing from ``methods``."""
    accepted = set(methods)
    return [m for m in offered_methods() if m not in accepted]


def require_contract(supplier: Supplier) -> None:
    """A supplier without a contract cannot sell: refuse it in a basket (``BasketError``)."""
    if not supplier.contract_id:
        raise BasketError(
            _("Supplier %(name)s has no secuconnect contract yet; onboard it first.")
            % {"name": supplier.name}
        )


def accepted_methods(
    contracts: dict[str, str], *, client: SecuconnectClient | None = None
) -> list[str]:
    """The offered methods that every contract accepts; ``contracts`` maps each contract id to
    its supplier's name (for the errors). Raises ``CheckoutError`` naming the supplier whose
    contract is missing or unknown to secuconnect."""
    client = client or SecuconnectClient()
    accepted = list(offered_methods())
    for contract_id, name in contracts.items():
        if not contract_id:
            raise CheckoutError(
                _("Supplier %(name)s has no secuconnect contract; it cannot be paid for yet.")
                % {"name": name}
            )
        if contract(contract_id, client=client) is None:
            raise CheckoutError(
                _(
                    "secuconnect does not know the contract %(contract)s of supplier %(name)s; "
                    "it cannot be paid for until the contract is fixed."
                )
                % {"contract": contract_id, "name": name}
            )
        own = set(payment_methods(contract_id, client=client))
        accepted = [m for m in accepted if m in own]
    return accepted


def order_contracts(order: Order) -> dict[str, str]:
    """Each sub-basket's contract id and supplier name: one query, none when the order's parts
    were read already in this request (``baskets.load_parts``)."""
    return {sub.contract_id: sub.supplier.name for sub in load_parts(order, items=False)}


def checkout_methods(
    order: Order, method: str = "", *, client: SecuconnectClient | None = None
) -> list[str] | None:
    """The methods the Smart Transaction may offer for ``order``: those every supplier accepts,
    or just ``method`` when the buyer preselected one (refused if a supplier lacks it). None
    when nothing needs limiting (every method, and the shop restricts none): the payload then
    stays as it always was."""
    accepted = accepted_methods(order_contracts(order), client=client)
    if not accepted:
        raise CheckoutError(
            _("No payment method is accepted by every supplier in order %(order)s.")
            % {"order": order.reference}
        )
    if method:
        if method not in accepted:
            raise CheckoutError(
                _(
                    "Payment method %(method)s is not accepted by every supplier in order "
                    "%(order)s; choose one of: %(methods)s."
                )
                % {"method": method, "order": order.reference, "methods": ", ".join(accepted)}
            )
        return [method]
    if not app_settings.PAYMENT_METHODS and accepted == list(PAYMENT_METHODS):
        return None
    return accepted


def refresh(supplier: Supplier, *, client: SecuconnectClient | None = None) -> Supplier:
    """Re-read the supplier's contract and methods; record whether secuconnect knows it."""
    if not supplier.contract_id:
        return supplier
    client = client or SecuconnectClient()
    forget(supplier.contract_id)
    known = contract(supplier.contract_id, client=client, refresh=True)
    if known is not None:
        payment_methods(supplier.contract_id, client=client, refresh=True)
    state = Supplier.ContractState.ACTIVE if known else Supplier.ContractState.NOT_FOUND
    if supplier.contract_state != state and supplier.contract_state not in (
        Supplier.ContractState.REQUESTING,
        Supplier.ContractState.UNKNOWN,
    ):
        supplier.contract_state = state
        supplier.save(update_fields=["contract_state"])
    return supplier
