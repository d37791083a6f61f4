from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "onegrid.matters"
    label = "matters"
    verbose_name = _("Matters")

    def ready(self) -> None:
        from onegrid.kit import sweeps as kit_sweeps
        from onegrid.matters import (
            permissions,  # noqa: F401  (registers matters.* and the scope rules)
            sweeps,
            tracking,
        )

        kit_sweeps.register("matters.deadlines", 30, sweeps.sweep)
        kit_sweeps.register("matters.purge-follow-failures", 300, tracking.purge_failures)
