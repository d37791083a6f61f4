"""The product's ASGI application plus two bench-only routes, ``POST /bench/bare-insert`` (one row inserted
in one transaction) and ``POST /bench/bare-batch`` (one row per item of ``{"items": [...]}``, in one
transaction): the same server, settings and middleware — the floors ``bench/intake.py`` compares intake with. Never imported by the product; served only by the benchmark (``uvicorn _intake_app:application``)."""

from __future__ import annotations

import json

from onegrid.asgi import application  # isort: skip  (sets Django up: it must come first)

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from onegrid import urls

TABLE = "bench_bare_insert"


@csrf_exempt
def bare_insert(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (title, lon, lat, body) VALUES (%s, %s, %s, %s)",
            [body.get("title", ""), body.get("lon"), body.get("lat"), request.body.decode()],
        )
    return JsonResponse({"ok": True}, status=201)


@csrf_exempt
def bare_batch(request: HttpRequest) -> HttpResponse:
    """The floor of the batch intake: one row per item, all in one statement batch and one transaction."""
    items = json.loads(request.body)["items"]
    rows = [
        [item.get("title", ""), item.get("lon"), item.get("lat"), json.dumps(item, ensure_ascii=False)]
        for item in items
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {TABLE} (title, lon, lat, body) VALUES (%s, %s, %s, %s)", rows)
    return JsonResponse({"created": len(rows)}, status=201)


urls.urlpatterns.append(path("bench/bare-insert", bare_insert))
urls.urlpatterns.append(path("bench/bare-batch", bare_batch))

__all__ = ["application"]
