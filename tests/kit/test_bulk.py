"""``kit.bulk``: many rows in one statement store exactly what the ORM stores, on both databases; on
PostgreSQL beyond a few rows they travel as one binary array per column (``UNNEST``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onegrid.audit.models import AuditRecord
from onegrid.kit import bulk
from onegrid.notify.models import Message

pytestmark = pytest.mark.django_db

TEXTS = [
    "",
    "plain",
    "引号 ' 和 \" 反斜杠 \\ 换行\n制表\t",
    "{a,b}",
    "NULL",
    "<script>alert(1)</script>",
    "😀" * 10,
]


def _messages(n: int, base: dt.datetime | None = None) -> list[Message]:
    base = base or timezone.now().replace(microsecond=123456)
    return [
        Message(
            event=f"matters.e{i % 3}",
            title=TEXTS[i % len(TEXTS)],
            body=TEXTS[(i + 1) % len(TEXTS)],
            payload={"i": i, "text": TEXTS[i % len(TEXTS)], "list": [1, None, "二"]} if i % 4 else {},
            area_path=f"/33/{i}/",
            occurred_at=base + dt.timedelta(seconds=i),
        )
        for i in range(n)
    ]


def _stored(pks: list[int]) -> list[tuple[Any, ...]]:
    rows = Message.objects.filter(pk__in=pks).values_list(
        "pk", "uid", "event", "title", "body", "payload", "area_path", "occurred_at", "actor_id"
    )
    return sorted(rows, key=lambda r: pks.index(int(r[0])))


@pytest.mark.parametrize("n", [1, bulk.KEPT_STATEMENT_ROWS, bulk.KEPT_STATEMENT_ROWS + 1, 700])
def test_create_stores_what_the_orm_stores_and_sets_the_keys_in_order(n: int) -> None:
    base = timezone.now().replace(microsecond=123456)
    ours, theirs = _messages(n, base), _messages(n, base)
    bulk.create(ours)
    for m in theirs:
        m.save()
    assert all(m.pk is not None and not m._state.adding for m in ours)
    assert len({m.pk for m in ours}) == n
    got = _stored([m.pk for m in ours])
    want = _stored([m.pk for m in theirs])
    # the same values, row by row in the order given (the keys set on the instances are theirs)
    assert [r[2:] for r in got] == [r[2:] for r in want]
    assert [r[1] for r in got] == [m.uid for m in ours]
    assert all(isinstance(r[1], uuid.UUID) for r in got)


@pytest.mark.parametrize("n", [1, 2, 300])
def test_insert_stores_json_text_and_moments(n: int) -> None:
    at = timezone.now()
    rows = [
        (
            at,
            None,
            "系统",
            "matters.receive",
            "matters.matter",
            str(i),
            TEXTS[i % len(TEXTS)],
            "/33/",
            None,
            '{"k": "值"}',
            "",
            "",
            None,
        )
        for i in range(n)
    ]
    fields = ["at", "actor", "actor_label", "action", "object_type", "object_id", "object_repr", "area_path"]
    fields += ["before", "after", "note", "request_id", "ip"]
    assert bulk.insert(AuditRecord, fields, rows) == n
    stored = list(AuditRecord.objects.filter(action="matters.receive").order_by("pk"))
    assert [r.object_repr for r in stored] == [TEXTS[i % len(TEXTS)] for i in range(n)]
    assert all(r.after == {"k": "值"} and r.before is None and r.at == at for r in stored)


def test_a_value_too_long_is_refused_not_cut_and_nothing_is_written() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not check the length of text columns")
    messages = _messages(40)
    messages[17].area_path = "/" + "9" * 300
    with pytest.raises(DataError), transaction.atomic():
        bulk.create(messages)
    assert not Message.objects.exists()


def test_the_array_statement_is_counted_like_any_other() -> None:
    with CaptureQueriesContext(connection) as queries:
        bulk.create(_messages(100))
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    if connection.vendor == "postgresql":
        assert "UNNEST" in inserts[0]


def test_a_column_of_mixed_python_types_is_sent_as_one() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("arrays are PostgreSQL's")
    rows = bulk.execute_arrays(
        "SELECT * FROM UNNEST((%b)::double precision[], (%b)::integer[], (%b)::text[])",
        [[1, 1.5, None], [True, 2, None], ["a", 1, None]],
        returning=True,
    )
    assert rows == [(1.0, 1, "a"), (1.5, 2, "1"), (None, None, None)]
    with pytest.raises(DataError):  # the server's own refusals still surface, as Django's errors
        bulk.execute_arrays("SELECT * FROM UNNEST((%b)::integer[])", [[2**40]], returning=True)
