from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "onegrid.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.conf import settings

        from onegrid.kit import sweeps
        from onegrid.notify import permissions  # noqa: F401  (registers the notify.* permissions)
        from onegrid.notify.delivery import sweep

        # The sweep itself decides when to poll (NOTIFY_POLL_SECONDS, or at once after a kick).
        sweeps.register("notify.deliver", min(1.0, float(settings.NOTIFY_POLL_SECONDS)), sweep)
