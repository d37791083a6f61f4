from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "onegrid.areas"
    label = "areas"
    verbose_name = _("Area net")

    def ready(self) -> None:
        from onegrid.areas import permissions  # noqa: F401  (registers the areas.* permissions)
