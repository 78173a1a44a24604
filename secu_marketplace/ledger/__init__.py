"""The one write path: every change of an order's state, its attempts, its Payment Transaction
rows, its refund records, its timeline and its signals.

Flows (``services``) read from secuconnect and decide (``rules``); this package writes. Nothing
else in the package saves those rows, takes a row lock or sends a signal
(``tests/app/test_write_path.py`` checks it). ``locked()`` opens one short transaction and takes
the row locks in ONE order, the same everywhere, so two flows never wait on each other crosswise
(no deadlock):

    1. the order
    2. the checkout attempt
    3. the order's Payment Transaction rows
    4. the order's refund records
    5. a sub-basket (shipping)
    6. a held payout (``ledger/holds.py``)

The order and the attempt are locked by one statement (the attempt joined to its order,
``FOR UPDATE OF`` the order first, then the attempt: PostgreSQL takes the row locks in the order
the ``OF`` list names them), which keeps the documented order at one round trip less.

Under the locks a flow re-checks the state it decided on (a second "ship" or "capture" sees the
first), then writes through the ``Writer``:

- ``move(target)`` moves ``order.status`` only along ``statuses.TRANSITIONS`` and writes one
  ``StatusEvent`` per real change (a move to where the order already is, or one the table does
  not allow, writes nothing);
- ``set_attempt(...)`` moves an attempt only along ``ATTEMPT_TRANSITIONS``, ``set_refund(...)``
  a refund record only along ``REFUND_TRANSITIONS``; a Payment Transaction's simple status never
  moves back a stage (``rules.payments``);
- ``note(...)`` records any other change; ``refunded(record)`` / ``shipped(sub)`` queue the
  matching signals; ``set_order(...)`` changes the order's other fields, saved once at the end.

A provider answer is written whole: ``gather`` reads what the write holds, ``rules.decide.plan``
decides, ``commit`` writes the ``Plan`` (``ledger/commit.py``). The other verbs write here too:
an attempt's life (``ledger/attempts.py``), refunds (``ledger/refunds.py``), shipping
(``ledger/shipping.py``), a supplier's contract request (``ledger/suppliers.py``), payouts
(``ledger/payouts.py``), held payouts (``ledger/holds.py``), erasure (``ledger/erasure.py``).

Signals are sent once, after the transaction commits (``transaction.on_commit``): a rolled-back
change never announces itself, and receivers never see uncommitted state. They get the order as
this write committed it (no second read of a row just written); shipped parts and refunds are
read after commit.

``claim()`` guards the calls that move money or report to the buyer (capture, shipping report)
while they are sent, outside any transaction: a concurrent second caller is refused before it
reaches secuconnect. ``claimed()`` tells one flow that another holds its claim (an expiry and a
shipping report of the same order never overlap).
"""

from secu_marketplace.ledger.commit import commit, gather
from secu_marketplace.ledger.writer import Writer, claim, claimed, locked

__all__ = ["Writer", "claim", "claimed", "commit", "gather", "locked"]
