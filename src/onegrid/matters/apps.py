from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "onegrid.matters"
    label = "matters"
    verbose_name = _("Matters")

    def ready(self) -> None:
        from onegrid.audit import registry as audit_registry
        from onegrid.kit import sweeps as kit_sweeps
        from onegrid.matters import (
            catalogue,  # noqa: F401  (watches the configuration it caches)
            permissions,  # noqa: F401  (registers matters.* and the scope rules)
            rollup,
            sweeps,
            tracking,
        )
        from onegrid.matters.models import Matter

        kit_sweeps.register("matters.deadlines", 30, sweeps.sweep)
        kit_sweeps.register("matters.fold-rollup", 60, rollup.fold)
        # The reporter's contact details are personal data: the trail says whether they changed, never what.
        audit_registry.register(
            Matter,
            masked=(
                "reporter_name",
                "reporter_phone",
                "reporter_phone_index",
                "reporter_email",
                "reporter_email_index",
            ),
        )
        kit_sweeps.register("matters.purge-follow-failures", 300, tracking.purge_failures)
