"""``manage.py secu_reprocess_pushes``: process again the pushes that failed (or given ones)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secu_marketplace.models import PushNotification
from secu_marketplace.services.pushes import process


class Command(BaseCommand):
    help = "Re-read the payments of failed push notifications (or of the given evt_ ids)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("push_ids", nargs="*", help="evt_ ids; default: every failed push")

    def handle(self, *args: Any, **options: Any) -> None:
        pushes = PushNotification.objects.select_related("attempt")
        if options["push_ids"]:
            pushes = pushes.filter(push_id__in=options["push_ids"])
        else:
            pushes = pushes.filter(outcome=PushNotification.Outcome.FAILED)
        counts: dict[str, int] = {}
        for push in pushes.order_by("received_at"):
            process(push)
            counts[push.outcome] = counts.get(push.outcome, 0) + 1
        summary = (
            ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing to do"
        )
        self.stdout.write(f"reprocessed: {summary}")
