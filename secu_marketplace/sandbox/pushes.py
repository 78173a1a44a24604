"""Push notifications: ``event.pushes`` POSTed to a transaction's ``url_push``
(docs/provider.md, "Pushes").

A push is stored in the same database transaction as the change it reports and sent only after
that transaction commits, by a background thread (``PUSH_MODE`` "background"), so the request
that caused it never waits for the receiver. As secuconnect promises
(DOC:Push_Notifications_for_Payments), anything but HTTP 200 is re-sent, with exponential backoff
capped at ``PUSH_BACKOFF_MAX``, until the ``PUSH_RETRY_FOR`` window (24 h) has passed; only then is
the delivery given up ("failed"). An attempt without an answer within ``PUSH_TIMEOUT`` (30 s, as
DEMO test_push_service.php says) has failed. Every attempt is recorded on the delivery.

Times are the sandbox clock's (``clock.now``), so a test can let 30 minutes or a day pass.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import requests
from django.db import close_old_connections, transaction
from django.db.models import QuerySet

from secu_marketplace.sandbox import clock, conf

if TYPE_CHECKING:
    from secu_marketplace.sandbox.models import PaymentTransaction, PushDelivery

logger = logging.getLogger(__name__)

# A claimed delivery is invisible to other senders for this long (a crashed sender's claim lapses).
CLAIM_SECONDS = 60


def enqueue(pt: PaymentTransaction, event_type: str) -> PushDelivery | None:
    """Store a push for ``pt`` (called inside the operation's transaction)."""
    return enqueue_about(
        pt.url_push, "payment.transactions", [pt.pci_id], event_type, payment_transaction=pt
    )


def enqueue_about(
    url: str,
    target: str,
    object_ids: list[str],
    event_type: str,
    *,
    payment_transaction: PaymentTransaction | None = None,
) -> PushDelivery | None:
    """Store a push naming ``object_ids`` of ``target`` (``payment.transactions``, or
    ``payment.payouts`` for a payout: sandbox/payouts.py) for ``url``."""
    from secu_marketplace.sandbox.models import PushDelivery
    from secu_marketplace.sandbox.representation import iso

    mode = conf.get("PUSH_MODE")
    if mode == "off" or not url:
        return None
    now = clock.now()
    delivery = PushDelivery(
        url=url,
        payment_transaction=payment_transaction,
        body={},
        created=now,
        next_attempt_at=now,
    )
    delivery.body = {
        "object": "event.pushes",
        "id": delivery.push_id,
        "created": iso(now),
        "target": target,
        "type": event_type,
        "data": [{"object": target, "id": object_id} for object_id in object_ids],
    }
    delivery.save()
    if mode == "background":
        transaction.on_commit(sender.wake)
    return delivery


def deadline(delivery: PushDelivery) -> datetime:
    """When the delivery is given up if it has not been acknowledged."""
    return delivery.created + timedelta(seconds=float(conf.get("PUSH_RETRY_FOR")))


def backoff(attempts: int) -> float:
    base = float(conf.get("PUSH_BACKOFF_BASE"))
    return float(min(base * 2 ** max(attempts - 1, 0), float(conf.get("PUSH_BACKOFF_MAX"))))


def _claim(delivery_id: int, now: datetime) -> bool:
    from secu_marketplace.sandbox.models import PushDelivery

    return (
        PushDelivery.objects.filter(
            pk=delivery_id, state=PushDelivery.State.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        == 1
    )


def deliver(delivery: PushDelivery) -> bool:
    """One attempt; records its outcome and schedules the next one. True when acknowledged."""
    from secu_marketplace.sandbox.models import PushDelivery

    started = time.perf_counter()
    status: int | None = None
    error = ""
    timeout = float(conf.get("PUSH_TIMEOUT"))
    try:
        response = requests.post(
            delivery.url,
            json=delivery.body,
            headers={"Accept": "*/*", "User-Agent": "secuconnect-sandbox-push/1.0"},
            # Both connecting and waiting for the answer count against the limit.
            timeout=(timeout, timeout),
            allow_redirects=False,
        )
        status = response.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = clock.now()
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error
    delivery.history = [
        *delivery.history,
        {
            "at": now.isoformat(),
            "status": status,
            "error": error,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    ]
    # secuconnect resends until it sees exactly 200 OK, not any 2xx
    # (DOC:Push_Notifications_for_Payments).
    cap = conf.get("PUSH_MAX_ATTEMPTS")
    if status == 200:
        delivery.state = PushDelivery.State.DELIVERED
        delivery.delivered_at = now
    elif now >= deadline(delivery) or (cap is not None and delivery.attempts >= int(cap)):
        delivery.state = PushDelivery.State.FAILED
    else:
        # The last attempt is made when the window closes, not before.
        delivery.next_attempt_at = min(
            now + timedelta(seconds=backoff(delivery.attempts)), deadline(delivery)
        )
    delivery.save()
    return status == 200


def deliver_due(
    *, force: bool = False, now: datetime | None = None, among: QuerySet[PushDelivery] | None = None
) -> list[PushDelivery]:
    """Send every pending push that is due by the sandbox clock (or all of them, ``force``),
    oldest first; ``among`` limits it to some deliveries."""
    from secu_marketplace.sandbox.models import PushDelivery

    now = now or clock.now()
    pending = (among if among is not None else PushDelivery.objects.all()).filter(
        state=PushDelivery.State.PENDING
    )
    if not force:
        pending = pending.filter(next_attempt_at__lte=now)
    sent = []
    for delivery in list(pending.order_by("created", "pk")):
        if force:
            PushDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now)
        if not _claim(delivery.pk, now):
            continue
        deliver(delivery)
        sent.append(delivery)
    return sent


class Sender:
    """The background sender: one daemon thread per process, woken after each commit."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.idle = threading.Event()
        self.idle.set()

    def wake(self) -> None:
        self.idle.clear()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="secu-sandbox-pushes", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _next_due(self) -> float:
        from secu_marketplace.sandbox.models import PushDelivery

        upcoming = (
            PushDelivery.objects.filter(state=PushDelivery.State.PENDING)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if upcoming is None:
            return 3600.0
        return max((upcoming - clock.now()).total_seconds(), 0.05)

    def _run(self) -> None:
        while True:
            self._wake.clear()
            wait = 3600.0
            try:
                close_old_connections()
                # Only while the mode is "background": a sender left over from an earlier
                # setting (tests switch modes) must not deliver what "manual" keeps back.
                if conf.get("PUSH_MODE") == "background":
                    deliver_due()
                    wait = self._next_due()
            except Exception:  # the sender must outlive a broken database or receiver
                logger.exception("sandbox push sender failed; retrying shortly")
                wait = 1.0
            finally:
                close_old_connections()
            if wait >= 3600.0:
                self.idle.set()
            self._wake.wait(timeout=wait)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and scripts: block until nothing is pending that is already due."""
        return self.idle.wait(timeout)


sender = Sender()
