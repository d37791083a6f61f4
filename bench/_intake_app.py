"""The product's ASGI application plus one bench-only route, ``POST /bench/bare-insert``: the same server,
settings and middleware, then one row inserted in one transaction — the floor ``bench/intake.py`` compares
intake with. Never imported by the product; served only by the benchmark (``uvicorn _intake_app:application``)."""

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


urls.urlpatterns.append(path("bench/bare-insert", bare_insert))

__all__ = ["application"]
