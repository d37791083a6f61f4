"""A real OneGrid installation for reliability suites: its own data directory and database (SQLite, or a
fresh PostgreSQL database), the demo net and accounts, an API token, and ``onegrid serve`` as a child
process that can be killed with SIGKILL and started again."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ONEGRID = [sys.executable, "-m", "onegrid.cli"]
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveSite:
    def __init__(self, data_dir: Path, postgres_url: str = "") -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.database = ""
        self.postgres_url = postgres_url
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_URL"))
        }
        self.env |= {"ONEGRID_DATA_DIR": str(data_dir), "ONEGRID_ENV": "development", "PYTHONUNBUFFERED": "1"}
        if postgres_url:
            self.database = f"og_live_{secrets.token_hex(4)}"
            self._admin_sql(f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = postgres_url.rsplit("/", 1)[0] + f"/{self.database}"
        self.server: subprocess.Popen[bytes] | None = None
        self.log = (data_dir / "server.log").open("ab")

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.postgres_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [*ONEGRID, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"onegrid {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def python(self, code: str) -> Any:
        """Run ``code`` in a Django shell of this site; it prints one JSON document, returned decoded."""
        return json.loads(self.run("shell", "-c", code).strip().splitlines()[-1])

    def set_up(self, *permissions: str) -> str:
        """Migrate, load the demo net and accounts; returns an API token of the county operator holding
        ``permissions`` (default: taking in and viewing matters)."""
        self.run("demo", "--no-serve", "--sample", "0")  # the suites count what they send
        return self.token("county", *(permissions or ("matters.create", "matters.view")))

    def token(self, username: str, *permissions: str) -> str:
        out = self.run("token", "create", username, *(a for p in permissions for a in ("-p", p)))
        return next(w for w in out.split() if w.startswith("og_"))

    def start(self, workers: int = 1, command: list[str] | None = None) -> None:
        """Serve with ``onegrid serve``, or with ``command`` (given the port and the worker count)."""
        argv = [*ONEGRID, "serve"] if command is None else command
        self.server = subprocess.Popen(
            [*argv, "--port", str(self.port), "--workers", str(workers)],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"the server exited with {self.server.returncode}; see {self.log.name}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        raise RuntimeError("the server did not become ready")

    def kill(self) -> None:
        """SIGKILL the server's whole process group: no shutdown, no flush, as a power cut would."""
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()
        self.server = None

    def close(self) -> None:
        self.kill()
        self.log.close()
        if self.database:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
