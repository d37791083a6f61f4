"""Area pages: the net in the caller's scope, an area with its children on a map."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from onegrid.areas import exchange, selectors
from onegrid.kit import scope
from onegrid.kit.errors import NotFound


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The top of the caller's jurisdiction."""
    roots = scope.paths_for(request.user, "areas.view")
    if not roots:
        raise Http404("no areas in your jurisdiction")
    visible = selectors.visible(request.user)
    tops = visible.filter(parent__isnull=True) if scope.ROOT in roots else visible.filter(path__in=roots)
    top = tops.order_by("level", "path").first()
    if top is None:
        return render(request, "areas/empty.html")
    return redirect("areas:detail", code=top.code)


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        area = selectors.get_for(request.user, code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    children = selectors.visible(request.user).filter(parent=area).defer("geometry", "geometry_wkb")
    return render(
        request,
        "areas/detail.html",
        {
            "area": area,
            "ancestors": selectors.ancestors(area),
            "children": children,
        },
    )


@login_required
def children_geojson(request: HttpRequest, code: str) -> JsonResponse:
    try:
        area = selectors.get_for(request.user, code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    children = selectors.visible(request.user).filter(parent=area)
    features = [exchange.feature_of(c) for c in children] or [exchange.feature_of(area)]
    return JsonResponse({"type": "FeatureCollection", "features": features})
