"""The grid-worker app (网格员端), phone-first and installable: my grid on the map, my tasks, patrol
check-in, reports on behalf of residents (queued on the phone while offline), on-site verification."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from onegrid.kit import scope
from onegrid.kit.errors import DomainError, NotFound
from onegrid.matters import intake, patrols, reports, selectors, steps, tracking
from onegrid.matters.lifecycle import OPEN, Status, Step
from onegrid.matters.models import Channel, Matter
from onegrid.web.field.forms import FieldReportForm, PatrolForm, VerifyForm
from onegrid.web.portal import errors
from onegrid.web.portal.views import public_text, status_word

View = Callable[..., HttpResponse]
CACHE_VERSION = "field-v1"


def grid_worker(view: View) -> View:
    """Signed in and allowed to take in matters somewhere (the grid worker's role); 403 otherwise."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope.has_permission(request.user, "matters.create"):
            return render(request, "field/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _photo(request: HttpRequest) -> reports.Photo | None:
    upload = request.FILES.get("photo")
    return None if upload is None else reports.Photo(name=upload.name or "photo", data=upload.read())


def _row(m: Matter) -> dict[str, Any]:
    now = timezone.now()
    return {
        "matter": m,
        "status": status_word(m.status),
        "late": Status(m.status) in OPEN and m.due_at is not None and m.due_at < now,
        "to_verify": m.status == Status.RESOLVED,
    }


@grid_worker
def home(request: HttpRequest) -> HttpResponse:
    grids = selectors.grids_of(request.user)
    tasks = list(selectors.tasks_for(request.user)[:5])
    return render(
        request,
        "field/home.html",
        {
            "grids": grids,
            "tasks": [_row(m) for m in tasks],
            "task_count": selectors.tasks_for(request.user).count(),
            "patrols": patrols.recent(request.user, 3),
            "tab": "home",
        },
    )


@grid_worker
def grids_geojson(request: HttpRequest) -> JsonResponse:
    grids = selectors.grids_of(request.user)
    features = [
        {
            "type": "Feature",
            "geometry": g.geometry,
            "properties": {"code": g.code, "name": g.name, "level": "grid"},
        }
        for g in grids
    ]
    extent = (
        [
            min(g.min_lon for g in grids),
            min(g.min_lat for g in grids),
            max(g.max_lon for g in grids),
            max(g.max_lat for g in grids),
        ]
        if grids
        else None
    )
    return JsonResponse({"type": "FeatureCollection", "features": features, "bbox": extent})


@grid_worker
def tasks(request: HttpRequest) -> HttpResponse:
    rows = [_row(m) for m in selectors.tasks_for(request.user)[:200]]
    return render(request, "field/tasks.html", {"rows": rows, "tab": "tasks"})


def _task_page(
    request: HttpRequest, matter: Matter, form: VerifyForm | None, status: int = 200
) -> HttpResponse:
    can_verify = matter.status == Status.RESOLVED and steps.may(request.user, Step.VERIFY, matter)
    events = matter.events.exclude(public_note="", note="").order_by("at", "id")
    return render(
        request,
        "field/task.html",
        {
            "row": _row(matter),
            "events": [
                {"at": e.at, "who": e.actor_label, "note": e.note or public_text(e.public_note)}
                for e in events
            ],
            "photos": matter.attachments.filter(content_type__startswith="image/").count(),
            "form": (form or VerifyForm()) if can_verify else None,
            "tab": "tasks",
        },
        status=status,
    )


def _get(request: HttpRequest, number: str) -> Matter:
    try:
        return selectors.get_for(request.user, number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@grid_worker
def task(request: HttpRequest, number: str) -> HttpResponse:
    return _task_page(request, _get(request, number), None)


@grid_worker
@require_POST
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """核查 on site: the verify step with a photo of the site."""
    matter = _get(request, number)
    form = VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _task_page(request, matter, form, status=422)
    try:
        patrols.verify_on_site(
            actor=request.user, matter=matter, photo=_photo(request), note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        errors.attach(form, exc)
        return _task_page(request, matter, form, status=exc.status)
    return redirect("field:task", number=number)


@grid_worker
def patrol(request: HttpRequest) -> HttpResponse:
    """巡查打卡: record that I patrolled one of my grids now."""
    grids = selectors.grids_of(request.user)
    form = PatrolForm(request.POST or None, request.FILES or None, grids=grids)
    done = None
    if request.method == "POST" and form.is_valid():
        grid = next(g for g in grids if g.code == form.cleaned_data["grid"])
        try:
            done = patrols.check_in(
                actor=request.user, area=grid, note=form.cleaned_data["note"], photo=_photo(request)
            )
        except DomainError as exc:
            errors.attach(form, exc)
        else:
            form = PatrolForm(initial={"grid": grid.code}, grids=grids)
    status = 422 if form.errors else 200
    return render(
        request,
        "field/patrol.html",
        {"form": form, "done": done, "patrols": patrols.recent(request.user, 10), "tab": "patrol"},
        status=status,
    )


def _problem(exc: DomainError | None, form: FieldReportForm, status: int) -> JsonResponse:
    problems = [
        {"field": name, "message": " ".join(str(m) for m in messages)}
        for name, messages in form.errors.items()
    ]
    return JsonResponse(
        {"detail": problems[0]["message"] if problems else "", "errors": problems}, status=status
    )


@grid_worker
def report(request: HttpRequest) -> HttpResponse:
    """Report on behalf of a resident. The page's script queues each report on the phone with an
    idempotency key and posts it here (JSON answer) until it arrives; a repeated key gets the same
    matter back (200) instead of a new one (201). Without the script, the form posts as usual."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method != "POST":
        return render(request, "field/report.html", {"form": FieldReportForm(), "tab": "report"})
    try:
        form = FieldReportForm(request.POST, request.FILES)
        valid = form.is_valid()
    except RequestDataTooBig:
        if wants_json:
            return JsonResponse({"detail": _("The photo is too large."), "errors": []}, status=413)
        context = {"form": FieldReportForm(), "page_error": _("The photo is too large."), "tab": "report"}
        return render(request, "field/report.html", context, status=413)
    if not valid:
        if wants_json:
            return _problem(None, form, 422)
        return render(request, "field/report.html", {"form": form, "tab": "report"}, status=422)
    data = form.cleaned_data
    key = data["idempotency_key"] or request.headers.get("Idempotency-Key", "")
    try:
        submitted = reports.submit(
            actor=request.user,
            report=intake.Report(
                channel=Channel.GRID_PATROL,
                category=data["category"],
                title=data["title"],
                description=data["description"],
                lon=data["lon"],
                lat=data["lat"],
                address=data["address"],
                reporter_name=data["resident_name"],
                reporter_phone=data["resident_phone"],
                idempotency_key=key,
            ),
            photo=_photo(request),
        )
    except DomainError as exc:
        errors.attach(form, exc)
        if wants_json:
            return _problem(exc, form, exc.status)
        return render(request, "field/report.html", {"form": form, "tab": "report"}, status=exc.status)
    matter = submitted.matter
    if wants_json:
        return JsonResponse(
            {
                "number": matter.number,
                "created": submitted.created,
                "code": tracking.display(submitted.secret) if submitted.secret else "",
                "url": reverse("field:task", args=[matter.number]),
            },
            status=201 if submitted.created else 200,
        )
    return redirect("field:task", number=matter.number)


def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the grid-worker app installs with its own name, icons and scope."""
    response = JsonResponse(
        {
            "name": _("OneGrid for grid workers"),
            "short_name": _("Grid worker"),
            "id": reverse("field:home"),
            "start_url": reverse("field:home"),
            "scope": reverse("field:home"),
            "display": "standalone",
            "background_color": "#f3f5f8",
            "theme_color": "#0b3d75",
            "lang": request.LANGUAGE_CODE,
            "icons": [
                {"src": static("field/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
                {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {
                    "src": static("field/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any maskable",
                },
            ],
        }
    )
    response["Content-Type"] = "application/manifest+json"
    return response


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /field/ so that its scope is the app and nothing else."""
    shell = [
        reverse("field:home"),
        reverse("field:report"),
        static("portal/phone.css"),
        static("portal/pin.js"),
        static("field/field.js"),
        static("field/icon.svg"),
        static("vendor/leaflet/leaflet.js"),
        static("vendor/leaflet/leaflet.css"),
    ]
    response = render(
        request,
        "field/sw.js",
        {"shell_json": json.dumps(shell), "version": CACHE_VERSION, "scope": reverse("field:home")},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = reverse("field:home")
    return response
