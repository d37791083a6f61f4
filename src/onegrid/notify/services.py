"""Every write of the notify app. ``publish`` is what business services call, inside their own
transaction; the rest back the API and the back office (one transaction each, audited)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from onegrid.access.models import User
from onegrid.audit import registry as audit_registry
from onegrid.audit import services as audit
from onegrid.kit import bulk, scope
from onegrid.kit.crypto import mask_email, mask_phone
from onegrid.kit.errors import Conflict, NotFound
from onegrid.notify import catalog, checks, delivery, listeners, webhooks
from onegrid.notify.catalog import EMAIL, INBOX, SMS, WEBHOOK
from onegrid.notify.models import Delivery, Message, Notification, Status, Subscription, WebhookEndpoint
from onegrid.notify.permissions import MANAGE_WEBHOOKS, SUBSCRIBE

audit_registry.register(WebhookEndpoint, masked=("secret",))

_PATH = re.compile(r"^/(?:[^/]+/)+$")


@dataclass(frozen=True)
class Direct:
    """A person reached at an address rather than through an account: a resident who reported by phone
    gets a text with their own one-time link. The address and the text are stored encrypted."""

    channel: str
    address: str
    text: str = ""


def _prefixes(path: str) -> list[str]:
    """``/a/b/`` → ``["/", "/a/", "/a/b/"]``: the paths of every subtree that contains ``path``."""
    parts = path.strip("/").split("/")
    return ["/"] + ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@dataclass(frozen=True)
class Publication:
    """One event to publish (the arguments of ``publish``), for ``publish_many``."""

    event: str
    title: str
    body: str
    area_path: str
    payload: dict[str, Any]
    category: str | None = None
    link: str = ""
    recipients: tuple[User, ...] = ()
    actor: Any = None
    channels: tuple[str, ...] | None = None
    direct: tuple[Direct, ...] = ()


def publish(
    *,
    event: str,
    title: str,
    body: str,
    area_path: str,
    category: str | None = None,
    link: str = "",
    payload: dict[str, Any],
    recipients: Iterable[User] = (),
    actor: Any = None,
    channels: Iterable[str] | None = None,
    direct: Iterable[Direct] = (),
) -> Message | None:
    """Tell everyone concerned that ``event`` happened at ``area_path``. Call inside the transaction of
    the change: the inbox rows and the outbox rows commit or roll back with it, and the worker sends
    e-mail, SMS and webhooks only after commit (retrying failures). Returns the stored message, or None
    when nobody is concerned (nothing is written then).

    Who hears of it:

    - ``recipients``, on the event's registered channels (or ``channels``);
    - every active user whose subscription covers ``area_path`` with a matching category and event,
      on the subscription's channels, if they still hold ``notify.subscribe`` there (the ``actor`` is
      left out: nobody is told of their own action by a subscription);
    - every active webhook endpoint whose area, events and categories match;
    - each ``direct`` address (e-mail or SMS only), with its own text when one is given.

    A user gets one inbox entry, one e-mail and one text per publish at most. An unregistered event, a
    malformed path or a payload that is not JSON is a programming error (``UnknownEvent``,
    ``ValueError``, ``TypeError``), not a user's.
    """
    publication = Publication(
        event=event,
        title=title,
        body=body,
        area_path=area_path,
        payload=payload,
        category=category,
        link=link,
        recipients=tuple(recipients),
        actor=actor,
        channels=tuple(channels) if channels is not None else None,
        direct=tuple(direct),
    )
    return publish_many([publication])[0]


def _checked(p: Publication) -> tuple[tuple[str, ...], list[Direct]]:
    spec = catalog.get(p.event)
    if not _PATH.match(p.area_path):
        raise ValueError(f"area_path {p.area_path!r} must look like /330000/330100/")
    json.dumps(p.payload)  # TypeError now rather than in the worker
    chosen_channels = p.channels if p.channels is not None else spec.channels
    if unknown := [c for c in chosen_channels if c not in catalog.PERSONAL_CHANNELS]:
        raise ValueError(f"unknown channel {unknown[0]!r}")
    direct = [d for d in p.direct if d.address]
    if bad := [d.channel for d in direct if d.channel not in (EMAIL, SMS)]:
        raise ValueError(f"direct addresses are reached by e-mail or SMS, not {bad[0]!r}")
    return tuple(chosen_channels), direct


def publish_many(publications: list[Publication]) -> list[Message | None]:
    """``publish`` for many events at once, each with exactly the effect it would have alone, with the
    subscriptions and webhook endpoints read once for all of them and every row written in bulk (the
    batch intake publishes hundreds in one transaction). Returns each one's message or None."""
    checked = [_checked(p) for p in publications]
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify.publish must be called inside the transaction of the change")
    prefixes = {p.area_path: _prefixes(p.area_path) for p in publications}
    every_prefix = sorted({prefix for wanted in prefixes.values() for prefix in wanted})
    heard = listeners.current()
    subscriptions = heard.subscriptions_over(every_prefix)
    if subscriptions:  # their users as they are now: active, with today's addresses and grants
        users = User.objects.in_bulk({s.user_id for s in subscriptions})
        subscriptions = [
            copy.copy(s) for s in subscriptions if s.user_id in users and users[s.user_id].is_active
        ]
        for s in subscriptions:
            s.user = users[s.user_id]
    all_endpoints = heard.endpoints_over(every_prefix)
    allowed: dict[tuple[int, str], bool] = {}
    planned: list[tuple[Message, dict[int, tuple[User, set[str]]], list[WebhookEndpoint], list[Direct]]] = []
    out: list[Message | None] = []
    for p, (chosen_channels, direct) in zip(publications, checked, strict=True):
        category = p.category or ""
        actor_id = getattr(p.actor, "pk", None)
        covering = prefixes[p.area_path]
        wanted: dict[int, tuple[User, set[str]]] = {}
        for user in p.recipients:
            if user.is_active:
                wanted.setdefault(user.pk, (user, set()))[1].update(chosen_channels)
        for sub in subscriptions:
            if sub.area_path not in covering or not sub.matches(p.event, category) or sub.user_id == actor_id:
                continue
            if (sub.user_id, p.area_path) not in allowed:
                allowed[sub.user_id, p.area_path] = scope.covers(sub.user, SUBSCRIBE, p.area_path)
            if allowed[sub.user_id, p.area_path]:
                wanted.setdefault(sub.user_id, (sub.user, set()))[1].update(sub.channels)
        endpoints = [e for e in all_endpoints if e.area_path in covering and e.matches(p.event, category)]
        if not wanted and not endpoints and not direct:
            out.append(None)
            continue
        message = Message(
            event=p.event,
            title=p.title[:200],
            body=p.body,
            link=p.link,
            payload=p.payload,
            area_path=p.area_path,
            category=category,
            actor=p.actor if isinstance(p.actor, User) else None,
        )
        planned.append((message, wanted, endpoints, direct))
        out.append(message)
    if not planned:
        return out
    bulk.create([message for message, *_ in planned])
    inbox, outbox = [], []
    for message, wanted, endpoints, direct in planned:
        now = message.occurred_at
        for user, chosen in wanted.values():
            if INBOX in chosen:
                inbox.append(Notification(user=user, message=message, created_at=now))
            if EMAIL in chosen and user.email:
                outbox.append(_outgoing(message, EMAIL, user.email, user=user))
            if SMS in chosen and user.phone:
                outbox.append(_outgoing(message, SMS, mask_phone(user.phone), user=user))
        outbox += [_outgoing(message, WEBHOOK, e.url, endpoint=e) for e in endpoints]
        for d in direct:
            shown = mask_phone(d.address) if d.channel == SMS else mask_email(d.address)
            row = _outgoing(message, d.channel, shown)
            row.address, row.text = d.address, d.text
            outbox.append(row)
    if inbox:
        bulk.create(inbox)
    if outbox:
        bulk.create(outbox)
        transaction.on_commit(delivery.kick)
    return out


def _outgoing(
    message: Message, channel: str, target: str, *, user: User | None = None, endpoint: Any = None
) -> Delivery:
    return Delivery(
        message=message,
        channel=channel,
        user=user,
        endpoint=endpoint,
        target=target[:500],
        area_path=message.area_path,
        next_attempt_at=message.occurred_at,
        created_at=message.occurred_at,
    )


# --- the inbox: a user's own reading state, not audited ------------------------------------------------


def mark_read(*, user: User, notification: Notification) -> Notification:
    """Mark one of ``user``'s notifications read (once: the first reading time is kept)."""
    if notification.user_id != user.pk:
        raise NotFound("notification not found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- subscriptions ----------------------------------------------------------------------------------------


def _require_cover(actor: Any, permission: str, path: str) -> None:
    if actor is not None and not scope.covers(actor, permission, path):
        raise NotFound("area not found")


def create_subscription(
    *,
    actor: User,
    area: Any,
    categories: Iterable[object] = (),
    events: Iterable[object] = (),
    channels: Iterable[object] = (INBOX,),
) -> Subscription:
    """Subscribe ``actor`` to events in ``area``'s subtree, which must lie in their ``notify.subscribe``
    scope."""
    values = {
        "categories": checks.categories(categories),
        "events": checks.events(events),
        "channels": checks.channels(channels),
    }
    _require_cover(actor, SUBSCRIBE, area.path)
    with transaction.atomic():
        sub = Subscription.objects.create(user=actor, area=area, area_path=area.path, **values)
        audit.record(actor, "notify.subscription.create", sub)
    return sub


def update_subscription(*, actor: User, subscription: Subscription, changes: dict[str, Any]) -> Subscription:
    """Change the area (``area``: an Area), categories, events or channels of one of ``actor``'s own
    subscriptions."""
    if subscription.user_id != actor.pk:
        raise NotFound("subscription not found")
    values: dict[str, Any] = {}
    for name, check in (
        ("categories", checks.categories),
        ("events", checks.events),
        ("channels", checks.channels),
    ):
        if name in changes:
            values[name] = check(changes[name])
    if "area" in changes:
        _require_cover(actor, SUBSCRIBE, changes["area"].path)
        values["area"], values["area_path"] = changes["area"], changes["area"].path
    with transaction.atomic():
        before = audit_registry.snapshot(subscription)
        for name, value in values.items():
            setattr(subscription, name, value)
        subscription.save()
        audit.record(actor, "notify.subscription.update", subscription, before=before)
    return subscription


def delete_subscription(*, actor: User, subscription: Subscription) -> None:
    if subscription.user_id != actor.pk:
        raise NotFound("subscription not found")
    with transaction.atomic():
        before = audit_registry.snapshot(subscription)
        audit.record(
            actor,
            "notify.subscription.delete",
            None,
            before=before,
            object_type="notify.subscription",
            object_id=str(subscription.pk),
            object_repr=str(subscription),
            area_path=subscription.area_path,
        )
        subscription.delete()


# --- webhook endpoints ------------------------------------------------------------------------------------


def _verify_endpoint(actor: Any, endpoint: WebhookEndpoint) -> None:
    """Write-then-verify: the endpoint must be visible through the writer's scope."""
    if actor is not None and not (
        WebhookEndpoint.objects.restrict(actor, MANAGE_WEBHOOKS).filter(pk=endpoint.pk).exists()
    ):
        raise NotFound("area not found")


def create_endpoint(
    *,
    actor: Any,
    name: str,
    url: str,
    area: Any,
    events: Iterable[object] = (),
    categories: Iterable[object] = (),
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint over ``area``'s subtree; returns it with its signing secret, shown only now."""
    values = {
        "url": checks.webhook_url(url),
        "events": checks.events(events),
        "categories": checks.categories(categories),
    }
    _require_cover(actor, MANAGE_WEBHOOKS, area.path)
    secret = webhooks.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            name=name,
            secret=secret,
            area=area,
            area_path=area.path,
            active=active,
            created_by=actor if isinstance(actor, User) else None,
            **values,
        )
        audit.record(actor, "notify.webhook.create", endpoint)
        _verify_endpoint(actor, endpoint)
    return endpoint, secret


def update_endpoint(*, actor: Any, endpoint: WebhookEndpoint, changes: dict[str, Any]) -> WebhookEndpoint:
    """Change an endpoint's name, url, area (an Area), events, categories or active flag."""
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = changes["name"]
    if "url" in changes:
        values["url"] = checks.webhook_url(changes["url"])
    if "events" in changes:
        values["events"] = checks.events(changes["events"])
    if "categories" in changes:
        values["categories"] = checks.categories(changes["categories"])
    if "active" in changes:
        values["active"] = bool(changes["active"])
    if "area" in changes:
        _require_cover(actor, MANAGE_WEBHOOKS, changes["area"].path)
        values["area"], values["area_path"] = changes["area"], changes["area"].path
    with transaction.atomic():
        before = audit_registry.snapshot(endpoint)
        for name, value in values.items():
            setattr(endpoint, name, value)
        endpoint.save()
        audit.record(actor, "notify.webhook.update", endpoint, before=before)
        _verify_endpoint(actor, endpoint)
    return endpoint


def rotate_secret(*, actor: Any, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """Replace the signing secret; deliveries from now on (retries included) are signed with the new
    one, which is returned to be shown once."""
    secret = webhooks.new_secret()
    with transaction.atomic():
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "updated_at"])
        audit.record(actor, "notify.webhook.rotate_secret", endpoint, after={"secret": "<rotated>"})
    return endpoint, secret


def delete_endpoint(*, actor: Any, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its deliveries (switch it off instead to keep their history)."""
    with transaction.atomic():
        before = audit_registry.snapshot(endpoint)
        audit.record(
            actor,
            "notify.webhook.delete",
            None,
            before=before,
            object_type="notify.webhookendpoint",
            object_id=str(endpoint.pk),
            object_repr=str(endpoint),
            area_path=endpoint.area_path,
        )
        endpoint.delete()


# --- deliveries -------------------------------------------------------------------------------------------


def retry(*, actor: Any, delivery_row: Delivery) -> Delivery:
    """Put a dead delivery back in the queue with a fresh set of attempts (409 unless it is dead)."""
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery_row.pk, status=Status.DEAD).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claim=""
        )
        if not updated:
            raise Conflict(f"only dead deliveries are retried; this one is {delivery_row.status}")
        audit.record(
            actor,
            "notify.delivery.retry",
            delivery_row,
            after={"status": Status.PENDING},
            note=delivery_row.last_error,
        )
        transaction.on_commit(delivery.kick)
    delivery_row.refresh_from_db()
    return delivery_row
