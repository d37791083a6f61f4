"""The demo: a county of Zhejiang with its net, organisations and one account for each role."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from onegrid.access import services as access
from onegrid.access.models import Organisation, Role, User
from onegrid.areas import generate
from onegrid.areas import services as areas
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.kit.progress import Callback

DEMO_PASSWORD = "onegrid-demo"  # noqa: S105  (printed by `make demo`; development only)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    where: str  # which level the grant covers: province, county, township, grid
    organisation_kind: str | None


ACCOUNTS = [
    DemoAccount("admin", "系统管理员", "administrator", "province", None),
    DemoAccount("county", "县指挥中心坐席", "county_operator", "county", "command_centre"),
    DemoAccount("township", "乡镇指挥中心坐席", "township_operator", "township", "township_office"),
    DemoAccount("gridworker", "网格员", "grid_worker", "grid", "grid_station"),
    DemoAccount("handler", "职能部门经办人", "department_handler", "county", "department"),
    DemoAccount("resident", "居民", "resident", "province", None),
]


def load_net(progress: Callback | None = None) -> int:
    """Generate and import the county-scale net unless areas exist already; returns areas created."""
    if Area.objects.exists():
        return 0
    inputs = [d.as_input() for d in generate.generate("county")]
    result = areas.write_batch(actor=None, inputs=inputs, permission="areas.import", progress=progress)
    if result.errors:
        raise RuntimeError(f"demo net rejected: {result.errors[0]}")
    return result.created


def _first(level: Level, within: str = "/") -> Area:
    area = Area.objects.filter(level=level, path__startswith=within).order_by("path").first()
    if area is None:
        raise RuntimeError(f"the demo net has no {level.name.lower()}")
    return area


def load_people() -> list[DemoAccount]:
    """Organisations, accounts and grants for each role (idempotent)."""
    county = _first(Level.COUNTY)
    township = _first(Level.TOWNSHIP, county.path)
    grid = _first(Level.GRID, township.path)
    where = {"province": _first(Level.PROVINCE), "county": county, "township": township, "grid": grid}
    with transaction.atomic():
        for account in ACCOUNTS:
            user = User.objects.filter(username=account.username).first()
            if user is None:
                user = User(
                    username=account.username,
                    display_name=account.display_name,
                    is_staff=account.role == "administrator",
                    is_superuser=account.role == "administrator",
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
            area = where[account.where]
            role = Role.objects.get(code=account.role)
            if account.organisation_kind:
                org, _ = Organisation.objects.get_or_create(
                    code=f"demo-{account.organisation_kind}-{area.code}",
                    defaults={
                        "name": f"{area.name}{_ORG_SUFFIX[account.organisation_kind]}",
                        "kind": account.organisation_kind,
                        "area": area,
                        "area_path": area.path,
                    },
                )
                access.add_member(actor=None, user=user, organisation=org)
            access.grant(actor=None, role=role, area=area, user=user)
            if account.role == "grid_worker":
                grid.grid_workers.add(user)
    return ACCOUNTS


_ORG_SUFFIX = {
    "command_centre": "社会治理综合指挥中心",
    "township_office": "综治中心",
    "grid_station": "网格工作站",
    "department": "城市管理局",
}
