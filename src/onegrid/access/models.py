"""Organisations, users, the permission catalog, roles, grants over area subtrees and API tokens."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.kit.fields import BlindIndexField, EncryptedTextField
from onegrid.kit.scope import ScopedManager


class User(AbstractUser):
    """A person who signs in: staff of an organisation, or a resident."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = EncryptedTextField(_("mobile number"), blank=True, context="access.User.phone")
    phone_index = BlindIndexField(source="phone", purpose="phone")

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.display_name or self.username


class OrganisationKind(models.TextChoices):
    COMMAND_CENTRE = "command_centre", _("Command centre")
    DEPARTMENT = "department", _("Department")
    TOWNSHIP_OFFICE = "township_office", _("Township office")
    VILLAGE_COMMITTEE = "village_committee", _("Village committee")
    GRID_STATION = "grid_station", _("Grid station")
    POLICE_STATION = "police_station", _("Police station")
    MEDIATION_COMMITTEE = "mediation_committee", _("Mediation committee")
    COURT = "court", _("Court")
    PROCURATORATE = "procuratorate", _("Procuratorate")
    ENTERPRISE = "enterprise", _("Enterprise")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """A body that acts in the net, with a jurisdiction area (its subtree is where it works)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent organisation"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["Organisation"]()

    class Meta:
        ordering = ["area_path", "code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    title = models.CharField(_("title"), max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class Permission(models.Model):
    """A row per catalog entry, kept in step with ``catalog`` after every migrate."""

    name = models.CharField(_("name"), max_length=80, primary_key=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A named set of permissions, as data. Code never checks role names."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(
        Permission, blank=True, related_name="roles", verbose_name=_("permissions")
    )
    # For a standard role: the permissions its standard definition held when last synchronised, so a
    # new release adds what it introduces without undoing what administrators changed (None: never).
    standard_permissions = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """A role over an area subtree, to a user or to every member of an organisation."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants", verbose_name=_("role"))
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="grants", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Grant"]()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(organisation__isnull=True))
                | (Q(user__isnull=True) & Q(organisation__isnull=False)),
                name="grant_to_user_xor_organisation",
            ),
            models.UniqueConstraint(fields=["role", "area", "user"], name="grant_unique_user"),
            models.UniqueConstraint(fields=["role", "area", "organisation"], name="grant_unique_org"),
        ]

    def __str__(self) -> str:
        return f"{self.role} @ {self.area_path} → {self.user or self.organisation}"


class ApiToken(models.Model):
    """A bearer token for an integration: hashed at rest, limited to permissions and an area, revocable,
    expiring. Its owner's grants still apply; the token can only narrow them."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, editable=False)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("area"),
    )
    area_path = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    # Scoped so that moving an area rewrites the token's area path with everything else's.
    objects = ScopedManager["ApiToken"]()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LoginFailure(models.Model):
    """A failed sign-in, kept for throttling (by username and by address)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
