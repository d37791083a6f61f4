"""/api/v1/notify: my inbox and subscriptions, webhook endpoints in scope, the delivery queue in scope."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from onegrid.access.auth import caller, require
from onegrid.kit.pagination import LimitOffset, SerialisedPage
from onegrid.notify import catalog, selectors, services, webhooks
from onegrid.notify.models import Delivery, Notification, Subscription, WebhookEndpoint
from onegrid.notify.models import Status as DeliveryStatus
from onegrid.notify.permissions import MANAGE_WEBHOOKS, SUBSCRIBE, VIEW_DELIVERIES
from onegrid.notify.schemas import (
    DeliveryOut,
    EventOut,
    MarkedOut,
    NotificationOut,
    Problem,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    UnreadOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = Router()
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
StatusName = Literal["pending", "sending", "sent", "failed", "dead"]
ChannelName = Literal["email", "sms", "webhook"]
WAITING = {DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.SENDING}


def _code_of(path: str) -> str:
    return path.strip("/").rsplit("/", 1)[-1]


def _notification(n: Notification) -> dict[str, Any]:
    m = n.message
    return {
        "id": n.pk,
        "message": str(m.uid),
        "event": m.event,
        "title": m.title,
        "body": m.body,
        "link": m.link,
        "payload": m.payload,
        "area_path": m.area_path,
        "category": m.category or None,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


def _subscription(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.pk,
        "area_code": _code_of(s.area_path),
        "area_path": s.area_path,
        "categories": s.categories,
        "events": s.events,
        "channels": s.channels,
        "created_at": s.created_at,
    }


def _endpoint(e: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.name,
        "url": e.url,
        "area_code": _code_of(e.area_path),
        "area_path": e.area_path,
        "events": e.events,
        "categories": e.categories,
        "active": e.active,
        "secret": secret if secret is not None else webhooks.masked(e.secret),
        "created_by": e.created_by.get_username() if e.created_by else None,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "message": str(d.message.uid),
        "event": d.message.event,
        "channel": d.channel,
        "target": d.target,
        "area_path": d.area_path,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at if d.status in WAITING else None,
        "last_error": d.last_error,
        "sent_at": d.sent_at,
        "created_at": d.created_at,
    }


@router.get("/events", response={200: list[EventOut], 401: Problem}, summary="Events one can subscribe to")
def list_events(request: HttpRequest) -> Any:
    caller(request)
    return [
        {"name": e.name, "description": str(e.description), "channels": list(e.channels)}
        for e in catalog.events()
    ]


# --- inbox ------------------------------------------------------------------------------------------------


@router.get("/inbox", response=list[NotificationOut], summary="My notifications, newest first")
@paginate(LimitOffset)
def list_inbox(request: HttpRequest, unread: bool = False) -> Any:
    return SerialisedPage(selectors.inbox(caller(request), unread=unread), _notification)


@router.get("/inbox/unread-count", response={200: UnreadOut, 401: Problem}, summary="How many are unread")
def unread_count(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_count(caller(request))}


@router.post("/inbox/read-all", response={200: MarkedOut, **ERRORS}, summary="Mark all my notifications read")
def read_all(request: HttpRequest) -> Any:
    return {"marked": services.mark_all_read(user=caller(request))}


@router.post(
    "/inbox/{notification_id}/read", response={200: NotificationOut, **ERRORS}, summary="Mark one read"
)
def read_one(request: HttpRequest, notification_id: int) -> Any:
    user = caller(request)
    notification = selectors.notification_for(user, notification_id)
    return _notification(services.mark_read(user=user, notification=notification))


# --- subscriptions ----------------------------------------------------------------------------------------


@router.get("/subscriptions", response={200: list[SubscriptionOut], 401: Problem}, summary="My subscriptions")
def list_subscriptions(request: HttpRequest) -> Any:
    return [_subscription(s) for s in selectors.subscriptions(caller(request))]


@router.post(
    "/subscriptions", response={201: SubscriptionOut, **ERRORS}, summary="Subscribe to an area's events"
)
def create_subscription(request: HttpRequest, body: SubscriptionIn) -> Any:
    actor = require(request, SUBSCRIBE)
    area = selectors.area_for(actor, body.area_code, SUBSCRIBE)
    sub = services.create_subscription(
        actor=actor, area=area, categories=body.categories, events=body.events, channels=body.channels
    )
    return Status(201, _subscription(sub))


@router.patch(
    "/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, **ERRORS},
    summary="Change a subscription",
)
def change_subscription(request: HttpRequest, subscription_id: int, body: SubscriptionPatch) -> Any:
    actor = require(request, SUBSCRIBE)
    sub = selectors.subscription_for(actor, subscription_id)
    changes = body.model_dump(exclude_unset=True, exclude={"area_code"})
    if body.area_code is not None:
        changes["area"] = selectors.area_for(actor, body.area_code, SUBSCRIBE)
    return _subscription(services.update_subscription(actor=actor, subscription=sub, changes=changes))


@router.delete("/subscriptions/{subscription_id}", response={204: None, **ERRORS}, summary="Unsubscribe")
def delete_subscription(request: HttpRequest, subscription_id: int) -> Any:
    actor = caller(request)
    services.delete_subscription(actor=actor, subscription=selectors.subscription_for(actor, subscription_id))
    return Status(204, None)


# --- webhook endpoints ------------------------------------------------------------------------------------


@router.get("/webhooks", response=list[WebhookOut], summary="Webhook endpoints in scope (secrets masked)")
@paginate(LimitOffset)
def list_webhooks(request: HttpRequest) -> Any:
    return SerialisedPage(selectors.endpoints(require(request, MANAGE_WEBHOOKS)), _endpoint)


@router.post(
    "/webhooks", response={201: WebhookCreated, **ERRORS}, summary="Add an endpoint (secret shown once)"
)
def create_webhook(request: HttpRequest, body: WebhookIn) -> Any:
    actor = require(request, MANAGE_WEBHOOKS)
    area = selectors.area_for(actor, body.area_code, MANAGE_WEBHOOKS)
    endpoint, secret = services.create_endpoint(
        actor=actor,
        name=body.name,
        url=body.url,
        area=area,
        events=body.events,
        categories=body.categories,
        active=body.active,
    )
    return Status(201, _endpoint(endpoint, secret))


@router.get("/webhooks/{endpoint_id}", response={200: WebhookOut, **ERRORS}, summary="One endpoint")
def get_webhook(request: HttpRequest, endpoint_id: int) -> Any:
    return _endpoint(selectors.endpoint_for(require(request, MANAGE_WEBHOOKS), endpoint_id))


@router.patch("/webhooks/{endpoint_id}", response={200: WebhookOut, **ERRORS}, summary="Change an endpoint")
def change_webhook(request: HttpRequest, endpoint_id: int, body: WebhookPatch) -> Any:
    actor = require(request, MANAGE_WEBHOOKS)
    endpoint = selectors.endpoint_for(actor, endpoint_id)
    changes = body.model_dump(exclude_unset=True, exclude={"area_code"})
    if body.area_code is not None:
        changes["area"] = selectors.area_for(actor, body.area_code, MANAGE_WEBHOOKS)
    return _endpoint(services.update_endpoint(actor=actor, endpoint=endpoint, changes=changes))


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    response={200: WebhookCreated, **ERRORS},
    summary="Replace the signing secret (the new one is shown once)",
)
def rotate_secret(request: HttpRequest, endpoint_id: int) -> Any:
    actor = require(request, MANAGE_WEBHOOKS)
    endpoint, secret = services.rotate_secret(
        actor=actor, endpoint=selectors.endpoint_for(actor, endpoint_id)
    )
    return _endpoint(endpoint, secret)


@router.delete("/webhooks/{endpoint_id}", response={204: None, **ERRORS}, summary="Remove an endpoint")
def delete_webhook(request: HttpRequest, endpoint_id: int) -> Any:
    actor = require(request, MANAGE_WEBHOOKS)
    services.delete_endpoint(actor=actor, endpoint=selectors.endpoint_for(actor, endpoint_id))
    return Status(204, None)


# --- deliveries -------------------------------------------------------------------------------------------


@router.get("/deliveries", response=list[DeliveryOut], summary="Outgoing deliveries in scope, newest first")
@paginate(LimitOffset)
def list_deliveries(
    request: HttpRequest, status: StatusName | None = None, channel: ChannelName | None = None
) -> Any:
    actor = require(request, VIEW_DELIVERIES)
    return SerialisedPage(selectors.deliveries(actor, status=status, channel=channel), _delivery)


@router.post(
    "/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **ERRORS}, summary="Retry a dead delivery"
)
def retry_delivery(request: HttpRequest, delivery_id: int) -> Any:
    actor = require(request, VIEW_DELIVERIES)
    row = selectors.delivery_for(actor, delivery_id)
    return _delivery(services.retry(actor=actor, delivery_row=row))
