"""The ``areas.*`` permissions, registered in the access catalog."""

from django.utils.translation import gettext_lazy as _

from onegrid.access import catalog

catalog.register(
    "areas",
    {
        "view": _("See areas and their boundaries"),
        "locate": _("Locate a point to its grid"),
        "add": _("Create areas"),
        "change": _("Change areas"),
        "move": _("Move an area under another parent"),
        "delete": _("Delete areas"),
        "import": _("Import areas from GeoJSON"),
        "export": _("Export areas as GeoJSON"),
    },
)
