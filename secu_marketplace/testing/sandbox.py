"""``Sandbox``: the buyer and secuconnect, played against the bundled sandbox on a live server.

The buyer goes through the real pages over HTTP, as a browser without JavaScript would: the
order's page and its "Pay now" button, the sandbox's hosted checkout page (method, outcome, or
"Cancel and return to the shop"), and back to the app's payment page. secuconnect's side goes
through the sandbox's API (``TestChangedPaymentStatus``, the testing helper secuconnect's testing
host offers too) and its control API (pushes, faults, the clock, the call log), with the control
token. Nothing here reaches into the app's tables to make something happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urljoin

import requests

from secu_marketplace.models import Order, PaymentTransaction
from secu_marketplace.rules.statuses import PaymentRole
from secu_marketplace.testing.http import SandboxApi

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATE_RE = re.compile(r'<section[^>]*data-state="([a-z_]+)"[^>]*id="secu-payment"')
# What the hosted page asks for when the shop sent no customer (the builder always sends one).
CONTACT = {
    "forename": "Max",
    "surname": "Mustermann",
    "email": "max@example.net",
    "street": "Musterstr.",
    "street_number": "55 a",
    "postal_code": "09123",
    "city": "Musterstadt",
    "country": "DE",
}


@dataclass
class Page:
    """A page the buyer ended on: its URL, HTTP status, HTML and the payment page's state
    (``data-state``: "paid", "pending_transfer", "failed", "aborted"...; "" on other pages)."""

    url: str
    status_code: int
    html: str

    @property
    def state(self) -> str:
        found = STATE_RE.search(self.html)
        return found.group(1) if found else ""


class Sandbox:
    """What a test needs from the sandbox served at ``base_url`` (the live server's URL)."""

    def __init__(self, base_url: str, mount: str = "/sandbox") -> None:
        self.url = base_url.rstrip("/")
        self.mount = mount
        self.api = SandboxApi(self.url, prefix=mount)
        self.browser = requests.Session()

    def close(self) -> None:
        self.api.close()
        self.browser.close()

    # --- the buyer ------------------------------------------------------------------------------

    def _get(self, url: str) -> Page:
        answer = self.browser.get(urljoin(self.url + "/", url), timeout=30)
        return Page(answer.url, answer.status_code, answer.text)

    def _submit(self, page: Page, action: str, data: dict[str, str]) -> Page:
        """Post a form of ``page`` (with its CSRF token) and follow the redirects."""
        token = CSRF_RE.search(page.html)
        fields = {**data, **({"csrfmiddlewaretoken": unescape(token.group(1))} if token else {})}
        answer = self.browser.post(
            urljoin(page.url, action), data=fields, headers={"Referer": page.url}, timeout=60
        )
        return Page(answer.url, answer.status_code, answer.text)

    def order_page(self, order: Order) -> Page:
        """The order's page, where the buyer finds "Pay now" (and the state of the payment)."""
        return self._get(order.get_status_url())

    def checkout(self, order: Order, method: str = "") -> Page:
        """Press "Pay now" on the order's page (``method``: preselect one, as a shop's form
        may) and land on Smart Checkout, the sandbox's hosted page."""
        page = self.order_page(order)
        if 'id="secu-retry"' not in page.html:
            raise AssertionError(
                f"the page of order {order.reference} offers no 'Pay now' "
                f"({page.status_code}, state {page.state or 'none'}): is it payable?"
            )
        landed = self._submit(page, order.get_payment_url(), {"method": method})
        if f"{self.mount}/checkout/" not in landed.url:
            raise AssertionError(
                f"'Pay now' for order {order.reference} did not lead to the checkout page: "
                f"{landed.status_code} {landed.url} (state {landed.state or 'none'})"
            )
        return landed

    def pay_at(
        self, checkout_url: str, method: str = "creditcard", outcome: str = "success"
    ) -> Page:
        """On the hosted page at ``checkout_url``: choose ``method`` and the ``outcome``
        ("success" or "declined"), press Pay, and follow the way back to the shop."""
        page = self._get(checkout_url)
        if page.status_code != 200:
            raise AssertionError(f"the checkout page answered {page.status_code}: {page.url}")
        data = {"method": method, "outcome": outcome}
        data.update({k: v for k, v in CONTACT.items() if f'name="{k}"' in page.html})
        return self._submit(page, page.url, data)

    def pay(self, order: Order, method: str = "creditcard", outcome: str = "success") -> Page:
        """The buyer pays ``order`` by ``method`` with ``outcome``: "Pay now" on the order's
        page, the method and outcome on the hosted page, back to the app's payment page."""
        return self.pay_at(self.checkout(order).url, method, outcome)

    def abort(self, order: Order) -> Page:
        """The buyer presses "Pay now", then "Cancel and return to the shop" on the hosted page."""
        page = self.checkout(order)
        return self._submit(page, page.url, {"action": "abort"})

    # --- secuconnect ----------------------------------------------------------------------------

    def leading_transaction(self, order: Order) -> PaymentTransaction:
        """The leading Payment Transaction of the order's newest checkout."""
        found = (
            PaymentTransaction.objects.filter(order=order, role=PaymentRole.LEADING)
            .order_by("-attempt__number", "-pk")
            .first()
        )
        if found is None:
            raise AssertionError(f"order {order.reference} has no payment yet: pay it first")
        return found

    def money_arrives(self, order: Order, *, deliver: bool = True) -> dict[str, Any]:
        """The buyer's transfer arrives (a prepayment; an invoice is paid): secuconnect's
        ``TestChangedPaymentStatus``, then, with ``deliver``, its push to the shop."""
        from secu_marketplace.sandbox.statuses import LEGACY_RESOURCES

        leading = self.leading_transaction(order)
        method = str(Order.objects.values_list("payment_method", flat=True).get(pk=order.pk))
        resource = {m: name for name, m in LEGACY_RESOURCES.items()}.get(method)
        if resource is None:
            raise AssertionError(f"{method!r} payments have no money to arrive later")
        answer = self.api.post(
            f"/api/v2/Payment/{resource}/{leading.pci_id}/TestChangedPaymentStatus",
            {"new_status_id": 9 if method == "invoice" else 1},
        )
        if answer.status != 200:
            raise AssertionError(
                f"TestChangedPaymentStatus answered {answer.status}: {answer.text}"
            )
        if deliver:
            self.deliver_pushes()
        return dict(answer.json())

    def money_back(self, order: Order, *, deliver: bool = True) -> dict[str, Any]:
        """The buyer's money comes back (a chargeback, a returned direct debit): the leading
        transaction's simple status 4 "issue" (its parts too, by default), then, with
        ``deliver``, the push. ``issue_resolved`` ends it."""
        leading = self.leading_transaction(order)
        answer = dict(self.api.control("POST", f"payments/{leading.pci_id}/money-back"))
        if deliver:
            self.deliver_pushes()
        return answer

    def issue_resolved(self, order: Order, *, deliver: bool = True) -> dict[str, Any]:
        """The issue on the order's payment is resolved: simple status 6, then the push."""
        leading = self.leading_transaction(order)
        answer = dict(self.api.control("POST", f"payments/{leading.pci_id}/issue-resolved"))
        if deliver:
            self.deliver_pushes()
        return answer

    def deliver_pushes(self) -> int:
        """Send every push the sandbox holds now (they wait for the test: ``PUSH_MODE``
        "manual"); the number sent."""
        return int(self.api.control("POST", "pushes")["sent"])

    def deliver_due_pushes(self) -> int:
        """Send only the pushes due by the sandbox's clock (retries keep their backoff)."""
        return int(self.api.control("POST", "pushes", {"due": True})["sent"])

    def pushes(self) -> list[dict[str, Any]]:
        """Every push the sandbox has stored, delivered or not."""
        return list(self.api.control("GET", "pushes")["pushes"])

    def inject_fault(
        self, operation: str, kind: str, *, times: int | None = 1, latency_ms: int = 0
    ) -> None:
        """Make the next ``times`` calls of ``operation`` ("smart.create", "smart.get", "*",
        ...) fail with ``kind`` ("http_503", "http_500", "malformed_json", "drop_response",
        "token_expired", "latency"...); ``times=None``: until ``clear_faults()``."""
        body = {"operation": operation, "kind": kind, "times": times, "latency_ms": latency_ms}
        self.api.control("POST", "faults", body)

    def clear_faults(self) -> None:
        self.api.control("DELETE", "faults")

    def count(self, operation: str) -> int:
        """How often the app called ``operation`` ("smart.create", "payment.get"...)."""
        return int(self.api.control("GET", f"calls?operation={operation}")["count"])

    def advance_clock(self, seconds: float) -> None:
        """Let ``seconds`` pass on the sandbox's clock (push retries, tokens, checkout expiry)."""
        self.api.control("POST", "clock", {"advance": seconds})
