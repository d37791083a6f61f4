"""Back office: webhook endpoints and subscriptions (checked like the API), deliveries read-only with a
retry action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onegrid.audit.admin import AuditedAdmin
from onegrid.kit.errors import DomainError
from onegrid.notify import checks, services, webhooks
from onegrid.notify.models import Delivery, Status, Subscription, WebhookEndpoint


def _checked(check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except DomainError as exc:
        raise ValidationError(exc.message) from exc


class WebhookEndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "area", "events", "categories", "active")

    def clean_url(self) -> str:
        return str(_checked(checks.webhook_url, self.cleaned_data["url"]))

    def clean_events(self) -> list[str]:
        return list(_checked(checks.events, self.cleaned_data["events"] or []))

    def clean_categories(self) -> list[str]:
        return list(_checked(checks.categories, self.cleaned_data["categories"] or []))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdmin):
    """The secret is never shown here after creation: a new one is made and shown once on creation and by
    the "rotate" action."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "area_path", "active", "created_by", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url", "area_path")
    autocomplete_fields = ("area",)
    readonly_fields = ("area_path", "created_by", "created_at", "updated_at")
    actions = ("rotate_secrets",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = ""
        if not change:
            secret = obj.secret = webhooks.new_secret()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if secret:
            self.message_user(request, _("Signing secret (shown once): %s") % secret, messages.WARNING)

    @admin.action(description=_("Rotate the signing secret (shown once)"))
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            secret = services.rotate_secret(actor=request.user, endpoint=endpoint)[1]
            self.message_user(
                request, _("New secret of %(name)s: %(secret)s") % {"name": endpoint, "secret": secret}
            )


class SubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Subscription
        fields = ("user", "area", "categories", "events", "channels")

    def clean_events(self) -> list[str]:
        return list(_checked(checks.events, self.cleaned_data["events"] or []))

    def clean_categories(self) -> list[str]:
        return list(_checked(checks.categories, self.cleaned_data["categories"] or []))

    def clean_channels(self) -> list[str]:
        return list(_checked(checks.channels, self.cleaned_data["channels"] or []))


@admin.register(Subscription)
class SubscriptionAdmin(AuditedAdmin):
    form = SubscriptionForm
    list_display = ("user", "area_path", "events", "categories", "channels")
    search_fields = ("user__username", "area_path")
    autocomplete_fields = ("user", "area")
    readonly_fields = ("area_path",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The outbox, read-only: dead deliveries can be put back in the queue."""

    list_display = (
        "id",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel")
    search_fields = ("target", "area_path", "message__event")
    list_select_related = ("message",)
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "claim"]
    exclude = ("claim",)
    actions = ("retry_dead",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected dead deliveries"))
    def retry_dead(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = 0
        for row in queryset.filter(status=Status.DEAD):
            services.retry(actor=request.user, delivery_row=row)
            done += 1
        self.message_user(request, _("%(count)d deliveries put back in the queue") % {"count": done})
