"""The evidence ledger's tables. Everything but the head row is append-only, down to the database
(triggers in migration 0002 refuse UPDATE and DELETE outside audit maintenance)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onegrid.kit.scope import ScopedManager


class AppendOnlyError(RuntimeError):
    """Ledger rows are never changed or deleted once written."""


class PositionField(models.BigIntegerField):  # type: ignore[type-arg]
    """A 64-bit key that SQLite makes the rowid itself (``integer PRIMARY KEY``), so a stored hash is
    one B-tree entry, not a row plus an index entry."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("ledger rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("ledger rows cannot be deleted")


class Tile(AppendOnly):
    """The tree's complete nodes in tiles of 256 entries per tile level (``ledger.tiles`` has the
    layout; ``key`` is tile level << 56 | tile index). A full tile never changes; the last tile of a
    level grows with each batch, and the database lets it only be replaced by a longer tile that
    starts with it (migration 0003's triggers). A proof reads a few tiles by key."""

    key = PositionField(primary_key=True)
    width = models.PositiveSmallIntegerField(_("entries"))
    hashes = models.BinaryField()

    class Meta:
        verbose_name = _("hash tile")
        verbose_name_plural = _("hash tiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(width__gte=1, width__lte=256), name="tile_width_1_to_256"
            )
        ]

    def __str__(self) -> str:
        level, index = divmod(int(self.key), 1 << 56)
        return f"tile {level}/{index} ({self.width} entries)"


class Checkpoint(AppendOnly):
    """The signed checkpoint the log issued after a batch (one per batch)."""

    size = PositionField(_("tree size"), primary_key=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField(_("signed note"))
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-size"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class Head(models.Model):
    """The single-writer lock row and the current size. Not evidence: the truth is in Tile and
    Checkpoint, which every append checks this row against."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    # PostgreSQL only: the largest audit id and the transactions running when the anchor last looked
    # (see anchoring.horizon)
    audit_seen_max = models.BigIntegerField(null=True)
    audit_seen_running = models.TextField(blank=True)

    class Meta:
        verbose_name = _("ledger head")

    def __str__(self) -> str:
        return f"ledger head at {self.size}"


class Deposit(AppendOnly):
    """A document or hash deposited through the API (存证), at leaf ``index``."""

    index = PositionField(_("leaf index"), primary_key=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    media_type = models.CharField(_("media type"), max_length=100, blank=True)
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict)
    area_path = models.CharField(_("area path"), max_length=255, db_index=True)
    depositor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("depositor"),
    )
    depositor_label = models.CharField(_("depositor name"), max_length=150)
    at = models.DateTimeField(_("time"))
    leaf = models.BinaryField(_("leaf data"))

    rewrite_paths_on_move: ClassVar[bool] = False
    objects = ScopedManager["Deposit"]()

    class Meta:
        ordering = ["-index"]
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")

    def __str__(self) -> str:
        return f"deposit {self.index} {self.sha256[:12]}"


class AuditAnchor(AppendOnly):
    """Audit record ``audit_id`` is the leaf ``index`` (its canonical form, leaves.AUDIT)."""

    audit_id = PositionField(primary_key=True)
    index = models.BigIntegerField(_("leaf index"), unique=True)

    class Meta:
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")

    def __str__(self) -> str:
        return f"audit record {self.audit_id} at {self.index}"


class Witness(models.Model):
    """A witness institution's cosigner key (for example the procuratorate's or the court's)."""

    name = models.CharField(_("key name"), max_length=200, unique=True)
    public_key = models.BinaryField(_("Ed25519 public key"), max_length=32)
    institution = models.CharField(_("institution"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")

    def __str__(self) -> str:
        return f"{self.institution} ({self.name})"


class Cosignature(AppendOnly):
    """A witness's cosignature (C2SP tlog-cosignature, type 0x04) on a checkpoint."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="cosignatures")
    timestamp = models.BigIntegerField(_("signed at (Unix seconds)"))
    line = models.TextField(_("signature line"))
    at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["checkpoint", "witness"]
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"], name="one_cosignature_each")]
        verbose_name = _("cosignature")
        verbose_name_plural = _("cosignatures")

    def __str__(self) -> str:
        return f"cosignature of {self.checkpoint_id} by {self.witness_id}"
