"""Every read of the notify app: a user's own inbox and subscriptions, endpoints and deliveries in scope."""

from __future__ import annotations

from typing import Any

from django.db import models

from onegrid.kit.errors import NotFound
from onegrid.kit.scope import ScopedQuerySet
from onegrid.notify.models import Delivery, Notification, Subscription, WebhookEndpoint
from onegrid.notify.permissions import MANAGE_WEBHOOKS, VIEW_DELIVERIES


def inbox(user: Any, *, unread: bool = False) -> models.QuerySet[Notification]:
    """``user``'s notifications, newest first."""
    qs = Notification.objects.filter(user=user).select_related("message").order_by("-id")
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_for(user: Any, notification_id: int) -> Notification:
    found = inbox(user).filter(pk=notification_id).first()
    if found is None:
        raise NotFound("notification not found")
    return found


def subscriptions(user: Any) -> models.QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).order_by("id")


def subscription_for(user: Any, subscription_id: int) -> Subscription:
    found = subscriptions(user).filter(pk=subscription_id).first()
    if found is None:
        raise NotFound("subscription not found")
    return found


def endpoints(actor: Any) -> ScopedQuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.restrict(actor, MANAGE_WEBHOOKS).select_related("created_by")


def endpoint_for(actor: Any, endpoint_id: int) -> WebhookEndpoint:
    found = endpoints(actor).filter(pk=endpoint_id).first()
    if found is None:
        raise NotFound("webhook endpoint not found")
    return found


def deliveries(actor: Any, *, status: str | None = None, channel: str | None = None) -> Any:
    """Deliveries of messages in the caller's ``notify.view_deliveries`` scope, newest first."""
    qs = Delivery.objects.restrict(actor, VIEW_DELIVERIES).select_related("message").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return qs


def delivery_for(actor: Any, delivery_id: int) -> Delivery:
    found: Delivery | None = deliveries(actor).filter(pk=delivery_id).first()
    if found is None:
        raise NotFound("delivery not found")
    return found


def area_for(actor: Any, code: str, permission: str) -> Any:
    """The area with ``code`` if ``actor`` holds ``permission`` over it; 404 otherwise.

    notify is core beside ``areas`` and does not import it: the area model is the one its foreign keys
    name (``"areas.Area"``), and it is read through the same scoped manager every app uses."""
    model: Any = Subscription._meta.get_field("area").related_model
    area = model.objects.restrict(actor, permission).filter(code=code).first()
    if area is None:
        raise NotFound(f"area {code} not found")
    return area
