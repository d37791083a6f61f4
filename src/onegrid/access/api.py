"""/api/v1/access: organisations, users, roles, grants and API tokens, for those allowed."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from onegrid.access import catalog, selectors, services
from onegrid.access.auth import caller, require
from onegrid.access.models import ApiToken, Grant, Organisation, Role, User
from onegrid.access.schemas import (
    GrantIn,
    GrantOut,
    MembershipIn,
    MeOut,
    OrganisationIn,
    OrganisationOut,
    Problem,
    RoleIn,
    RoleOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from onegrid.areas import selectors as areas
from onegrid.kit import scope
from onegrid.kit.crypto import mask_phone
from onegrid.kit.errors import Invalid, NotFound
from onegrid.kit.pagination import LimitOffset, SerialisedPage

router = Router()
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _code_of(path: str) -> str:
    return path.strip("/").rsplit("/", 1)[-1]


def _organisation(o: Organisation) -> dict[str, Any]:
    return {
        "code": o.code,
        "name": o.name,
        "name_en": o.name_en,
        "kind": o.kind,
        "area_code": _code_of(o.area_path),
        "area_path": o.area_path,
        "parent_code": o.parent.code if o.parent else None,
        "is_active": o.is_active,
    }


def _user(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "phone": mask_phone(u.phone or ""),
        "is_active": u.is_active,
        "organisations": [m.organisation.code for m in u.memberships.all()],
    }


def _role(r: Role) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "name_en": r.name_en,
        "permissions": sorted(p.name for p in r.permissions.all()),
    }


def _grant(g: Grant) -> dict[str, Any]:
    return {
        "id": g.pk,
        "role": g.role.code,
        "area_code": _code_of(g.area_path),
        "area_path": g.area_path,
        "user": g.user.username if g.user else None,
        "organisation": g.organisation.code if g.organisation else None,
    }


def _token(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "user": t.user.username,
        "permissions": t.permissions,
        "area_code": _code_of(t.area_path) if t.area_path else None,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
    }


@router.get("/me", response={200: MeOut, 401: Problem}, summary="Who I am and where I hold each permission")
def me(request: HttpRequest) -> Any:
    user = request.user
    held = {name: list(scope.paths_for(user, name)) for name in sorted(catalog.permissions())}
    return {
        "username": user.get_username(),
        "display_name": getattr(user, "display_name", ""),
        "permissions": {k: v for k, v in held.items() if v},
    }


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations in scope")
@paginate(LimitOffset)
def list_organisations(request: HttpRequest) -> Any:
    return SerialisedPage(selectors.organisations(require(request, "access.view")), _organisation)


@router.post("/organisations", response={201: OrganisationOut, **ERRORS}, summary="Create an organisation")
def create_organisation(request: HttpRequest, body: OrganisationIn) -> Any:
    actor = require(request, "access.manage")
    area = areas.get_for(actor, body.area_code, "access.manage")
    parent = None
    if body.parent_code:
        parent = selectors.organisations(actor).filter(code=body.parent_code).first()
        if parent is None:
            raise NotFound(f"organisation {body.parent_code} not found")
    kinds = {k for k, _ in Organisation._meta.get_field("kind").choices or []}
    if body.kind not in kinds:
        raise Invalid(f"kind must be one of {', '.join(sorted(kinds))}", field="kind")
    org = services.create_organisation(
        actor=actor,
        code=body.code,
        name=body.name,
        name_en=body.name_en,
        kind=body.kind,
        area=area,
        parent=parent,
    )
    return Status(201, _organisation(org))


@router.get("/users", response=list[UserOut], summary="Users in scope (personal data masked)")
@paginate(LimitOffset)
def list_users(request: HttpRequest) -> Any:
    return SerialisedPage(selectors.users(require(request, "access.view")), _user)


def _organisation_for(actor: Any, code: str) -> Organisation:
    org: Organisation | None = selectors.organisations(actor).filter(code=code).first()
    if org is None:
        raise NotFound(f"organisation {code} not found")
    return org


def _user_out(user: User) -> dict[str, Any]:
    return _user(User.objects.prefetch_related("memberships__organisation").get(pk=user.pk))


@router.post("/users", response={201: UserOut, **ERRORS}, summary="Create an account in an organisation")
def create_user(request: HttpRequest, body: UserIn) -> Any:
    actor = require(request, "access.manage")
    org = _organisation_for(actor, body.organisation) if body.organisation else None
    user = services.create_user(
        actor=actor,
        username=body.username,
        display_name=body.display_name,
        phone=body.phone,
        password=body.password,
        organisation=org,
        title=body.title,
    )
    return Status(201, _user_out(user))


@router.patch("/users/{username}", response={200: UserOut, **ERRORS}, summary="Change an account")
def change_user(request: HttpRequest, username: str, body: UserPatch) -> Any:
    actor = require(request, "access.manage")
    user = selectors.user_for(actor, username)
    changes = body.model_dump(exclude_unset=True)
    services.update_user(actor=actor, user=user, changes=changes, area_path=selectors.user_area_path(user))
    return _user_out(user)


@router.post(
    "/users/{username}/memberships",
    response={201: UserOut, **ERRORS},
    summary="Add an account to an organisation",
)
def add_membership(request: HttpRequest, username: str, body: MembershipIn) -> Any:
    actor = require(request, "access.manage")
    user = selectors.user_for(actor, username)
    services.add_member(
        actor=actor, user=user, organisation=_organisation_for(actor, body.organisation), title=body.title
    )
    return Status(201, _user_out(user))


@router.post(
    "/users/{username}/reveal-phone",
    response={200: dict[str, str], **ERRORS},
    summary="Reveal a user's phone number (audited)",
)
def reveal_phone(request: HttpRequest, username: str) -> Any:
    actor = require(request, "access.reveal_pii")
    user = selectors.user_for(actor, username)
    value = services.reveal(actor=actor, obj=user, field="phone", area_path=selectors.user_area_path(user))
    return {"username": user.username, "phone": value}


@router.get("/roles", response=list[RoleOut], summary="Roles and their permissions")
def list_roles(request: HttpRequest) -> Any:
    require(request, "access.view")
    return [_role(r) for r in selectors.roles()]


@router.put("/roles/{code}", response={200: RoleOut, **ERRORS}, summary="Create or change a role")
def save_role(request: HttpRequest, code: str, body: RoleIn) -> Any:
    actor = require(request, "access.manage")
    if body.code != code:
        raise Invalid("the code in the body must match the URL", field="code")
    role = services.create_role(
        actor=actor, code=code, name=body.name, name_en=body.name_en, permissions=body.permissions
    )
    return _role(Role.objects.prefetch_related("permissions").get(pk=role.pk))


@router.get("/grants", response=list[GrantOut], summary="Grants in scope")
@paginate(LimitOffset)
def list_grants(request: HttpRequest) -> Any:
    return SerialisedPage(selectors.grants(require(request, "access.view")), _grant)


@router.post("/grants", response={201: GrantOut, **ERRORS}, summary="Grant a role over an area subtree")
def create_grant(request: HttpRequest, body: GrantIn) -> Any:
    actor = require(request, "access.manage")
    role = Role.objects.filter(code=body.role).first()
    if role is None:
        raise Invalid(f"unknown role {body.role}", field="role")
    area = areas.get_for(actor, body.area_code, "access.manage")
    user = selectors.user_for(actor, body.user) if body.user else None
    org = None
    if body.organisation:
        org = selectors.organisations(actor).filter(code=body.organisation).first()
        if org is None:
            raise NotFound(f"organisation {body.organisation} not found")
    row = services.grant(actor=actor, role=role, area=area, user=user, organisation=org)
    return Status(201, _grant(Grant.objects.select_related("role", "user", "organisation").get(pk=row.pk)))


@router.delete("/grants/{grant_id}", response={204: None, **ERRORS}, summary="Revoke a grant")
def delete_grant(request: HttpRequest, grant_id: int) -> Any:
    actor = require(request, "access.manage")
    row = selectors.grants(actor).filter(pk=grant_id).first()
    if row is None:
        raise NotFound("grant not found")
    services.revoke_grant(actor=actor, row=row)
    return Status(204, None)


@router.get("/tokens", response=list[TokenOut], summary="My tokens (all in scope for token managers)")
def list_tokens(request: HttpRequest) -> Any:
    return [_token(t) for t in selectors.tokens(request.user)]


@router.post("/tokens", response={201: TokenCreated, **ERRORS}, summary="Issue a token (shown once)")
def create_token(request: HttpRequest, body: TokenIn) -> Any:
    actor = caller(request)
    owner = selectors.user_for(actor, body.user) if body.user and body.user != actor.get_username() else actor
    area = areas.get_for(actor, body.area_code) if body.area_code else None
    row, text = services.create_token(
        actor=actor,
        user=owner,
        name=body.name,
        permissions=body.permissions,
        area=area,
        expires_in_days=body.expires_in_days,
    )
    return Status(201, _token(row) | {"token": text})


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="Revoke a token")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    actor = caller(request)
    row = selectors.tokens(actor).filter(pk=token_id).first()
    if row is None:
        raise NotFound("token not found")
    return _token(services.revoke_token(actor=actor, token=row))
