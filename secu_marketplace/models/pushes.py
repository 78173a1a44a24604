"""The push inbox: every notification secuconnect sent us, and what became of it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from secu_marketplace.models.attempts import CheckoutAttempt


class PushNotification(models.Model):
    class Outcome(models.TextChoices):
        RECEIVED = "received", _("received")  # stored, being processed
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("failed (secuconnect retries)")
        SUSPICIOUS = "suspicious", _("suspicious (not this payment's)")
        # Well-formed, but nothing the app can act on (acknowledged so it is not re-sent).
        IGNORED = "ignored", _("ignored (nothing to act on)")

    push_id = models.CharField(_("push id"), max_length=80, unique=True)
    attempt = models.ForeignKey(
        CheckoutAttempt, on_delete=models.SET_NULL, related_name="pushes", null=True, blank=True
    )
    target = models.CharField(_("target"), max_length=40)
    type = models.CharField(_("type"), max_length=20)
    object_ids = models.JSONField(_("objects"), default=list)
    body = models.JSONField(_("body (redacted)"), default=dict)
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=Outcome.choices,
        default=Outcome.RECEIVED,
        db_index=True,
    )
    error = models.TextField(_("error"), blank=True)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    last_received_at = models.DateTimeField(_("last received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    changed = models.BooleanField(_("changed the order"), default=False)

    class Meta:
        verbose_name = _("push notification")
        verbose_name_plural = _("push notifications")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return str(self.push_id)
