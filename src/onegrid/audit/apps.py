from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "onegrid.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from onegrid.audit import maintenance

        connection_created.connect(maintenance.register, dispatch_uid="onegrid.audit.maintenance")
