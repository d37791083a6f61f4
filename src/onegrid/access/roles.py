"""The standard roles every installation starts with (data: administrators may change them)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onegrid.access import catalog
from onegrid.access.models import Permission, Role

ALL = "*"

# What a command-centre operator does with matters (受理、立案、派遣、核查、结案、回访).
OPERATOR = [
    "matters.view",
    "matters.create",
    "matters.register",
    "matters.dispatch",
    "matters.escalate",
    "matters.verify",
    "matters.close",
    "matters.reopen",
    "matters.extend",
    "matters.merge",
    "matters.follow_up",
    "matters.stats",
]

STANDARD_ROLES: dict[str, tuple[Promise, str, list[str]]] = {
    "administrator": (_("Administrator"), "Administrator", [ALL]),
    "county_operator": (
        _("County command-centre operator"),
        "County operator",
        [
            "areas.view",
            "areas.locate",
            "areas.export",
            "access.view",
            "audit.view",
            *OPERATOR,
            "notify.subscribe",
            "notify.manage_webhooks",
            "notify.view_deliveries",
            "ledger.view",
            "ledger.deposit",
        ],
    ),
    "township_operator": (
        _("Township command-centre operator"),
        "Township operator",
        ["areas.view", "areas.locate", "areas.export", "access.view", *OPERATOR, "notify.subscribe"],
    ),
    "grid_worker": (
        _("Grid worker"),
        "Grid worker",
        [
            "areas.view",
            "areas.locate",
            "matters.view",
            "matters.create",
            "matters.verify",
            "notify.subscribe",
        ],
    ),
    "department_handler": (
        _("Department handler"),
        "Department handler",
        ["areas.view", "areas.locate", "matters.view", "matters.handle", "notify.subscribe"],
    ),
    "resident": (_("Resident"), "Resident", ["areas.locate", "matters.report"]),
    "auditor": (
        _("Auditor"),
        "Auditor",
        [
            "audit.view",
            "areas.view",
            "access.view",
            "matters.view",
            "matters.stats",
            "notify.view_deliveries",
            "ledger.view",
        ],
    ),
    "leader": (
        _("Leader"),
        "Leader",
        ["areas.view", "matters.view", "matters.stats", "matters.supervise", "notify.subscribe"],
    ),
    # a witness institution's service account (procuratorate, court) that cosigns ledger checkpoints
    "witness": (_("Ledger witness"), "Ledger witness", ["ledger.view", "ledger.cosign"]),
    "area_manager": (
        _("Area-net manager"),
        "Area-net manager",
        [
            "areas.view",
            "areas.locate",
            "areas.add",
            "areas.change",
            "areas.move",
            "areas.delete",
            "areas.import",
            "areas.export",
        ],
    ),
}


def ensure_standard_roles() -> None:
    """Create the standard roles that are missing; roles that exist are left as administrators set them."""
    names = list(catalog.permissions())
    for code, (name, name_en, permissions) in STANDARD_ROLES.items():
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": str(name), "name_en": name_en}
        )
        if created:
            wanted = names if permissions == [ALL] else permissions
            role.permissions.set(Permission.objects.filter(name__in=wanted))
