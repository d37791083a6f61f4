"""The one catalog of permissions, named ``<app>.<action>``. Apps register theirs at import time;
roles map to these names as data; code checks permissions, never role names."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_catalog: dict[str, Promise | str] = {}


def register(app: str, actions: dict[str, Promise | str]) -> None:
    for action, description in actions.items():
        if "." in action or not action:
            raise ValueError(f"permission action {action!r} must be a bare word")
        _catalog[f"{app}.{action}"] = description


def permissions() -> dict[str, Promise | str]:
    return dict(_catalog)


def exists(name: str) -> bool:
    return name in _catalog


register(
    "access",
    {
        "view": _("See organisations, users, roles and grants"),
        "manage": _("Create and change organisations, users, roles and grants"),
        "manage_tokens": _("Issue and revoke API tokens"),
        "reveal_pii": _("See personal data unmasked (every reveal is audited)"),
    },
)
register("audit", {"view": _("Search the audit trail")})
