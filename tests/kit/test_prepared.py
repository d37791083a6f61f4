"""kit.prepared: a queryset compiled once answers exactly as the queryset does, for any arguments."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onegrid.access.models import User
from onegrid.kit.prepared import Prepared

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
