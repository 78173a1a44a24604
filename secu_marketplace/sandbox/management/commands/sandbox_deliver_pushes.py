"""Send the sandbox's pending pushes (for ``PUSH_MODE`` "manual", or after a crash)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secu_marketplace.sandbox import pushes


class Command(BaseCommand):
    help = "Send the sandbox's pending push notifications that are due (or all with --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="ignore the retry backoff")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = pushes.deliver_due(force=options["force"])
        ok = sum(1 for d in sent if d.state == d.State.DELIVERED)
        self.stdout.write(f"{len(sent)} push(es) sent, {ok} acknowledged with 200.")
