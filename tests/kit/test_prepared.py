"""kit.prepared: a queryset compiled once answers exactly as the queryset does, for any arguments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.factories import build_net

from onegrid.access.models import Membership, Organisation, User
from onegrid.kit.prepared import Like, Prepared, PreparedModels

pytestmark = pytest.mark.django_db

BY_NAME = Prepared(
    lambda name, low: User.objects.filter(username=name, pk__gte=low).exclude(email="").values_list("pk"),
    (str, int),
)


def _users() -> dict[str, Any]:
    return {
        "ann": User.objects.create(username="ann", email="ann@example.org"),
        "bob": User.objects.create(username="bob", email="", is_active=True),
        "cy": User.objects.create(username="cy", email="cy@example.org", is_active=False),
    }


def test_answers_as_the_queryset_does_for_each_set_of_arguments() -> None:
    users = _users()
    for name in ("ann", "bob", "cy", "nobody", "' OR 1=1 --"):
        for low in (0, users["bob"].pk, users["cy"].pk + 1):
            expected = list(
                User.objects.filter(username=name, pk__gte=low).exclude(email="").values_list("pk")
            )
            assert BY_NAME.rows(name, low) == expected
    assert BY_NAME.rows("ann", 0) == [(users["ann"].pk,)]
    assert BY_NAME.rows("cy", users["cy"].pk + 1) == []
    assert BY_NAME.rows("bob", 0) == []  # the constant condition (an e-mail address) is kept


def test_compiles_once_and_runs_one_statement_per_call() -> None:
    _users()
    prepared = Prepared(lambda name: User.objects.filter(username=name).values_list("pk"), (str,))
    prepared.rows("ann")
    built: list[int] = []
    original = prepared.build

    def counting(*args: Any) -> Any:
        built.append(1)
        return original(*args)

    prepared.build = counting
    with CaptureQueriesContext(connection) as seen:
        assert prepared.rows("bob") != prepared.rows("ann")
    assert built == []
    assert len(seen.captured_queries) == 2


def test_refuses_a_lookup_that_changes_its_argument() -> None:
    prepared = Prepared(lambda name: User.objects.filter(username__contains=name).values_list("pk"), (str,))
    with pytest.raises(ValueError, match="argument 0 does not reach the SQL unchanged"):
        prepared.rows("an")


def _state(obj: Any) -> dict[str, Any]:
    """An instance as loaded: its field values, the fields left deferred, and its related objects."""
    cached = obj._state.fields_cache
    return {
        "model": type(obj),
        "values": {k: v for k, v in obj.__dict__.items() if k != "_state"},
        "deferred": obj.get_deferred_fields(),
        "related": {name: None if rel is None else _state(rel) for name, rel in cached.items()},
    }


def _memberships() -> dict[str, Any]:
    net = build_net()
    users = _users()
    parent = Organisation.objects.create(code="p", name="县中心", kind="command_centre", area=net.county)
    child = Organisation.objects.create(
        code="c", name="街道", kind="command_centre", area=net.township_a, parent=parent
    )
    Membership.objects.create(user=users["ann"], organisation=child)
    Membership.objects.create(user=users["ann"], organisation=parent)
    Membership.objects.create(user=users["bob"], organisation=parent)
    return users


def test_model_instances_as_the_queryset_builds_them() -> None:
    users = _memberships()

    def build(user_id: Any) -> Any:
        return (
            Membership.objects.filter(user_id=user_id)
            .select_related("user", "organisation", "organisation__parent")
            .defer("user__password", "organisation__name_en")
            .order_by("-organisation__code")
        )

    prepared = PreparedModels(build, (int,))
    for user in (*users.values(), None):
        pk = user.pk if user is not None else -1
        expected = [_state(m) for m in build(pk)]
        with CaptureQueriesContext(connection) as seen:
            got = [_state(m) for m in prepared.objects(pk)]
        assert got == expected
        assert len(seen.captured_queries) == 1  # the related objects came with the row
    ann = prepared.objects(users["ann"].pk)
    assert [m.organisation.code for m in ann] == ["p", "c"]
    assert ann[0].organisation.parent is None
    assert ann[1].organisation.parent.code == "p"
    assert ann[0].user.get_deferred_fields() == {"password"}


def test_model_queries_it_cannot_prepare_are_refused() -> None:
    _users()
    for build in (
        lambda name: User.objects.filter(username__contains=name),
        lambda name: User.objects.filter(username=name).annotate(n=Count("memberships")),
        lambda name: User.objects.filter(username=name).prefetch_related("memberships"),
    ):
        with pytest.raises(ValueError, match=r"not prepared|unchanged"):
            PreparedModels(build, (str,)).objects("ann")


def test_pattern_and_moment_arguments_answer_as_the_queryset() -> None:
    users = _users()
    User.objects.create(username="a_b%c", email="x@example.org")
    User.objects.filter(pk=users["bob"].pk).update(date_joined=timezone.now() - dt.timedelta(days=3))

    def build(part: Any, since: Any) -> Any:
        return (
            User.objects.filter(username__contains=part, date_joined__gte=since)
            .order_by("pk")
            .values_list("username")
        )

    prepared = Prepared(build, (Like, dt.datetime))
    for part in ("a", "b", "_", "%", "b%c", "\\", "nobody"):
        for since in (timezone.now() - dt.timedelta(days=7), timezone.now() - dt.timedelta(days=1)):
            assert prepared.rows(part, since) == list(build(part, since)), (part, since)
    assert prepared.rows("_", timezone.now() - dt.timedelta(days=1)) == [("a_b%c",)]  # not a wildcard
