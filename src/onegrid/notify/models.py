"""Notifications (通知): what was published, each user's inbox, subscriptions, webhook endpoints and the
outbox of deliveries that the worker sends after commit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.kit.fields import EncryptedTextField
from onegrid.kit.scope import ScopedManager


class Message(models.Model):
    """One published event with the content every recipient of it shares. Written in the publisher's
    transaction, so it exists exactly when the change that caused it does."""

    uid = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=80, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    area_path = models.CharField(_("area path"), max_length=255, db_index=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("published event")
        verbose_name_plural = _("published events")

    def __str__(self) -> str:
        return f"{self.event}: {self.title}"


class Notification(models.Model):
    """A message in one user's in-app inbox (站内信)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "id"], name="notify_inbox")]
        constraints = [models.UniqueConstraint(fields=["user", "message"], name="notify_once_per_user")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.user_id}"


class Subscription(models.Model):
    """A user's wish to hear of events in an area subtree: empty ``categories`` or ``events`` mean any."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("user"),
    )
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["Subscription"]()

    class Meta:
        ordering = ["id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.area_path}"

    def matches(self, event: str, category: str) -> bool:
        return (not self.events or event in self.events) and (
            not self.categories or category in self.categories
        )


class WebhookEndpoint(models.Model):
    """An outside system told of events in an area subtree by signed HTTP POSTs."""

    name = models.CharField(_("name"), max_length=80)
    url = models.CharField(_("URL"), max_length=500, help_text=_("http:// or https://"))
    secret = EncryptedTextField(_("signing secret"), context="notify.WebhookEndpoint.secret")
    events = models.JSONField(_("events"), default=list, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["WebhookEndpoint"]()

    class Meta:
        ordering = ["area_path", "name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def matches(self, event: str, category: str) -> bool:
        return (not self.events or event in self.events) and (
            not self.categories or category in self.categories
        )


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will retry")
    DEAD = "dead", _("dead")


class Delivery(models.Model):
    """One message to send on one channel to one target: the transactional outbox. A worker claims due
    rows, sends them outside any transaction and records the outcome; failures are retried with backoff
    until they are dead."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=16)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("webhook endpoint"),
    )
    target = models.CharField(
        _("target"), max_length=500, help_text=_("address shown to people; phones masked")
    )
    # A person without an account (a resident who left a phone number): the address itself, and a
    # text meant for them alone (it may carry a one-time link), both encrypted at rest.
    address = EncryptedTextField(_("direct address"), blank=True, context="notify.Delivery.address")
    text = EncryptedTextField(_("personal text"), blank=True, context="notify.Delivery.text")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedManager["Delivery"]()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel="webhook", endpoint__isnull=False, user__isnull=True)
                | models.Q(
                    channel__in=["email", "sms"], endpoint__isnull=True, user__isnull=False, address=""
                )
                | (
                    models.Q(channel__in=["email", "sms"], endpoint__isnull=True, user__isnull=True)
                    & ~models.Q(address="")
                ),
                name="notify_delivery_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target} ({self.status})"
