"""The area net: province → city → county → township → village → grid → micro-grid."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.areas.levels import Kind, Level
from onegrid.kit.scope import ScopedManager

LEVEL_CHOICES = [
    (Level.PROVINCE, _("province")),
    (Level.CITY, _("city")),
    (Level.COUNTY, _("county")),
    (Level.TOWNSHIP, _("township")),
    (Level.VILLAGE, _("village / community")),
    (Level.GRID, _("grid")),
    (Level.MICRO_GRID, _("micro-grid")),
]
KIND_CHOICES = [
    (Kind.ADMINISTRATIVE, _("administrative")),
    (Kind.COMMUNITY, _("community")),
    (Kind.GRID, _("grid")),
    (Kind.UNIT_GRID, _("unit grid")),
    (Kind.MICRO_GRID, _("micro-grid")),
]


class Area(models.Model):
    """One node of the net. ``path`` is the materialised chain of codes from the root, e.g.
    ``/330000/330100/330122/``; a subtree is every path starting with its root's path.
    Geometry is a WGS-84 GeoJSON Polygon or MultiPolygon; bbox and centroid are derived from it."""

    scope_path_field: ClassVar[str] = "path"

    code = models.CharField(_("code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=LEVEL_CHOICES, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES, default=Kind.ADMINISTRATIVE)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    geometry = models.JSONField(_("boundary"))
    geometry_wkb = models.BinaryField(editable=False)  # the same shape as WKB, for fast index builds
    min_lon = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    centroid_lon = models.FloatField(editable=False)
    centroid_lat = models.FloatField(editable=False)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    grid_workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="grids", verbose_name=_("responsible grid workers")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["Area"]()

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["parent", "code"]), models.Index(fields=["level", "path"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def area_path(self) -> str:
        return self.path

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.strip("/").split("/") if c][:-1]


class AreaNetRevision(models.Model):
    """A single counter bumped in the transaction of every change to the net, so each process can
    tell cheaply that its locate index is stale and rebuild it without a restart."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("area net revision")

    def __str__(self) -> str:
        return f"revision {self.number}"
