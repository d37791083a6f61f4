"""The demo: a county of Zhejiang with its net, organisations and one account for each role, routing
rules that send each kind of matter to the office that handles it, and a year of generated sample
matters (numbers starting with "G": synthetic, never presented as real reports)."""

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
from onegrid.matters import catalogue
from onegrid.matters import generate as matters_generate
from onegrid.matters.models import Category, Matter, RoutingRule

DEMO_PASSWORD = "onegrid-demo"  # noqa: S105  (printed by `make demo`; development only)
SAMPLE_MATTERS = 3000  # a year of them across the county: the dashboards, queue and map show something


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


# County departments of the demo (besides the 城市管理局 of the handler account) and the category groups
# each is responsible for; disputes and policy questions stay with the township offices (乡镇综治中心).
DEPARTMENTS = {
    "housing": ("住房和城乡建设局", ["livelihood"]),
    "police": ("公安局", ["public-order"]),
    "emergency": ("应急管理局", ["safety"]),
    "health": ("卫生健康局", ["health"]),
    "environment": ("生态环境分局", ["environment"]),
}
TOWNSHIP_GROUPS = ["disputes", "policy"]


def _organisation(code: str, name: str, kind: str, area: Area) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "area": area, "area_path": area.path}
    )
    return org


def load_routing() -> int:
    """Routing rules over the demo net unless some exist: anything in the county → the county command
    centre; each category group → its county department; disputes and policy questions → the township's
    office (a township rule is more specific than the county's). Returns the rules created."""
    if RoutingRule.objects.exists():
        return 0
    county = _first(Level.COUNTY)
    groups = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    rules = []
    with transaction.atomic():
        centre = _organisation(
            f"demo-command_centre-{county.code}",
            f"{county.name}{_ORG_SUFFIX['command_centre']}",
            "command_centre",
            county,
        )
        rules.append(RoutingRule(organisation=centre, area=county, area_path=county.path))
        urban = _organisation(
            f"demo-department-{county.code}",
            f"{county.name}{_ORG_SUFFIX['department']}",
            "department",
            county,
        )
        owners = {"city-appearance": urban}
        for key, (name, codes) in DEPARTMENTS.items():
            org = _organisation(f"demo-{key}-{county.code}", f"{county.name}{name}", "department", county)
            owners.update(dict.fromkeys(codes, org))
        for code, org in owners.items():
            if code in groups:
                rules.append(
                    RoutingRule(category=groups[code], organisation=org, area=county, area_path=county.path)
                )
        for township in Area.objects.filter(level=Level.TOWNSHIP, path__startswith=county.path):
            office = _organisation(
                f"demo-township_office-{township.code}",
                f"{township.name}{_ORG_SUFFIX['township_office']}",
                "township_office",
                township,
            )
            for code in TOWNSHIP_GROUPS:
                if code in groups:
                    rules.append(
                        RoutingRule(
                            category=groups[code], organisation=office, area=township, area_path=township.path
                        )
                    )
        RoutingRule.objects.bulk_create(rules)
        catalogue.bump()  # bulk_create sends no save signals: intake must see the new rules
    return len(rules)


def load_sample(count: int = SAMPLE_MATTERS) -> int:
    """``count`` generated matters over the past year across the demo net, once (none when the demo
    already has matters). Returns how many were written."""
    if count <= 0 or Matter.objects.exists():
        return 0
    return matters_generate.generate(count=count, seed=2024, days=365).matters
