"""The routing rule tester of the back office: which rule, and so which organisation, would take a
sample matter (a category and a point or an area, a priority, a channel), under the rules in force and
under the same rules with a draft rule added or changed — before anything is saved."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.kit.errors import Conflict, Invalid
from onegrid.matters import routing
from onegrid.matters.models import Category, RoutingRule


@dataclass(frozen=True)
class Sample:
    category: Category
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    area: Area | None = None
    priority: str = "normal"
    channel: str = "hotline_12345"


@dataclass
class Outcome:
    """The matching rules, most specific first, and the winner or the tie that stops routing."""

    matching: list[RoutingRule] = field(default_factory=list)
    winner: RoutingRule | None = None
    tie: str = ""


@dataclass
class Trial:
    area: Area
    in_force: Outcome
    with_draft: Outcome | None = None

    @property
    def changed(self) -> bool:
        if self.with_draft is None:
            return False
        before, after = self.in_force, self.with_draft
        return (before.winner and before.winner.organisation_id, before.tie) != (
            after.winner and after.winner.organisation_id,
            after.tie,
        )


def place(sample: Sample) -> Area:
    """The grid holding the sample point, or the area chosen."""
    if sample.area is not None:
        return sample.area
    if sample.lon is None or sample.lat is None:
        raise Invalid("give a point (longitude and latitude) or an area", field="lon")
    for name, value, bound in (("lon", sample.lon, 180.0), ("lat", sample.lat, 90.0)):
        if not math.isfinite(value) or abs(value) > bound:
            raise Invalid(f"{name} {value} is outside [-{bound:g}, {bound:g}]", field=name)
    path, _micro = locator.locate(sample.lon, sample.lat, sample.crs)
    if path is None:
        raise Invalid("the point lies in no grid of the net", field="lon")
    return Area.objects.defer("geometry", "geometry_wkb").get(code=path.strip("/").rsplit("/", 1)[-1])


def _outcome(rules: list[RoutingRule], case: routing.Case) -> Outcome:
    matching = sorted(
        (r for r in rules if r.is_active and routing.matches(r, case)), key=routing.specificity, reverse=True
    )
    outcome = Outcome(matching=matching)
    try:
        outcome.winner = routing.best(rules, case)
    except Conflict as exc:
        outcome.tie = str(exc)
    return outcome


def trial(sample: Sample, draft: RoutingRule | None = None) -> Trial:
    """Route ``sample`` under the active rules, and again with ``draft`` in place of the rule of the same
    id (or added, when it has none). Nothing is written."""
    area = place(sample)
    case = routing.Case(
        sample.category.pk, sample.category.parent_id, area.path, sample.priority, sample.channel
    )
    rules = list(RoutingRule.objects.filter(is_active=True).select_related("organisation", "category"))
    result = Trial(area=area, in_force=_outcome(rules, case))
    if draft is not None:
        draft.area_path = draft.area.path if draft.area is not None else ""
        others = [r for r in rules if draft.pk is None or r.pk != draft.pk]
        result.with_draft = _outcome([*others, draft], case)
    return result
