"""What an attempt's Payment Transaction rows say beyond its Smart Transaction's status, for
``rules.decide``: whether the buyer has paid (an invoice is "confirmed" until then), which
suppliers' parts had their money come back (``rules.disputes``), and whether every part has
shipped (where a resolved dispute takes the order back to)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secu_marketplace.rules import disputes
from secu_marketplace.rules.payments import payer_has_paid
from secu_marketplace.rules.rows import Row

if TYPE_CHECKING:
    from secu_marketplace.models import SubBasket
    from secu_marketplace.rules.decide import Held


@dataclass(frozen=True)
class Facts:
    method: str
    buyer_paid: bool
    invoice_paid: bool  # an invoice's buyer paid it with this answer
    issues: Mapping[int, disputes.Issue]  # by sub-basket id
    everything_shipped: bool

    @classmethod
    def of(
        cls,
        held: Held,
        before: Mapping[str, Row],
        after: Mapping[str, Row],
        method: str,
        pci_of: Mapping[int, str],
    ) -> Facts:
        """The facts of ``held.attempt``'s rows as the answer leaves them (``after``), and
        what changed since ``before``."""
        method = method or held.order.payment_method
        leading, parts = disputes.attempt_rows(after.values(), held.attempt.pk)
        old, _old_parts = disputes.attempt_rows(before.values(), held.attempt.pk)
        subs = list(held.subs.values())
        paid = leading is not None and payer_has_paid(method, leading.status, leading.status_simple)
        was_paid = old is not None and payer_has_paid(method, old.status, old.status_simple)
        return cls(
            method=method,
            buyer_paid=paid,
            invoice_paid=method == "invoice" and paid and not was_paid,
            issues=disputes.part_issues(leading, parts, [sub.pk for sub in subs]),
            everything_shipped=disputes.everything_shipped(subs, parts, held.refunds, pci_of),
        )

    def for_order(self) -> dict[str, Any]:
        """The ``decide.Current`` fields these facts fill."""
        return {
            "method": self.method,
            "buyer_paid": self.buyer_paid,
            "in_issue": any(issue.open for issue in self.issues.values()),
            "everything_shipped": self.everything_shipped,
        }

    def dispute_writes(
        self, subs: Iterable[SubBasket], stx_id: str | None
    ) -> list[disputes.DisputeWrite]:
        return disputes.plan_disputes(subs, self.issues, stx_id=str(stx_id or ""))
