"""The books in the admin (issue 19): the supplier ledger of every supplier and of one, the
payouts with what they settle, the exports, held payouts released by hand, and buyers erased
from the order list, each behind its permission."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from secu_marketplace.models import Hold, Order, Payout
from secu_marketplace.rules.books import HoldState
from secu_marketplace.sandbox import control
from secu_marketplace.services import holds, payouts

from .conftest import Flow

ADMIN = "/admin/secu_marketplace"


def _paid_out(flow: Flow) -> Order:
    order = flow.paid_order("creditcard")
    flow.deliver_pushes()
    control.pay_out()
    payouts.sync_payouts()
    return order


def test_the_ledger_lists_every_supplier_with_its_balance(flow: Flow, admin_client: Client) -> None:
    order = _paid_out(flow)
    flow.paid_order("invoice")  # sold, not paid by the buyer yet: still to come
    page = admin_client.get(f"{ADMIN}/payout/ledger/").content.decode()
    assert 'id="secu-ledger"' in page
    assert "Musterhändler Kaffee &amp; Tee" in page
    assert "43.60 EUR" in page  # coffee: 44.40 sold less the 0.80 fee, paid out
    assert "the marketplace (fees)" in page
    answer = admin_client.get(f"{ADMIN}/payout/ledger/", {"csv": "1"})
    assert answer["Content-Disposition"].startswith("attachment")
    lines = answer.content.decode().splitlines()
    assert lines[0].startswith("supplier_id,supplier,currency,sold")
    row = next(line for line in lines if "Kaffee" in line).split(",")
    coffee = dict(zip(lines[0].split(","), row, strict=True))
    assert coffee["sold"] == "8880"  # two sold...
    assert coffee["balance"] == "4360"  # ...one paid out, one still to come
    assert coffee["deducted"] == "0"  # the sandbox's payouts keep nothing for secupay
    payout = Payout.objects.get(contract_id=order.sub_baskets.get(reference_id="sb0").contract_id)
    detail = admin_client.get(f"{ADMIN}/payout/{payout.pk}/change/").content.decode()
    assert order.sub_baskets.get(reference_id="sb0").reference_id in detail
    supplier = admin_client.get(f"{ADMIN}/supplier/{payout.supplier_id}/change/").content.decode()
    assert 'id="secu-supplier-books"' in supplier
    assert "Balance still to come: 43.60 EUR" in supplier


def test_staff_export_the_books_as_datev(flow: Flow, admin_client: Client) -> None:
    _paid_out(flow)
    today = timezone.localdate()
    answer = admin_client.post(
        f"{ADMIN}/payout/export/", {"first": today, "last": today, "format": "datev"}
    )
    assert answer.status_code == 200
    assert answer.content.startswith(b'"EXTF";700;21;"Buchungsstapel"')
    assert "EXTF_Buchungsstapel" in answer["Content-Disposition"]
    refused = admin_client.post(
        f"{ADMIN}/payout/export/",
        {
            "first": today.replace(month=1, day=1) - timedelta(days=1),
            "last": today,
            "format": "datev",
        },
    )
    assert "one fiscal year" in refused.content.decode()


def _staff(*codenames: str) -> Client:
    name = f"staff{User.objects.count()}"
    user = User.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="secu_marketplace", codename__in=codenames
        )
    )
    client = Client()
    client.force_login(user)
    return client


def test_a_held_payout_is_released_by_hand_only_with_the_permission(
    flow: Flow, settings: Any, calls: Any
) -> None:
    settings.SECU_MARKETPLACE = {**settings.SECU_MARKETPLACE, "HOLD_UNTIL_SHIPPED": True}
    flow.paid_order("creditcard")
    holds.run()
    hold = Hold.objects.first()
    assert hold is not None
    action = {"action": "release_now", "_selected_action": [hold.pk]}
    viewer = _staff("view_hold")
    assert "release_now" not in viewer.get(f"{ADMIN}/hold/").content.decode()
    viewer.post(f"{ADMIN}/hold/", action)
    assert Hold.objects.get(pk=hold.pk).state == HoldState.HELD
    listed = _staff("view_hold", "release_hold").get(f"{ADMIN}/hold/").content.decode()
    assert "release_now" in listed
    assert "shipped + 14 days" in listed
    _staff("view_hold", "release_hold").post(f"{ADMIN}/hold/", action)
    assert Hold.objects.get(pk=hold.pk).state == HoldState.RELEASED
    assert calls("payment.revoke_accrual") == 1
    # The reason is stored in English and read in the staff member's language.
    assert Hold.objects.get(pk=hold.pk).reason == "released by staff"
    german = viewer.get(f"{ADMIN}/hold/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "von Mitarbeitenden freigegeben" in german


def test_staff_erase_a_buyer_after_a_dry_run_with_the_permission(flow: Flow) -> None:
    order = flow.paid_order("creditcard")
    url = f"{ADMIN}/order/erase/?ids={order.pk}"
    assert _staff("view_order", "change_order").get(url).status_code == 403
    staff = _staff("view_order", "erase_buyer")
    listed = staff.get(f"{ADMIN}/order/").content.decode()
    assert "erase_buyer" in listed
    plan = staff.get(url).content.decode()
    assert "order.surname" in plan
    assert Order.objects.get(pk=order.pk).surname == "Mustermann"  # a dry run
    staff.post(f"{ADMIN}/order/erase/", {"ids": str(order.pk), "confirm": "1"})
    erased = Order.objects.get(pk=order.pk)
    assert (erased.surname, erased.email, erased.total) == ("", "", order.total)


def test_the_supplier_page_shows_its_books_only_to_staff_who_may_see_the_ledger(
    flow: Flow,
) -> None:
    order = _paid_out(flow)
    supplier = order.sub_baskets.get(reference_id="sb0").supplier
    url = f"{ADMIN}/supplier/{supplier.pk}/change/"
    support = _staff("view_supplier").get(url).content.decode()
    assert 'id="secu-supplier-books"' not in support
    books = _staff("view_supplier", "view_payout").get(url).content.decode()
    assert 'id="secu-supplier-books"' in books
