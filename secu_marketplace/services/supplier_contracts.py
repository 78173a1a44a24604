"""What each supplier's secuconnect contract is and accepts, cached, and what that allows at
checkout (docs/provider.md, "Payment contracts").

- ``contract(id)``: ``GET /Payment/Contracts/{id}`` parsed (``provider_contracts.ContractData``), or
  None when secuconnect does not know it (404, or a 403 that is not about the token: the
  ``UNKNOWN_ID`` question of "Undecided").
- ``method_report(id)``: the contract's payment methods, successor endpoint first, the
  deprecated one as the fallback, under either naming (``contract_methods``).

Both are kept in the Django cache for ``CONTRACT_CACHE_SECONDS`` (an hour by default: contracts
change rarely, and a checkout should not cost two extra calls per supplier). An unknown contract
is not cached, so a contract fixed at secuconnect is seen at the next checkout; nor is one that
secupay has not approved yet, so its approval is seen at the next checkout too. The admin's
"Refresh contracts" drops and re-reads both.

``checkout_methods(order, method)`` is what ``start_checkout`` asks before anything else: every
sub-basket's supplier has a contract secuconnect knows and (``UNAPPROVED_SUPPLIERS``) approved,
the preselected method (if any) is one every supplier accepts, and the methods to send in
``payment_context.payment_methods``. When no method is left, the buyer is not offered an empty
choice: the checkout is refused and staff are told why (an error log line naming each supplier,
its contract and the names secuconnect answered; the supplier's admin page shows them too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from secu_marketplace.conf import UnapprovedPolicy, app_settings
from secu_marketplace.exceptions import (
    ApiError,
    BasketError,
    CheckoutError,
    NotAllowed,
    NotFound,
)
from secu_marketplace.ledger import suppliers as supplier_writes
from secu_marketplace.models import Order, Supplier, load_parts
from secu_marketplace.provider.answers import MIXED_BASKET_NOT_ENABLED
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.contracts import ContractData, parse_contract
from secu_marketplace.rules.payments import PAYMENT_METHODS
from secu_marketplace.services.contract_methods import (
    DEFAULT_CURRENCY,
    MethodReport,
    MethodSource,
    cache,
    cache_key,
    cached_method_report,
    cached_payment_methods,
    method_report,
    payment_methods,
)

logger = logging.getLogger(__name__)

__all__ = [  # the payment-method lookup lives in contract_methods; these names stay importable
    "DEFAULT_CURRENCY",
    "MethodReport",
    "MethodSource",
    "cached_method_report",
    "cached_payment_methods",
    "method_report",
    "payment_methods",
]


@dataclass(frozen=True)
class Part:
    """One supplier of a basket: its contract, its name (for messages) and what the shop last
    recorded about the contract's approval (None: not known, nothing to correct)."""

    contract_id: str
    name: str
    approved: bool | None = None


def offered_methods() -> tuple[str, ...]:
    """What the shop offers: ``PAYMENT_METHODS`` of the settings, else every method."""
    return tuple(app_settings.PAYMENT_METHODS or PAYMENT_METHODS)


def unapproved_policy() -> UnapprovedPolicy:
    return UnapprovedPolicy(app_settings.UNAPPROVED_SUPPLIERS)


def contract(
    contract_id: str, *, client: SecuconnectClient | None = None, refresh: bool = False
) -> ContractData | None:
    """The contract as secuconnect shows it, or None if it does not know it.

    Raises ``ProviderUnavailable`` when secuconnect cannot be asked."""
    key = cache_key("model", contract_id)
    if not refresh:
        found = cache().get(key)
        if found is not None:
            return parse_contract(found)
    client = client or SecuconnectClient()
    try:
        data = client.get_contract(contract_id)
    except NotFound:
        return None
    except NotAllowed as error:
        if error.code == 2003:  # a token problem the client could not cure: not an answer
            raise
        return None
    known = parse_contract(data)
    if known.approved is not False:  # an unapproved one is asked again: approval comes soon
        cache().set(key, data, int(app_settings.CONTRACT_CACHE_SECONDS))
    return known


def forget(contract_id: str) -> None:
    cache().delete_many([cache_key("model", contract_id), cache_key("methods", contract_id)])


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


def _record_approval(part: Part, approved: bool) -> None:
    """Keep what secuconnect said on the supplier rows, when it differs from what they say:
    only an unapproved contract, or one approved since, costs a write."""
    if part.approved is approved or (approved and part.approved is None):
        return
    supplier_writes.approval_seen(part.contract_id, approved)


def _check_approval(part: Part, known: ContractData) -> None:
    """``UNAPPROVED_SUPPLIERS``: refuse a supplier secupay has not approved, or warn."""
    if known.approved is not False:
        if known.approved:
            _record_approval(part, True)
        return
    _record_approval(part, False)
    if unapproved_policy() == UnapprovedPolicy.REFUSE:
        logger.warning(
            "checkout refused: supplier %s's contract %s is waiting for secupay's approval",
            part.name,
            part.contract_id,
        )
        raise CheckoutError(
            _(
                "Supplier %(name)s cannot be paid for yet: its secuconnect contract "
                "%(contract)s is waiting for secupay's approval."
            )
            % {"name": part.name, "contract": part.contract_id}
        )
    logger.warning(
        "checkout goes ahead with supplier %s, whose contract %s is waiting for secupay's "
        "approval (UNAPPROVED_SUPPLIERS = allow)",
        part.name,
        part.contract_id,
    )


def _known(part: Part, client: SecuconnectClient) -> ContractData:
    if not part.contract_id:
        raise CheckoutError(
            _("Supplier %(name)s has no secuconnect contract; it cannot be paid for yet.")
            % {"name": part.name}
        )
    known = contract(part.contract_id, client=client)
    if known is None:
        raise CheckoutError(
            _(
                "secuconnect does not know the contract %(contract)s of supplier %(name)s; "
                "it cannot be paid for until the contract is fixed."
            )
            % {"contract": part.contract_id, "name": part.name}
        )
    return known


def _accepted(parts: list[Part], client: SecuconnectClient, currency: str) -> list[str]:
    accepted = list(offered_methods())
    reports: list[tuple[Part, MethodReport]] = []
    for part in parts:
        _check_approval(part, _known(part, client))
        report = method_report(part.contract_id, client=client, currency=currency)
        reports.append((part, report))
        accepted = [m for m in accepted if m in report.methods]
    if not accepted:
        logger.error(
            "no payment method is accepted by every supplier (offered: %s); %s",
            ", ".join(offered_methods()),
            "; ".join(
                f"{part.name} ({part.contract_id}): secuconnect answered "
                f"{list(report.received)} on {report.source.value}, read as "
                f"{list(report.methods)}"
                for part, report in reports
            ),
        )
    return accepted


def accepted_methods(
    contracts: dict[str, str],
    *,
    client: SecuconnectClient | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> list[str]:
    """The offered methods that every contract accepts; ``contracts`` maps each contract id to
    its supplier's name (for the errors). Raises ``CheckoutError`` naming the supplier whose
    contract is missing, unknown to secuconnect, or (``UNAPPROVED_SUPPLIERS`` = "refuse") not
    approved yet. An empty answer is logged at error level, naming what each contract said."""
    parts = [Part(contract_id, name) for contract_id, name in contracts.items()]
    return _accepted(parts, client or SecuconnectClient(), currency)


def order_contracts(order: Order) -> dict[str, str]:
    """Each sub-basket's contract id and supplier name: one query, none when the order's parts
    were read already in this request (``models.load_parts``)."""
    return {sub.contract_id: sub.supplier.name for sub in load_parts(order, items=False)}


def _order_parts(order: Order) -> list[Part]:
    parts: dict[str, Part] = {}
    for sub in load_parts(order, items=False):
        supplier = sub.supplier
        parts.setdefault(
            sub.contract_id, Part(sub.contract_id, supplier.name, supplier.contract_approved)
        )
    return list(parts.values())


def checkout_methods(
    order: Order, method: str = "", *, client: SecuconnectClient | None = None
) -> list[str] | None:
    """The methods the Smart Transaction may offer for ``order``: those every supplier accepts,
    or just ``method`` when the buyer preselected one (refused if a supplier lacks it). None
    when nothing needs limiting (every method, and the shop restricts none): the payload then
    stays as it always was."""
    accepted = _accepted(_order_parts(order), client or SecuconnectClient(), order.currency)
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


def explain_refusal(error: ApiError, order: Order) -> CheckoutError | None:
    """A refusal of the Smart Transaction that staff can act on, as a ``CheckoutError`` (logged
    for them); None for any other refusal. Code 4028: the marketplace's contract is not enabled
    for mixed baskets (SDK-T testSmartTransactionsAddMixedBasket)."""
    if error.code != MIXED_BASKET_NOT_ENABLED:
        return None
    logger.error(
        "secuconnect refused order %s: mixed baskets are not enabled for the marketplace's "
        "contract %s (code 4028); ask secupay to enable them: %s",
        order.reference,
        app_settings.CONTRACT_ID,
        error,
    )
    return CheckoutError(
        _(
            "Order %(order)s cannot be paid: secupay has not enabled mixed baskets (several "
            "suppliers in one payment) for the marketplace's contract %(contract)s (code 4028)."
        )
        % {"order": order.reference, "contract": app_settings.CONTRACT_ID}
    )


def refresh(supplier: Supplier, *, client: SecuconnectClient | None = None) -> Supplier:
    """Re-read the supplier's contract and methods; record whether secuconnect knows it and
    whether secupay has approved it."""
    if not supplier.contract_id:
        return supplier
    client = client or SecuconnectClient()
    forget(supplier.contract_id)
    known = contract(supplier.contract_id, client=client, refresh=True)
    if known is not None:
        method_report(supplier.contract_id, client=client, refresh=True)
    approved = known.approved if known is not None else None
    supplier_writes.contract_read(supplier, known=known is not None, approved=approved)
    return supplier
