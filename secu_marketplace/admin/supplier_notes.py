"""What the supplier pages tell staff about a contract: secupay's approval, the payment methods
secuconnect answered (and how they were read), the proposals for a lost contract request."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext

from secu_marketplace.conf import UnapprovedPolicy
from secu_marketplace.models import Supplier
from secu_marketplace.services import supplier_contracts
from secu_marketplace.services.contract_methods import MethodReport
from secu_marketplace.services.lost_request import Proposal


def approval_text(supplier: Supplier) -> str:
    if not supplier.contract_id:
        return "–"
    if supplier.contract_approved is None:
        return gettext("not read yet")
    if supplier.contract_approved:
        return gettext("approved")
    return gettext("waiting for secupay's approval")


def methods_text(report: MethodReport) -> str:
    """What the contract accepts, what it lacks of the shop's methods, the names ignored, and
    which endpoint answered."""
    text = ", ".join(report.methods) or "-"
    lacking = supplier_contracts.lacking(report.methods)
    if lacking:
        text += " · " + gettext("lacks: %(methods)s") % {"methods": ", ".join(lacking)}
    if report.ignored:
        text += " · " + gettext("ignored (no Smart Checkout method): %(names)s") % {
            "names": ", ".join(report.ignored)
        }
    return text + " " + gettext("(answered by %(endpoint)s)") % {"endpoint": report.source.value}


def _approval_note(supplier: Supplier) -> str:
    if supplier.contract_approved is not False:
        return ""
    if supplier_contracts.unapproved_policy() == UnapprovedPolicy.REFUSE:
        return gettext(
            "The contract %(contract)s is waiting for secupay's approval: checkouts with this "
            "supplier's products are refused until secupay approves it "
            '(UNAPPROVED_SUPPLIERS = "refuse"). Refresh the contract once it is approved.'
        ) % {"contract": supplier.contract_id}
    return gettext(
        "The contract %(contract)s is waiting for secupay's approval; checkouts with this "
        'supplier\'s products go ahead all the same (UNAPPROVED_SUPPLIERS = "allow"), and each '
        "one is logged as a warning."
    ) % {"contract": supplier.contract_id}


def _methods_note(supplier: Supplier) -> str:
    report = supplier_contracts.cached_method_report(supplier.contract_id)
    if report is None or set(report.methods) & set(supplier_contracts.offered_methods()):
        return ""
    return gettext(
        "secuconnect lists no payment method the shop offers for the contract %(contract)s: "
        "buyers cannot pay for this supplier's products. It answered %(names)s on %(endpoint)s."
    ) % {
        "contract": supplier.contract_id,
        "names": ", ".join(report.received) or gettext("nothing"),
        "endpoint": report.source.value,
    }


def supplier_notes(supplier: Supplier) -> list[str]:
    """Warnings for the top of the supplier's change page (empty when all is well)."""
    if not supplier.contract_id:
        return []
    return [note for note in (_approval_note(supplier), _methods_note(supplier)) if note]


def proposal_choices(proposals: list[Proposal]) -> list[tuple[str, str]]:
    """The settle form's choices: "GCR_… · created 6 December 2026 12:00 · not approved yet"."""
    choices = []
    for proposal in proposals:
        contract = proposal.contract
        parts = [contract.id]
        if contract.created is not None:
            parts.append(
                gettext("created %(when)s")
                % {"when": date_format(contract.created, "DATETIME_FORMAT")}
            )
        if not proposal.in_window:
            parts.append(gettext("outside the request's time window"))
        if contract.approved is False:
            parts.append(gettext("not approved yet"))
        choices.append((contract.id, " · ".join(parts)))
    return choices
