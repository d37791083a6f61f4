"""The standard roles every installation starts with (data: administrators may change them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onegrid.access import catalog
from onegrid.access.models import Permission, Role
from onegrid.audit import services as audit

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


@dataclass(frozen=True)
class RoleChange:
    code: str
    created: bool
    added: tuple[str, ...]
    removed: tuple[str, ...]


def _standard(permissions: list[str], names: list[str]) -> set[str]:
    return set(names) if permissions == [ALL] else set(permissions) & set(names)


def sync_standard_roles(*, dry_run: bool = False) -> list[RoleChange]:
    """Bring the standard roles up to this release, keeping administrators' changes.

    A missing standard role is created with its standard permissions. For one that exists, only the
    difference between this release's definition and the one it was last synchronised with is applied:
    permissions the release introduces are added, permissions the release withdraws are removed, and
    whatever administrators added or removed by hand stays as they left it. A role never synchronised
    before (made by an older release) is treated as if it had been synchronised with its current
    permissions. Each change is audited (actor: the system)."""
    names = list(catalog.permissions())
    changes: list[RoleChange] = []
    with transaction.atomic():
        for code, (name, name_en, permissions) in STANDARD_ROLES.items():
            wanted = _standard(permissions, names)
            role = Role.objects.filter(code=code).first()
            if role is None:
                changes.append(RoleChange(code, True, tuple(sorted(wanted)), ()))
                if not dry_run:
                    role = Role.objects.create(
                        code=code, name=str(name), name_en=name_en, standard_permissions=sorted(wanted)
                    )
                    role.permissions.set(Permission.objects.filter(name__in=wanted))
                    audit.record(None, "access.role.create", role)
                continue
            held = set(role.permissions.values_list("name", flat=True))
            before = set(role.standard_permissions) if role.standard_permissions is not None else held
            added = tuple(sorted((wanted - before) - held))
            removed = tuple(sorted((before - wanted) & held))
            if added or removed:
                changes.append(RoleChange(code, False, added, removed))
            if dry_run:
                continue
            if added:
                role.permissions.add(*Permission.objects.filter(name__in=added))
            if removed:
                role.permissions.remove(*Permission.objects.filter(name__in=removed))
            if role.standard_permissions != sorted(wanted):
                role.standard_permissions = sorted(wanted)
                role.save(update_fields=["standard_permissions"])
            if added or removed:
                audit.record(
                    None,
                    "access.role.sync",
                    role,
                    before={"permissions": sorted(held)},
                    after={"permissions": sorted((held | set(added)) - set(removed))},
                    note="standard role brought up to this release",
                )
    return changes
