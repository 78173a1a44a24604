"""Going live, the holes a security review found (each test failed before its fix): the fields
that decide where a supplier's money goes need their own permission, not "change supplier";
reading a contract's balance at secuconnect needs "view payout"; payout pushes are coalesced and
capped like any push; a replayed return link costs at most one read per RECHECK_AFTER."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from secu_marketplace import links
from secu_marketplace.models import CheckoutAttempt, PushNotification
from secu_marketplace.rules.statuses import AttemptState
from secu_marketplace.services import payouts
from tests.factories import guide_order


def _attempt() -> CheckoutAttempt:
    order = guide_order()
    return CheckoutAttempt.objects.create(
        order=order,
        number=1,
        state=AttemptState.OPEN,
        stx_id="STX_" + "A" * 30,
        provider_status="created",
        amount=order.total,
        currency=order.currency,
        contract_id="GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2",
        is_demo=True,
    )


def payout_push(n: int) -> dict[str, Any]:
    return {
        "object": "event.pushes",
        "id": f"evt_{n:032x}",
        "created": "2026-12-06T12:00:00+01:00",
        "target": "payment.payouts",
        "type": "changed",
        "data": [{"object": "payment.payouts", "id": f"PPO_{n}"}],
    }


@pytest.mark.django_db
def test_payout_pushes_on_a_checkout_push_url_are_coalesced_and_capped(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SECU_MARKETPLACE = {
        **settings.SECU_MARKETPLACE,
        "PUSH_INBOX_LIMIT": 5,
        "PUSH_READ_INTERVAL": 60.0,
    }
    cache.clear()
    reads: list[int] = []
    monkeypatch.setattr(
        payouts, "sync_payouts", lambda client=None: reads.append(1) or payouts.PayoutSync()
    )
    attempt = _attempt()
    url = links.push_path(attempt)
    for n in range(30):
        answer = Client().post(url, json.dumps(payout_push(n)), content_type="application/json")
        assert answer.status_code == 200
    # One read per PUSH_READ_INTERVAL; at most PUSH_INBOX_LIMIT payout pushes stored a day.
    assert len(reads) == 1, f"{len(reads)} reads of /Payment/Payouts for 30 forged pushes"
    assert PushNotification.objects.count() == 5


def test_a_return_url_cannot_be_replayed_into_a_flood_of_reads(flow: Any, calls: Any) -> None:
    attempt = flow.checkout(flow.order()).attempt
    flow.pay(attempt)
    flow.come_back(attempt)
    from secu_marketplace.sandbox import control

    control.reset_calls()
    for _ in range(20):  # a buyer (or anyone with the URL from a browser history) hits F5
        assert flow.come_back(attempt).status_code == 200
    # The first return read secuconnect moments ago: reloads within RECHECK_AFTER read nothing.
    total = control.calls().count()
    assert calls("smart.get") <= 1, f"{calls('smart.get')} STX reads, {total} API calls for 20 GETs"


@pytest.mark.django_db
def test_change_supplier_alone_cannot_adopt_a_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adopting a contract needs onboard_supplier on the settle page and on the change form
    alike: a "changer" cannot send a supplier's share of new orders elsewhere."""
    from secu_marketplace.models import Supplier
    from tests.admin.test_permissions import staff

    supplier = Supplier.objects.create(name="Händler", contract_id="GCR_" + "A" * 30)
    client = staff("changer")
    url = f"/admin/secu_marketplace/supplier/{supplier.pk}/"
    assert client.get(f"{url}settle/").status_code == 403  # entering an id here is refused...
    form = client.get(f"{url}change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(
        name="Händler",
        contract_id="GCR_" + "Z" * 30,
        fee_rate=0,
        fee_fixed=0,
        is_active="on",
        hold="",
        payin_account="{}",
    )
    answer = client.post(f"{url}change/", data)
    assert answer.status_code in (200, 302)
    supplier.refresh_from_db()
    # ...but the supplier's share of every new order now goes to the attacker's contract
    assert supplier.contract_id == "GCR_" + "A" * 30


@pytest.mark.django_db
def test_a_view_only_user_is_not_offered_the_balance_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from secu_marketplace.models import Supplier
    from secu_marketplace.services import payouts as payout_service
    from tests.admin.test_permissions import offered, staff

    asked: list[str] = []
    monkeypatch.setattr(
        payout_service,
        "transfer_balance",
        lambda contract_id, client=None: asked.append(contract_id) or {"EUR": 123456},
    )
    supplier = Supplier.objects.create(name="Händler", contract_id="GCR_" + "A" * 30)
    client = staff("viewer")  # view_order, view_supplier, view_pushnotification; no view_payout
    suppliers = "/admin/secu_marketplace/supplier/"
    answer = client.post(
        suppliers, {"action": "read_balances", "_selected_action": [supplier.pk]}, follow=True
    )
    shown = [str(m) for m in answer.context["messages"]]
    assert "read_balances" not in offered(client, suppliers), shown
    assert asked == [], shown


def test_change_supplier_cannot_release_held_money_without_release_hold(
    flow: Any, settings: Any, calls: Any
) -> None:
    """HOLD_UNTIL_SHIPPED: the buyer paid, secuconnect holds the money (accrual). Before the
    next secu_sync discovers the hold, a 'changer' (change_supplier, no release_hold) sets the
    supplier's 'hold payouts' to 'never' in the change form; the next run releases the
    unshipped part's money."""
    from secu_marketplace.models import Hold
    from secu_marketplace.services import holds
    from tests.admin.test_permissions import staff

    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "HOLD_UNTIL_SHIPPED": True}
    order = flow.paid_order("creditcard")
    supplier = order.sub_baskets.get(reference_id="sb0").supplier
    client = staff("changer")
    url = f"/admin/secu_marketplace/supplier/{supplier.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {
        k: ("on" if v is True else v)
        for k, v in form.initial.items()
        if k in form.fields and v is not None and v is not False
    }
    data.update(hold="release", payin_account=json.dumps(supplier.payin_account))
    assert client.post(url, data).status_code == 302
    holds.run()
    sb0 = Hold.objects.get(sub_basket__order=order, sub_basket__reference_id="sb0")
    assert order.sub_baskets.get(reference_id="sb0").shipped_at is None
    assert calls("payment.revoke_accrual") == 0, sb0.get_state_display()


def test_nobody_deletes_the_push_inbox_and_parts_need_view_order(
    flow: Any, admin_client: Client
) -> None:
    from django.contrib.auth.models import Permission, User

    order = flow.paid_order("creditcard")
    flow.deliver_pushes()
    pushes = admin_client.get("/admin/secu_marketplace/pushnotification/").content.decode()
    assert "delete_selected" not in pushes  # not even for a superuser: it is the audit trail
    supplier = order.sub_baskets.get(reference_id="sb0").supplier
    url = f"/admin/secu_marketplace/supplier/{supplier.pk}/change/"
    assert 'id="secu-recent-parts"' in admin_client.get(url).content.decode()
    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename="view_supplier"))
    browser = Client()
    browser.force_login(clerk)
    page = browser.get(url)
    assert page.status_code == 200
    assert 'id="secu-recent-parts"' not in page.content.decode()
