"""The resident portal (群众端): report with a photo and a place, get a tracking number, follow the
plain-language timeline, rate the outcome. Works without an account; an account lists one's reports."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.kit.errors import Conflict, DomainError, NotFound
from onegrid.matters import feedback, intake, reports, tracking
from onegrid.matters.lifecycle import DONE, Status
from onegrid.matters.models import Channel, Matter
from onegrid.web.portal import errors
from onegrid.web.portal.forms import FollowForm, RatingForm, ReportForm

FOLLOWED = "portal.followed"  # the numbers this browser session has shown the right code for
RECEIPT = "portal.receipt"  # number and code of the report just made, shown once
MAP_FEATURES = 400
RATED = re.compile(r"You rated the outcome (\d) of 5\.")  # matters.feedback's public note

# The word for each status on the resident's side.
STATUS_WORDS = {
    Status.RECEIVED: gettext_lazy("Received"),
    Status.REGISTERED: gettext_lazy("Accepted for handling"),
    Status.REJECTED: gettext_lazy("Not taken up"),
    Status.DISPATCHED: gettext_lazy("With the office responsible"),
    Status.ACCEPTED: gettext_lazy("Being handled"),
    Status.IN_PROGRESS: gettext_lazy("Being handled"),
    Status.SUSPENDED: gettext_lazy("Paused"),
    Status.RESOLVED: gettext_lazy("Solved"),
    Status.VERIFIED: gettext_lazy("Solved and checked"),
    Status.CLOSED: gettext_lazy("Closed"),
}


def status_word(status: str) -> str:
    return str(STATUS_WORDS.get(Status(status), status))


def public_text(note: str) -> str:
    """A timeline note in the reader's language: the standard wordings are in the catalogue (see
    matters.lifecycle.PUBLIC_WORDS); anything else is shown as written."""
    rated = RATED.fullmatch(note)
    if rated:
        return _("You rated the outcome %(score)s of 5.") % {"score": rated.group(1)}
    return _(note) if note else ""


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def _photo(request: HttpRequest) -> reports.Photo | None:
    upload = request.FILES.get("photo")
    if upload is None:
        return None
    return reports.Photo(name=upload.name or "photo", data=upload.read())


def report(request: HttpRequest) -> HttpResponse:
    """The report form; on success the number and the code are shown once on the next page."""
    if request.method != "POST":
        return render(request, "portal/report.html", {"form": ReportForm()})
    try:
        form = ReportForm(request.POST, request.FILES)
        valid = form.is_valid()
    except RequestDataTooBig:
        context = {"form": ReportForm(), "page_error": _("The photo is too large.")}
        return render(request, "portal/report.html", context, status=413)
    if not valid:
        return render(request, "portal/report.html", {"form": form}, status=422)
    data = form.cleaned_data
    try:
        submitted = reports.submit(
            actor=request.user,
            report=intake.Report(
                channel=Channel.RESIDENT_APP,
                category=data["category"],
                title=data["title"],
                description=data["description"],
                lon=data["lon"],
                lat=data["lat"],
                address=data["address"],
                reporter_name=data["name"],
                reporter_phone=data["phone"],
                anonymous=data["anonymous"],
            ),
            photo=_photo(request),
        )
    except DomainError as exc:
        errors.attach(form, exc)
        return render(request, "portal/report.html", {"form": form}, status=exc.status)
    number = submitted.matter.number
    _remember(request, number)
    request.session[RECEIPT] = {"number": number, "code": tracking.display(submitted.secret)}
    return redirect("portal:reported")


def reported(request: HttpRequest) -> HttpResponse:
    receipt = request.session.pop(RECEIPT, None)
    if receipt is None:
        return redirect("portal:home")
    return render(request, "portal/reported.html", {"receipt": receipt})


def _remember(request: HttpRequest, number: str) -> None:
    followed = [n for n in request.session.get(FOLLOWED, []) if n != number]
    request.session[FOLLOWED] = [number, *followed][:20]


def follow(request: HttpRequest) -> HttpResponse:
    """Number plus code: the matter's page for this session. Wrong pairs are counted and throttled."""
    form = FollowForm(request.POST or None, initial={"number": request.GET.get("number", "")})
    if request.method == "POST" and form.is_valid():
        try:
            matter = tracking.follow(
                number=form.cleaned_data["number"], secret=form.cleaned_data["code"], ip=_ip(request)
            )
        except tracking.Throttled:
            form.add_error(None, _("Too many attempts. Try again in an hour."))
            return render(request, "portal/follow.html", {"form": form}, status=429)
        except NotFound:
            form.add_error(None, _("No report matches this number and code. Check both and try again."))
            return render(request, "portal/follow.html", {"form": form}, status=404)
        _remember(request, matter.number)
        return redirect("portal:matter", number=matter.number)
    return render(request, "portal/follow.html", {"form": form}, status=422 if form.errors else 200)


def _followed(request: HttpRequest, number: str) -> Matter:
    """The matter if this session showed its code, or the signed-in user reported it; 404 otherwise."""
    mine = Q(reporter_id=request.user.pk) if request.user.is_authenticated else Q(pk__in=[])
    allowed = Q(number__in=request.session.get(FOLLOWED, [])) | mine
    matter = Matter.objects.filter(allowed, number=number).select_related("category").first()
    if matter is None:
        raise Http404(_("No report matches this number."))
    return matter


def matter_page(request: HttpRequest, number: str) -> HttpResponse:
    matter = _followed(request, number)
    rated = getattr(matter, "rating", None) if hasattr(matter, "rating") else None
    done = Status(matter.status) in DONE
    own = request.user.is_authenticated and matter.reporter_id == request.user.pk
    return render(
        request,
        "portal/matter.html",
        {
            "matter": matter,
            "status": status_word(matter.status),
            "done": done,
            "steps": [
                {"at": s.at, "status": status_word(s.status) if s.status else "", "text": public_text(s.text)}
                for s in tracking.timeline(matter)
            ],
            "photos": matter.attachments.filter(content_type__startswith="image/").count(),
            "rating": rated,
            "rate_form": RatingForm() if done and rated is None and own else None,
            "rate_link": done and rated is None and not own,
        },
    )


@require_POST
def rate_here(request: HttpRequest, number: str) -> HttpResponse:
    """A signed-in reporter rates in the portal."""
    matter = _followed(request, number)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            feedback.rate_in_app(
                actor=request.user,
                matter=matter,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("portal:matter", number=number)
    return render(request, "portal/rate.html", {"form": form, "matter": matter}, status=422)


@require_POST
def rating_link(request: HttpRequest, number: str) -> HttpResponse:
    """Whoever follows a done matter with its code gets a one-time rating link and goes there."""
    matter = _followed(request, number)
    if Status(matter.status) not in DONE or hasattr(matter, "rating"):
        return redirect("portal:matter", number=number)
    return redirect("portal:rate", token=feedback.issue_token(matter))


def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time rating link: /r/<token>."""
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback.rate_with_token(
                token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        except NotFound:
            return render(request, "portal/rate.html", {"invalid": True}, status=404)
        except Conflict as exc:
            form.add_error(None, _conflict(exc))
            return render(request, "portal/rate.html", {"form": form}, status=409)
        return render(request, "portal/rated.html")
    return render(request, "portal/rate.html", {"form": form}, status=422 if form.errors else 200)


def _conflict(exc: Conflict) -> str:
    if "used" in exc.message:
        return _("This rating link has been used already.")
    if "expired" in exc.message:
        return _("This rating link has expired.")
    return _("This report cannot be rated now.")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    rows = (
        Matter.objects.filter(reporter_id=request.user.pk)
        .select_related("category")
        .order_by("-received_at")[:100]
    )
    return render(
        request,
        "portal/mine.html",
        {"matters": [{"matter": m, "status": status_word(m.status)} for m in rows]},
    )


@require_GET
def net_geojson(request: HttpRequest) -> JsonResponse:
    """Grid outlines (names and codes only) within ``bbox=w,s,e,n``, for putting a pin on the map;
    the townships when the box holds too many grids. The whole net's extent without a box."""
    try:
        west, south, east, north = (float(v) for v in request.GET["bbox"].split(","))
    except (KeyError, ValueError):
        top = Area.objects.filter(parent__isnull=True).order_by("path")
        extent = (
            [
                min(a.min_lon for a in top),
                min(a.min_lat for a in top),
                max(a.max_lon for a in top),
                max(a.max_lat for a in top),
            ]
            if top
            else None
        )
        return JsonResponse({"type": "FeatureCollection", "features": [], "bbox": extent})
    overlapping = Area.objects.filter(
        min_lon__lte=east, max_lon__gte=west, min_lat__lte=north, max_lat__gte=south
    )
    for level in (Level.GRID, Level.TOWNSHIP, Level.COUNTY):
        chosen = list(
            overlapping.filter(level=level).only("code", "name", "name_en", "geometry")[: MAP_FEATURES + 1]
        )
        if len(chosen) <= MAP_FEATURES:
            break
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": a.geometry,
            "properties": {"code": a.code, "name": a.name, "level": level.name.lower()},
        }
        for a in chosen[:MAP_FEATURES]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
