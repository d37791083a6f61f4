"""The append-only change log (审计日志)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.kit.scope import ScopedManager


class AppendOnlyError(RuntimeError):
    """Audit records are never changed or deleted once written."""


class AuditRecord(models.Model):
    """One create, update, delete, state change or personal-data reveal, written in the same
    transaction as the change it describes. The database refuses UPDATE and DELETE (triggers)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    area_path = models.CharField(_("area path"), max_length=255, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    # A record keeps the path the object had when it was written, even if the area moves later.
    rewrite_paths_on_move: ClassVar[bool] = False
    objects = ScopedManager["AuditRecord"]()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit records cannot be deleted")
