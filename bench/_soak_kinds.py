"""Server CPU per kind of request of the load soak's mix, measured in process (a working aid, not a
benchmark with a comparison: ``onegrid bench`` does not list it).

A fresh demo installation (as ``bench/soak.py`` makes), then each kind of the soak's requests sent
``--n`` times through Django's WSGI handler in this process — the whole middleware stack, the API's
authentication, the view, the database — with the CPU time of the thread per request. Prints the
median per kind and the mix weighted as the soak weights it (5 lists, 5 matters, 4 intakes, 3 steps,
one of each dashboard in 20). Compare two commits on the same machine one after the other: the
machine is shared, and only figures measured together compare.

    uv run python bench/_soak_kinds.py [--n 100] [--postgres]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"list": 5, "get": 5, "intake": 4, "step": 3, "summary": 1, "children": 1, "centre": 1}
STEPS = ["register", "dispatch", "accept", "resolve"]


def child(plan: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()

    def call(method: str, path: str, headers: dict[str, str], body: bytes = b"", kind: str = "") -> Any:
        route, _, query = path.partition("?")
        env = {
            "REQUEST_METHOD": method,
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        if kind:
            env["CONTENT_TYPE"] = kind
        for key, value in headers.items():
            env["HTTP_" + key.upper().replace("-", "_")] = value
        seen: dict[str, Any] = {}

        def start(status: str, pairs: list[tuple[str, str]], exc: Any = None) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), pairs

        answer = app(env, start)
        data = b"".join(answer)
        answer.close()
        return seen["status"], seen["headers"], data

    def cookie(headers: list[tuple[str, str]], name: str) -> str:
        return next(
            v.strip().split(";")[0] for k, v in headers if k == "Set-Cookie" and v.strip().startswith(name)
        )

    status, headers, page = call("GET", "/login/", {})
    csrf = cookie(headers, "csrftoken=").split("=", 1)[1]
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    form = {"username": "county", "password": "onegrid-demo", "csrfmiddlewaretoken": found.group(1).decode()}
    status, headers, _ = call(
        "POST",
        "/login/",
        {"Cookie": f"csrftoken={csrf}", "Referer": "http://127.0.0.1:8000/login/"},
        urllib.parse.urlencode(form).encode(),
        "application/x-www-form-urlencoded",
    )
    assert status == 302, status
    session = {"Cookie": f"{cookie(headers, 'sessionid=')}; csrftoken={csrf}"}
    county = {"Authorization": f"Bearer {plan['county_token']}"}
    handler = {"Authorization": f"Bearer {plan['handler_token']}"}
    rng = random.Random(5)
    categories = ["garbage", "street-vending", "noise", "illegal-construction"]
    queries = [
        "limit=20",
        "limit=20&status=received",
        "limit=20&status=registered&status=dispatched",
        "limit=50&overdue=false",
        "limit=20&channel=hotline_12345",
        f"limit=20&category={categories[0]}",
        f"limit=20&area={plan['area']}",
    ]
    known: list[str] = []
    ready: list[list[str]] = [[] for _ in STEPS]
    run = f"{time.time_ns():x}"

    def send(kind: str) -> None:
        body: Any
        if kind == "list":
            status, _, data = call("GET", "/api/v1/matters/?" + rng.choice(queries), county)
        elif kind == "get":
            status, _, data = call("GET", f"/api/v1/matters/{rng.choice(known[-2000:])}", county)
        elif kind == "intake":
            lon, lat = rng.choice(plan["points"])
            key = f"kinds-{run}-{len(known)}"
            body = {
                "channel": rng.choice(["hotline_12345", "resident_app", "grid_patrol"]),
                "category": rng.choice(categories),
                "title": f"压力测试 {key}",
                "description": "小区门口垃圾堆积，三天未清运，气味很大。",
                "lon": lon,
                "lat": lat,
                "reporter_phone": "13812345678",
                "idempotency_key": key,
            }
            raw = json.dumps(body, ensure_ascii=False).encode()
            status, _, data = call("POST", "/api/v1/matters/", county, raw, "application/json")
            assert status == 201, data[:300]
            known.append(json.loads(data)["number"])
            ready[0].append(known[-1])
            return
        elif kind == "step":
            stage = next((i for i in reversed(range(len(STEPS))) if ready[i]), None)
            if stage is None:
                send("intake")
                send("step")
                return
            number = ready[stage].pop(0)
            body = {"note": ""}
            if STEPS[stage] == "dispatch":
                body = {"organisation": plan["department"], "override_reason": "压力测试固定派往城管"}
            raw = json.dumps(body, ensure_ascii=False).encode()
            who = county if stage < 2 else handler
            status, _, data = call(
                "POST", f"/api/v1/matters/{number}/{STEPS[stage]}", who, raw, "application/json"
            )
            if stage + 1 < len(STEPS):
                ready[stage + 1].append(number)
        elif kind == "summary":
            status, _, data = call("GET", "/api/v1/matters/stats/summary", county)
        elif kind == "children":
            status, _, data = call("GET", "/api/v1/matters/stats/by/children", county)
        else:
            query = rng.choice(["", "?status=received", "?status=dispatched", "?due=overdue"])
            status, _, data = call("GET", f"/centre/{query}", session)
        assert status == 200, (kind, status, data[:300])

    for _ in range(int(plan["seed"])):
        send("intake")
    for kind in WEIGHTS:
        for _ in range(20):
            send(kind)
    medians = {}
    for kind in WEIGHTS:
        spent = []
        for _ in range(int(plan["n"])):
            began = time.thread_time()
            send(kind)
            spent.append(time.thread_time() - began)
        spent.sort()
        medians[kind] = 1000 * spent[len(spent) // 2]
    print(json.dumps(medians))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="requests of each kind measured")
    parser.add_argument("--seed", type=int, default=2000, help="matters taken in before measuring")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.load(sys.stdin))
        return
    sys.path.insert(0, str(ROOT))
    from tests.reliability.livesite import LiveSite
    from tests.reliability.soak import FACTS

    with tempfile.TemporaryDirectory(prefix="onegrid-kinds-") as tmp:
        site = LiveSite(Path(tmp), os.environ.get("ONEGRID_POSTGRES_URL", "") if args.postgres else "")
        try:
            site.env["ONEGRID_DEBUG"] = "0"
            site.run("demo", "--no-serve")
            plan = site.python(FACTS) | {
                "county_token": site.token("county"),
                "handler_token": site.token("handler"),
                "n": args.n,
                "seed": args.seed,
            }
            done = subprocess.run(
                [sys.executable, __file__, "--child"],
                input=json.dumps(plan),
                env=site.env,
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            site.close()
    medians = json.loads(done.stdout.strip().splitlines()[-1])
    for kind, ms in medians.items():
        print(f"{kind:<10} {ms:7.2f} ms CPU (median of {args.n})")
    mix = sum(medians[k] * w for k, w in WEIGHTS.items()) / sum(WEIGHTS.values())
    print(f"{'mix':<10} {mix:7.2f} ms CPU per request, weighted as the soak sends them")


if __name__ == "__main__":
    main()
