from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from onegrid.access import services


class ThrottledLoginForm(AuthenticationForm):
    """Sign-in that says plainly when too many attempts have failed."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        if username and services.login_locked(username, ip):
            raise ValidationError(_("Too many failed sign-ins. Try again in a few minutes."), code="locked")
        return super().clean()
