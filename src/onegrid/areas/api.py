"""/api/v1/areas: list, get, create, change, move, delete, import, export and locate."""

import json
from typing import Any

import numpy as np
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from onegrid.access.auth import require
from onegrid.areas import exchange, selectors, services
from onegrid.areas.inputs import AreaInput, default_kind, level_of
from onegrid.areas.levels import Kind
from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.areas.schemas import (
    AreaDetail,
    AreaIn,
    AreaOut,
    AreaPatch,
    CrsName,
    ImportOut,
    ImportRejected,
    LevelName,
    LocateBatchIn,
    LocateBatchOut,
    LocateOut,
    MoveIn,
    Problem,
    level_name,
)
from onegrid.kit.errors import Invalid, Malformed, NotFound
from onegrid.kit.pagination import LimitOffset, SerialisedPage

router = Router()
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _detail(area: Area) -> dict[str, Any]:
    return AreaOut.of(area) | {
        "geometry": area.geometry,
        "ancestors": [AreaOut.of(a) for a in selectors.ancestors(area)],
        "children": area.children.count(),
    }


@router.get("/", response=list[AreaOut], summary="List areas in scope")
@paginate(LimitOffset)
def list_areas(
    request: HttpRequest,
    level: LevelName | None = None,
    parent: str | None = None,
    within: str | None = None,
    q: str | None = Query(None, max_length=100),  # type: ignore[type-arg]
) -> Any:
    actor = require(request, "areas.view")
    qs = selectors.search(actor, level=level_of(level) if level else None, parent=parent, within=within, q=q)
    return SerialisedPage(qs, AreaOut.of)


@router.get("/locate", response={200: LocateOut, **ERRORS}, summary="Locate a point to its grid")
def locate(
    request: HttpRequest,
    lon: float = Query(..., ge=-180, le=180, allow_inf_nan=False),  # type: ignore[type-arg]
    lat: float = Query(..., ge=-90, le=90, allow_inf_nan=False),  # type: ignore[type-arg]
    crs: CrsName = "wgs84",
) -> Any:
    require(request, "areas.locate")
    grid_path, micro_path = locator.locate(lon, lat, crs)
    if grid_path is None:
        raise NotFound(f"the point ({lon}, {lat}) lies in no grid")
    codes = grid_path.strip("/").split("/") + ([micro_path.strip("/").split("/")[-1]] if micro_path else [])
    found = {a.code: a for a in Area.objects.filter(code__in=codes).defer("geometry", "geometry_wkb")}
    grid = found[codes[len(grid_path.strip("/").split("/")) - 1]]
    micro = found.get(codes[-1]) if micro_path else None
    chain = [found[c] for c in grid_path.strip("/").split("/")[:-1] if c in found]
    return {
        "lon": lon,
        "lat": lat,
        "crs": crs,
        "grid": AreaOut.of(grid),
        "micro_grid": AreaOut.of(micro) if micro else None,
        "ancestors": [{"code": a.code, "name": a.name, "level": level_name(a.level)} for a in chain],
    }


@router.post("/locate", response={200: LocateBatchOut, **ERRORS}, summary="Locate up to 100,000 points")
def locate_batch(request: HttpRequest, body: LocateBatchIn) -> Any:
    require(request, "areas.locate")
    if len(body.lon) != len(body.lat):
        raise Invalid(
            f"lon has {len(body.lon)} values and lat {len(body.lat)}; they must pair up", field="lat"
        )
    lon, lat = np.asarray(body.lon, dtype=np.float64), np.asarray(body.lat, dtype=np.float64)
    for name, values, bound in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        bad = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > bound))
        if len(bad):
            raise Invalid(
                f"{name}[{bad[0]}] = {values[bad[0]]} is outside [-{bound:g}, {bound:g}]",
                field=f"{name}[{bad[0]}]",
            )
    paths = locator.locate_many(lon, lat, body.crs)
    grids = [None if p is None else p.strip("/").rsplit("/", 1)[-1] for p in paths]
    distinct = sorted({g for g in grids if g})
    areas: dict[str, dict[str, str]] = {}
    for start in range(0, len(distinct), 900):
        for a in Area.objects.filter(code__in=distinct[start : start + 900]).only("code", "name", "level"):
            areas[a.code] = {"code": a.code, "name": a.name, "level": level_name(a.level)}
    located = sum(1 for g in grids if g)
    return {"count": len(grids), "located": located, "grids": grids, "areas": areas}


GEOJSON_OUT = {
    "responses": {
        "200": {
            "description": "A GeoJSON FeatureCollection (RFC 7946), streamed",
            "content": {"application/geo+json": {"schema": {"type": "object"}}},
        }
    }
}


@router.get(
    "/export",
    summary="Export areas as a GeoJSON FeatureCollection",
    response={200: dict[str, Any], **ERRORS},
    openapi_extra=GEOJSON_OUT,
)
def export(request: HttpRequest, root: str | None = None) -> Any:
    actor = require(request, "areas.export")
    areas = selectors.subtree_for_export(actor, root)
    response = StreamingHttpResponse(exchange.stream_collection(areas), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="areas-{root or "all"}.geojson"'
    return response


@router.post(
    "/import",
    response={200: ImportOut, 400: ImportRejected, **ERRORS},
    summary="Import a GeoJSON FeatureCollection (all or nothing)",
)
def import_areas(request: HttpRequest) -> Any:
    actor = require(request, "areas.import")
    try:
        document = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"the body is not JSON: {exc}") from exc
    result = exchange.import_document(actor=actor, document=document)
    if result.errors:
        return Status(
            400,
            {
                "code": "rejected",
                "detail": f"{len(result.errors)} features are invalid; nothing was written",
                "errors": [e.as_dict() for e in result.errors],
            },
        )
    return {"created": result.created, "updated": result.updated}


@router.get("/{code}", response={200: AreaDetail, **ERRORS}, summary="One area with its boundary")
def get_area(request: HttpRequest, code: str) -> Any:
    actor = require(request, "areas.view")
    return _detail(selectors.get_for(actor, code))


@router.post("/", response={201: AreaDetail, **ERRORS}, summary="Create an area")
def create_area(request: HttpRequest, body: AreaIn) -> Any:
    actor = require(request, "areas.add")
    level = level_of(body.level)
    area = services.create(
        actor=actor,
        data=AreaInput(
            code=body.code,
            name=body.name,
            name_en=body.name_en,
            level=level,
            kind=body.kind or default_kind(level),
            parent_code=body.parent_code,
            geometry=body.geometry,
            population=body.population,
            households=body.households,
        ),
    )
    return Status(201, _detail(area))


@router.patch("/{code}", response={200: AreaDetail, **ERRORS}, summary="Change an area")
def change_area(request: HttpRequest, code: str, body: AreaPatch) -> Any:
    actor = require(request, "areas.change")
    area = selectors.get_for(actor, code, "areas.change")
    changes = body.model_dump(exclude_unset=True)
    if "kind" in changes and changes["kind"] is not None:
        changes["kind"] = Kind(changes["kind"])
    for key, value in changes.items():
        if value is None and key in {"name", "kind", "geometry"}:
            raise Invalid(f"{key} cannot be empty", field=key)
    return _detail(services.update(actor=actor, area=area, changes=changes))


@router.post("/{code}/move", response={200: AreaDetail, **ERRORS}, summary="Move an area and its subtree")
def move_area(request: HttpRequest, code: str, body: MoveIn) -> Any:
    actor = require(request, "areas.move")
    area = selectors.get_for(actor, code, "areas.move")
    parent = selectors.get_for(actor, body.parent_code, "areas.move")
    return _detail(services.move(actor=actor, area=area, parent=parent, new_code=body.new_code))


@router.delete("/{code}", response={204: None, **ERRORS}, summary="Delete an area without children")
def delete_area(request: HttpRequest, code: str) -> Any:
    actor = require(request, "areas.delete")
    services.delete(actor=actor, area=selectors.get_for(actor, code, "areas.delete"))
    return Status(204, None)
