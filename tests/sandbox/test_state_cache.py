"""The per-process cache of the sandbox's run-time state (``state.py``): a change made anywhere
is seen on the next call, and a call nothing is armed for reads no fault row."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from secu_marketplace.sandbox import clock, conf, control, state, world
from secu_marketplace.sandbox.models import Fault, SandboxState
from tests.helpers import SandboxApi

from .conftest import plain_body

CREATE = "/api/v2/Smart/Transactions"


def test_a_change_another_process_made_is_seen_on_the_next_read(
    sandbox_world: world.World,
) -> None:
    assert conf.switch("UNKNOWN_ID") == "404"
    assert clock.offset() == 0
    # What another process's change leaves in the database: the rows, then a new stamp written by
    # its signal handlers. Done here without this process's signals (bulk_create sends none).
    SandboxState.objects.bulk_create(
        [
            SandboxState(name=conf.SWITCH_PREFIX + "UNKNOWN_ID", value="403"),
            SandboxState(name=clock.OFFSET, value=120.0),
        ]
    )
    # Without a new stamp this process answers from its cache (so the cache is really used)...
    assert conf.switch("UNKNOWN_ID") == "404"
    state.changed()
    # ...and with one, from the database.
    assert conf.switch("UNKNOWN_ID") == "403"
    assert clock.offset() == 120.0


def test_switches_clock_and_faults_set_here_are_seen_at_once(api: SandboxApi) -> None:
    api.authenticate()
    assert api.get(f"{CREATE}/STX_UNKNOWN").status == 404
    control.set_switch("UNKNOWN_ID", "403")
    assert api.get(f"{CREATE}/STX_UNKNOWN").status == 403
    control.reset_switches()
    assert api.get(f"{CREATE}/STX_UNKNOWN").status == 404
    before = clock.now()
    control.advance_clock(600)  # within the token's 1200 s
    assert clock.now() - before >= timedelta(seconds=600)
    control.inject("smart.list", "http_500")
    assert api.get(CREATE).status == 500
    assert api.get(CREATE).status == 200
    Fault.objects.create(operation="smart.list", kind="http_503")  # as the admin would
    assert api.get(CREATE).status == 503


def test_a_rolled_back_change_is_not_remembered(sandbox_world: world.World) -> None:
    # A counter would come back to a value the cache has seen; the random stamp cannot.
    assert conf.switch("CANCEL_STATUS") == "cancelled"

    with transaction.atomic():
        control.set_switch("CANCEL_STATUS", "failed")
        assert conf.switch("CANCEL_STATUS") == "failed"
        transaction.set_rollback(True)
    assert conf.switch("CANCEL_STATUS") == "cancelled"


def test_a_call_with_no_fault_armed_reads_no_fault_row(api: SandboxApi) -> None:
    api.authenticate()
    stx = api.create(plain_body())
    control.inject("smart.prepare", "http_500", times=None)
    api.get(f"{CREATE}/{stx['id']}")  # loads the cache after the change
    table = Fault._meta.db_table
    with CaptureQueriesContext(connection) as captured:
        assert api.get(f"{CREATE}/{stx['id']}").status == 200
    assert not [q["sql"] for q in captured if table in q["sql"]]
    assert len(captured) <= 5  # stamp, token, the read (2), the call log


def test_an_expired_token_is_refused_however_it_was_expired(api: SandboxApi) -> None:
    token = api.authenticate()
    assert api.get(CREATE).status == 200
    from secu_marketplace.sandbox.models import AccessToken

    # No signal, no new stamp: the token row itself is read on every call.
    AccessToken.objects.filter(token=token).update(expires_at=clock.now())
    answer = api.get(CREATE)
    assert answer.status == 403
    assert answer.json()["code"] == 2003
