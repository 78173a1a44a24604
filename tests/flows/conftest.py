from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from secu_marketplace.links import return_path
from secu_marketplace.models import CheckoutAttempt, Order, PaymentTransaction
from secu_marketplace.rules.statuses import PaymentRole
from secu_marketplace.sandbox import control
from secu_marketplace.services.checkout import CheckoutStart, start_checkout
from secu_marketplace.testing import Sandbox
from tests.factories import guide_order
from tests.helpers import SandboxApi


class Flow:
    """One buyer's journey against the sandbox on the live server: the steps one by one (a
    checkout started in code, authorised through the API, the return URL visited), and the test
    kit's ``Sandbox`` (``kit``) for what a shop's tests do the same way."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sandbox = SandboxApi(base_url)
        self.browser = Client()
        self.kit = Sandbox(base_url)

    def order(self, **kwargs: object) -> Order:
        return guide_order(**kwargs)  # type: ignore[arg-type]

    def checkout(self, order: Order, method: str = "") -> CheckoutStart:
        return start_checkout(order, method=method)

    def pay(
        self, attempt: CheckoutAttempt, method: str = "creditcard", outcome: str = "success"
    ) -> None:
        answer = self.sandbox.prepare(str(attempt.stx_id), method, outcome=outcome)
        assert answer.status == 200, answer.text

    def come_back(self, attempt: CheckoutAttempt, outcome: str = "success"):  # type: ignore[no-untyped-def]
        return self.browser.get(return_path(attempt, outcome))

    def paid_order(self, method: str = "creditcard", **kwargs: object) -> Order:
        """An order the buyer has paid with ``method`` and come back from: the usual start of a
        test about what happens after payment."""
        order = self.order(**kwargs)
        started = self.checkout(order)
        self.pay(started.attempt, method)
        self.come_back(started.attempt)
        order.refresh_from_db()
        return order

    def deliver_pushes(self) -> int:
        return len(control.deliver_pushes())

    def money_back_on(self, order: Order, reference_id: str) -> None:
        """One supplier's part of a paid order comes back (a chargeback, a returned debit):
        its sub-transaction turns 4 "issue" and the push is delivered."""
        part = PaymentTransaction.objects.get(
            order=order, role=PaymentRole.SUB, reference_id=reference_id
        )
        control.money_back(str(part.pci_id))
        self.deliver_pushes()


@pytest.fixture
def flow(secu: str) -> Flow:
    journey = Flow(secu)
    journey.sandbox.authenticate()  # the test's own token, issued before the counting starts
    control.reset_calls()
    return journey


@pytest.fixture
def calls() -> Callable[[str], int]:
    return control.count


@pytest.fixture
def announced() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every signal of ``secu_marketplace.signals`` sent during the test, by name, in order."""
    from django.dispatch import Signal

    from secu_marketplace import signals

    log: list[tuple[str, dict[str, Any]]] = []
    pairs = []
    for name, signal in vars(signals).items():
        if not isinstance(signal, Signal):
            continue

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            log.append((_name, kwargs))

        signal.connect(receiver, weak=False)
        pairs.append((signal, receiver))
    yield log
    for signal, receiver in pairs:
        signal.disconnect(receiver)
