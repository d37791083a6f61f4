"""Every write of the access app: organisations, memberships, roles, grants, tokens, sign-in throttling
and personal-data reveals. Each call is one transaction with its audit record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onegrid.access import catalog, credentials, tokens
from onegrid.access.models import (
    ApiToken,
    Grant,
    LoginFailure,
    Membership,
    Organisation,
    Permission,
    Role,
    User,
)
from onegrid.audit import registry as audit_registry
from onegrid.audit import services as audit
from onegrid.kit import scope, validators
from onegrid.kit.errors import Forbidden, Invalid, NotFound

audit_registry.register(User, exclude=("password",), masked=("phone", "phone_index"))
audit_registry.register(ApiToken, exclude=("digest",))


def sync_permissions() -> None:
    """Make the Permission table match the catalog (run after every migrate)."""
    wanted = catalog.permissions()
    for name, description in wanted.items():
        Permission.objects.update_or_create(name=name, defaults={"description": str(description)[:200]})
    Permission.objects.exclude(name__in=list(wanted)).delete()


def _area_path(area: Any) -> str:
    return str(area.path)


def _manages_a_whole_net(actor: Any) -> bool:
    """Administrators of a whole province (a root of the net) or of everything; the console counts."""
    if actor is None:
        return True
    return any(path == scope.ROOT or path.count("/") == 2 for path in scope.paths_for(actor, "access.manage"))


def _require_cover(actor: Any, permission: str, path: str) -> None:
    if actor is not None and not scope.covers(actor, permission, path):
        raise NotFound("area not found")


def create_organisation(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    area: Any,
    name_en: str = "",
    parent: Organisation | None = None,
) -> Organisation:
    _require_cover(actor, "access.manage", _area_path(area))
    with transaction.atomic():
        if Organisation.objects.filter(code=code).exists():
            raise Invalid(f"organisation code {code} is already used", field="code")
        org = Organisation.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            kind=kind,
            area=area,
            area_path=_area_path(area),
            parent=parent,
        )
        audit.record(actor, "access.organisation.create", org)
    return org


def add_member(*, actor: Any, user: User, organisation: Organisation, title: str = "") -> Membership:
    _require_cover(actor, "access.manage", organisation.area_path)
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"title": title}
        )
        audit.record(actor, "access.membership.create", membership, area_path=organisation.area_path)
    scope.forget(user)
    return membership


def create_user(
    *,
    actor: Any,
    username: str,
    display_name: str = "",
    phone: str = "",
    password: str | None = None,
    organisation: Organisation | None = None,
    title: str = "",
) -> User:
    """A new account, placed in ``organisation`` (which must lie in the actor's ``access.manage`` scope;
    only administrators of the whole net create accounts outside any organisation). The phone number
    is checked and stored encrypted; without a password the account cannot sign in until one is set."""
    if organisation is not None:
        _require_cover(actor, "access.manage", organisation.area_path)
    elif not _manages_a_whole_net(actor):
        raise Invalid("choose the organisation the new account belongs to", field="organisation")
    number = _checked_phone(phone)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Invalid(f"username {username} is already taken", field="username")
        user = User(username=username, display_name=display_name, phone=number)
        if password:
            _check_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit.record(
            actor, "access.user.create", user, area_path=organisation.area_path if organisation else ""
        )
        if organisation is not None:
            membership = Membership.objects.create(user=user, organisation=organisation, title=title)
            audit.record(actor, "access.membership.create", membership, area_path=organisation.area_path)
    return user


def update_user(*, actor: Any, user: User, changes: dict[str, Any], area_path: str) -> User:
    """Change an account's display name, phone or active flag (the caller fetched it in scope)."""
    _require_cover(actor, "access.manage", area_path or scope.ROOT)
    if actor is not None and user.pk == actor.pk and changes.get("is_active") is False:
        raise Invalid("you cannot deactivate your own account", field="is_active")
    with transaction.atomic():
        before = audit_registry.snapshot(user)
        if "display_name" in changes:
            user.display_name = changes["display_name"]
        if "phone" in changes:
            user.phone = _checked_phone(changes["phone"] or "")
        if "is_active" in changes:
            user.is_active = bool(changes["is_active"])
        user.save()
        audit.record(actor, "access.user.update", user, before=before, area_path=area_path)
    return user


def _checked_phone(phone: str) -> str:
    if not phone:
        return ""
    try:
        return validators.mobile(phone, field="phone")
    except validators.IdentifierError as exc:
        raise Invalid(exc.reason, field="phone") from exc


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), field="password") from exc


def create_role(
    *, actor: Any, code: str, name: str, permissions: Iterable[str], name_en: str = "", description: str = ""
) -> Role:
    names = sorted(set(permissions))
    unknown = [n for n in names if not catalog.exists(n)]
    if unknown:
        raise Invalid(f"unknown permission {unknown[0]}", field="permissions")
    if not _manages_a_whole_net(actor):
        raise Forbidden("roles are defined by administrators of the whole net")
    with transaction.atomic():
        role, _ = Role.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "description": description}
        )
        role.permissions.set(Permission.objects.filter(name__in=names))
        audit.record(actor, "access.role.save", role, after={"code": code, "permissions": names})
    return role


def grant(
    *, actor: Any, role: Role, area: Any, user: User | None = None, organisation: Organisation | None = None
) -> Grant:
    """Give ``role`` over ``area``'s subtree to a user or an organisation. An actor can only grant
    within their own ``access.manage`` scope, and only permissions they hold there themselves."""
    if (user is None) == (organisation is None):
        raise Invalid("a grant goes to exactly one of a user or an organisation", field="user")
    path = _area_path(area)
    _require_cover(actor, "access.manage", path)
    if actor is not None:
        for name in role.permissions.values_list("name", flat=True):
            if not scope.covers(actor, name, path):
                raise Forbidden(f"you cannot grant {name}, which you do not hold there")
    with transaction.atomic():
        row, _ = Grant.objects.get_or_create(
            role=role, area=area, user=user, organisation=organisation, defaults={"area_path": path}
        )
        audit.record(actor, "access.grant.create", row)
    if user is not None:
        scope.forget(user)
    return row


def revoke_grant(*, actor: Any, row: Grant) -> None:
    _require_cover(actor, "access.manage", row.area_path)
    with transaction.atomic():
        before = audit_registry.snapshot(row)
        Grant.objects.filter(pk=row.pk).delete()
        audit.record(
            actor,
            "access.grant.delete",
            None,
            before=before,
            object_type="access.grant",
            object_id=str(row.pk),
            object_repr=str(row),
            area_path=row.area_path,
        )


def create_token(
    *,
    actor: Any,
    user: User,
    name: str,
    permissions: Iterable[str],
    area: Any | None = None,
    expires_in_days: int | None = 90,
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the token text, which is shown once."""
    names = sorted(set(permissions))
    for n in names:
        if not catalog.exists(n):
            raise Invalid(f"unknown permission {n}", field="permissions")
    if not names:
        raise Invalid("a token needs at least one permission", field="permissions")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise Invalid("expiry must be between 1 and 3650 days", field="expires")
    if actor is not None and actor.pk != user.pk and not scope.has_permission(actor, "access.manage_tokens"):
        raise Forbidden("you may only create tokens for yourself")
    issued = tokens.issue()
    expires = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=issued.prefix,
            digest=issued.digest,
            permissions=names,
            area=area,
            area_path=_area_path(area) if area is not None else "",
            expires_at=expires,
        )
        audit.record(actor, "access.token.create", row, area_path=row.area_path)
    return row, issued.text


def revoke_token(*, actor: Any, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        before = audit_registry.snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "access.token.revoke", token, before=before, area_path=token.area_path)
    return token


def authenticate_token(text: str) -> User | None:
    """The active user behind a usable token, with ``user.api_token`` set so the token narrows their
    scope; None for a malformed, unknown, wrong, revoked or expired token."""
    parts = tokens.split(text)
    if parts is None:
        return None
    row, held = credentials.token(parts[0])
    if row is None or not tokens.matches(row.digest, *parts) or not row.is_usable or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        credentials.used(parts[0], held, now)
    user = row.user
    user.api_token = row  # type: ignore[attr-defined]
    user.__dict__["_onegrid_credentials"] = held
    return user


def login_locked(username: str, ip: str | None) -> bool:
    """Too many recent failures for this username or from this address."""
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.LOGIN_FAILURE_LIMIT
    by_name = recent.filter(username=username.lower()).count() >= limit
    by_ip = ip is not None and recent.filter(ip=ip).count() >= limit * 4
    return by_name or by_ip


def record_login_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], ip=ip)


def purge_login_failures() -> int:
    """Forget failures older than the throttling window (a worker sweep)."""
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    deleted, _ = LoginFailure.objects.filter(at__lt=since).delete()
    return deleted


def clear_login_failures(username: str) -> None:
    LoginFailure.objects.filter(Q(username=username.lower())).delete()


def reveal(*, actor: Any, obj: Any, field: str, area_path: str = "") -> str:
    """The plaintext of a personal-data field, for a caller holding ``access.reveal_pii`` over the
    object's area; every reveal is audited (and the record is written even if nothing is shown)."""
    if not scope.covers(actor, "access.reveal_pii", area_path or scope.ROOT):
        raise Forbidden("revealing personal data needs access.reveal_pii")
    with transaction.atomic():
        audit.record(actor, "access.reveal_pii", obj, after={"field": field}, area_path=area_path)
    return str(getattr(obj, field) or "")
