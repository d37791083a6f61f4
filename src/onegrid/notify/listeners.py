"""Who listens where: every subscription and every active webhook endpoint, by area path, held in each
process until one of them changes (``kit.revisions``). Publishing reads them on every change of every
matter; they change when someone subscribes or an integrator registers an endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from onegrid.kit.revisions import Held
from onegrid.notify.models import Subscription, WebhookEndpoint


@dataclass(frozen=True, slots=True)
class Listeners:
    subscriptions: dict[str, tuple[Subscription, ...]]  # by area path, oldest first; users not loaded
    endpoints: dict[str, tuple[WebhookEndpoint, ...]]  # active ones only, by area path

    def subscriptions_over(self, prefixes: list[str]) -> list[Subscription]:
        return sorted((s for p in prefixes for s in self.subscriptions.get(p, ())), key=lambda s: s.pk)

    def endpoints_over(self, prefixes: list[str]) -> list[WebhookEndpoint]:
        return sorted((e for p in prefixes for e in self.endpoints.get(p, ())), key=lambda e: e.pk)


def _load() -> Listeners:
    subscriptions: dict[str, list[Subscription]] = {}
    for s in Subscription.objects.order_by("id"):
        subscriptions.setdefault(s.area_path, []).append(s)
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    for e in WebhookEndpoint.objects.filter(active=True).order_by("id"):
        endpoints.setdefault(e.area_path, []).append(e)
    return Listeners(
        {p: tuple(rows) for p, rows in subscriptions.items()},
        {p: tuple(rows) for p, rows in endpoints.items()},
    )


held = Held("notify.listeners", _load, (Subscription, WebhookEndpoint), paths=True)


def current() -> Listeners:
    return held.current()
