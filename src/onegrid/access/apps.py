from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "onegrid.access"
    label = "access"
    verbose_name = _("Access control")

    def ready(self) -> None:
        from onegrid.access import signals  # noqa: F401  (connects the catalog sync and login hooks)
        from onegrid.access.grants import granted_paths
        from onegrid.access.services import purge_login_failures
        from onegrid.kit import scope, sweeps

        scope.register_resolver(granted_paths)
        sweeps.register("access.purge-login-failures", 300, purge_login_failures)
