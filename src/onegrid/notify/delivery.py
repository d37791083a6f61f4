"""The outbox worker: claim due deliveries, send them outside any transaction, record the outcome.

Semantics:

- A delivery is *due* when it is ``pending`` or ``failed`` and its ``next_attempt_at`` has come, or
  when it is ``sending`` and the lease of the worker that claimed it ran out (that worker died).
- Claiming is one short transaction that marks a batch ``sending`` under a fresh claim token and
  counts the attempt. On PostgreSQL the rows are picked with ``SELECT ... FOR UPDATE SKIP LOCKED`` so
  workers take different batches; on SQLite the IMMEDIATE transaction mode serialises the claims. The
  UPDATE repeats the due condition, so a row another worker took in between is not taken again.
- Sending happens with no transaction open, a few deliveries at a time in threads that never touch
  the database; the outcome is written only if the claim is still ours.
- A failure is retried after 30 s, 2 min, 10 min, 1 h and 6 h (each ±20 % jitter); the sixth failed
  attempt makes the delivery ``dead``, for an administrator to see and retry. A failure that retrying
  cannot mend (recipient deactivated, endpoint switched off, no address) is dead at once.
- Delivery is at least once: a worker that dies after sending but before recording leaves the row to
  be sent again when its lease ends. Webhook receivers deduplicate on ``X-OneGrid-Delivery``.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from onegrid.notify import sms, webhooks
from onegrid.notify.catalog import EMAIL, SMS, WEBHOOK
from onegrid.notify.models import Delivery, Message, Status

RETRY_DELAYS: tuple[int, ...] = (30, 120, 600, 3600, 6 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
LEASE = dt.timedelta(minutes=5)
BATCH = 50
BATCHES_PER_SWEEP = 10
ERROR_CHARS = 500

_kicked = threading.Event()
_last_poll = 0.0


class Permanent(Exception):
    """A failure that retrying cannot mend: the delivery is dead at once."""


def kick() -> None:
    """Ask for the outbox to be looked at soon. Publishers call it after commit; in this process it
    makes the next tick of ``onegrid worker`` poll at once. Nothing depends on it: the sweep polls."""
    _kicked.set()


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1-based), with jitter."""
    base = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    return dt.timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


def _due(now: dt.datetime) -> Q:
    return Q(status__in=[Status.PENDING, Status.FAILED, Status.SENDING], next_attempt_at__lte=now)


def claim(*, now: dt.datetime, limit: int = BATCH) -> tuple[str, list[Delivery]]:
    """Take up to ``limit`` due deliveries for this worker: (claim token, rows with their message,
    recipient and endpoint)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return token, []
        Delivery.objects.filter(_due(now), pk__in=ids).update(
            status=Status.SENDING, claim=token, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    rows = Delivery.objects.filter(pk__in=ids, claim=token, status=Status.SENDING)
    return token, list(rows.select_related("message", "user", "endpoint").order_by("id"))


def _absolute(link: str) -> str:
    base = settings.NOTIFY_SITE_URL
    return f"{base}{link}" if link.startswith("/") and base else link


def _email(d: Delivery) -> Callable[[], None]:
    user, m = d.user, d.message
    if d.address:
        mail = EmailMessage(subject=m.title, body=d.text or m.body, to=[d.address])
        return lambda: _sent_mail(mail)
    if user is None or not user.is_active:
        raise Permanent("the recipient's account is deactivated")
    link = _absolute(m.link)
    text = f"{m.body}\n\n{link}".strip() if link else m.body
    mail = EmailMessage(subject=m.title, body=text, to=[d.target])
    return lambda: _sent_mail(mail)


def _sent_mail(mail: EmailMessage) -> None:
    if mail.send(fail_silently=False) != 1:
        raise RuntimeError("the mail backend accepted nothing")


def _sms(d: Delivery) -> Callable[[], None]:
    user, m = d.user, d.message
    if d.address:
        address, text, gateway = d.address, d.text or m.title, sms.gateway()
        return lambda: gateway.send(address, text)
    if user is None or not user.is_active:
        raise Permanent("the recipient's account is deactivated")
    phone = user.phone or ""
    if not phone:
        raise Permanent("the recipient has no mobile number any more")
    link = _absolute(m.link)
    text = f"{m.title} {link}" if link.startswith("http") else m.title
    gateway = sms.gateway()
    return lambda: gateway.send(phone, text)


def _webhook(d: Delivery) -> Callable[[], None]:
    endpoint, m = d.endpoint, d.message
    if endpoint is None or not endpoint.active:
        raise Permanent("the endpoint is switched off")
    body = webhook_body(m)
    headers = webhooks.headers_for(secret=endpoint.secret, event=m.event, delivery_id=d.pk, body=body)
    url, timeout = endpoint.url, float(settings.NOTIFY_WEBHOOK_TIMEOUT)
    return lambda: _posted(url, body, headers, timeout)


def _posted(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    webhooks.post(url, body, headers, timeout=timeout)


def webhook_body(m: Message) -> bytes:
    return webhooks.body_of(
        uid=str(m.uid),
        event=m.event,
        occurred_at=m.occurred_at.isoformat(),
        area_path=m.area_path,
        category=m.category,
        payload=m.payload,
    )


_PREPARE: dict[str, Callable[[Delivery], Callable[[], None]]] = {EMAIL: _email, SMS: _sms, WEBHOOK: _webhook}


@dataclass(slots=True)
class Outcome:
    delivery: Delivery
    error: str = ""
    permanent: bool = False


def _attempt(send: Callable[[], None], outcome: Outcome) -> Outcome:
    try:
        send()
    except Exception as exc:  # any failure of a gateway, mail server or receiver is retried
        outcome.error = str(exc) or exc.__class__.__name__
    return outcome


def _send_all(rows: list[Delivery]) -> list[Outcome]:
    """Prepare every row here (reading the database), then send them in threads that do not."""
    ready: list[tuple[Callable[[], None], Outcome]] = []
    outcomes: list[Outcome] = []
    for d in rows:
        outcome = Outcome(d)
        outcomes.append(outcome)
        try:
            ready.append((_PREPARE[d.channel](d), outcome))
        except Permanent as exc:
            outcome.error, outcome.permanent = str(exc), True
        except Exception as exc:  # a broken gateway setting or an undecryptable secret: retried
            outcome.error = f"cannot prepare: {exc.__class__.__name__}: {exc}"
    threads = max(1, int(settings.NOTIFY_SEND_THREADS))
    if len(ready) <= 1 or threads == 1:
        for send, outcome in ready:
            _attempt(send, outcome)
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(ready)), thread_name_prefix="notify") as pool:
            list(pool.map(lambda pair: _attempt(*pair), ready))
    return outcomes


def _record(token: str, outcomes: list[Outcome], now: dt.datetime) -> None:
    with transaction.atomic():
        for o in outcomes:
            mine = Delivery.objects.filter(pk=o.delivery.pk, claim=token, status=Status.SENDING)
            error = o.error[:ERROR_CHARS]
            if not o.error:
                mine.update(status=Status.SENT, sent_at=now, last_error="", claim="")
            elif o.permanent or o.delivery.attempts >= MAX_ATTEMPTS:
                mine.update(status=Status.DEAD, last_error=error, claim="")
            else:
                retry_at = now + backoff(o.delivery.attempts)
                mine.update(status=Status.FAILED, next_attempt_at=retry_at, last_error=error, claim="")


def deliver_due(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Send one batch of due deliveries; returns how many were attempted. ``now`` lets tests move the
    clock; the worker leaves it out."""
    token, rows = claim(now=now or timezone.now(), limit=limit)
    if not rows:
        return 0
    outcomes = _send_all(rows)
    _record(token, outcomes, now or timezone.now())
    return len(rows)


def sweep() -> int:
    """The ``notify.deliver`` sweep of ``onegrid worker``: poll every ``NOTIFY_POLL_SECONDS`` (at once
    after a kick in this process) and send up to ``BATCHES_PER_SWEEP`` batches."""
    global _last_poll
    now = time.monotonic()
    if not _kicked.is_set() and now - _last_poll < float(settings.NOTIFY_POLL_SECONDS):
        return 0
    _kicked.clear()
    _last_poll = now
    done = 0
    for _ in range(BATCHES_PER_SWEEP):
        count = deliver_due()
        done += count
        if count < BATCH:
            break
    return done
