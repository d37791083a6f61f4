"""Routing rules: (category, area subtree, priority, channel) → the responsible organisation.

A rule matches a matter when each of its set fields matches (blank = any; the area matches its whole
subtree). Among matching rules the most specific wins: a set category, priority or channel counts one
each and the area counts its depth, so a rule for a township beats one for its county. Two matching
rules of equal specificity are a configuration error, reported when a rule is saved (``check``) and
refused when routing (never a silent pick).
"""

from __future__ import annotations

from dataclasses import dataclass

from onegrid.kit.errors import Conflict
from onegrid.matters import catalogue
from onegrid.matters.models import RoutingRule


@dataclass(frozen=True, slots=True)
class Case:
    category_id: int | None
    category_parent_id: int | None
    area_path: str
    priority: str
    channel: str


def specificity(rule: RoutingRule) -> tuple[int, int]:
    depth = rule.area_path.count("/") - 1 if rule.area_path else 0
    return (depth, int(rule.category_id is not None) + int(bool(rule.priority)) + int(bool(rule.channel)))


def matches(rule: RoutingRule, case: Case) -> bool:
    return (
        (rule.category_id is None or rule.category_id in (case.category_id, case.category_parent_id))
        and (not rule.area_path or case.area_path.startswith(rule.area_path))
        and (not rule.priority or rule.priority == case.priority)
        and (not rule.channel or rule.channel == case.channel)
    )


def best(rules: list[RoutingRule], case: Case) -> RoutingRule | None:
    """The most specific matching rule; Conflict when two tie."""
    found = sorted((r for r in rules if r.is_active and matches(r, case)), key=specificity, reverse=True)
    if not found:
        return None
    if len(found) > 1 and specificity(found[0]) == specificity(found[1]):
        raise Conflict(f"routing rules {found[0].pk} and {found[1].pk} match equally; make one more specific")
    return found[0]


def route(case: Case) -> RoutingRule | None:
    """The rule for ``case`` among the active rules (held in the process,
    see ``catalogue``); None when none matches, Conflict when two tie."""
    return best(list(catalogue.current().rules), case)


def check(rule: RoutingRule) -> list[RoutingRule]:
    """Active rules that would tie with ``rule`` for some matter: same specificity and overlapping
    conditions. Empty means the rule can be saved."""
    clashes = []
    for other in RoutingRule.objects.filter(is_active=True).exclude(pk=rule.pk):
        if specificity(other) != specificity(rule):
            continue
        same_area = (other.area_path or "") == (rule.area_path or "")
        overlap = (
            same_area
            and (
                other.category_id is None or rule.category_id is None or other.category_id == rule.category_id
            )
            and (not other.priority or not rule.priority or other.priority == rule.priority)
            and (not other.channel or not rule.channel or other.channel == rule.channel)
        )
        if overlap:
            clashes.append(other)
    return clashes
