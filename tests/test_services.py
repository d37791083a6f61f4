"""The real services CI starts are there and usable (skipped on a developer machine without them)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection
from pytest_socket import SocketBlockedError, SocketConnectBlockedError
from tests.conftest import need_service


def test_redis_answers_ping() -> None:
    url = os.environ.get("ONEGRID_REDIS_URL", "")
    need_service(bool(url), "Redis not configured (set ONEGRID_REDIS_URL; .ci/run starts one)")
    parts = urlparse(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=5) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert s.recv(64) == b"+PONG\r\n"


@pytest.mark.django_db
def test_postgresql_is_reachable_when_configured() -> None:
    url = os.environ.get("ONEGRID_POSTGRES_URL", "")
    need_service(bool(url), "PostgreSQL not configured (set ONEGRID_POSTGRES_URL; .ci/run starts one)")
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("this run is on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # the test database is in memory, where SQLite reports "memory"; files use WAL
    assert mode in ("wal", "memory")


def test_the_suite_cannot_reach_the_network() -> None:
    with (
        pytest.raises((SocketBlockedError, SocketConnectBlockedError)),
        pytest.warns(UserWarning, match="192.0.2.1"),
    ):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed
