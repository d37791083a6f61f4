"""``onegrid token create USERNAME [--permission P]... [--area CODE] [--expires DAYS] [--name NAME]``"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from onegrid.access import catalog, services
from onegrid.access.models import ApiToken, User
from onegrid.kit.errors import DomainError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token for a user; prints it once")
        create.add_argument("username")
        create.add_argument(
            "--permission",
            "-p",
            action="append",
            default=[],
            dest="permissions",
            help="a permission the token may use (repeat); default: all the user holds",
        )
        create.add_argument("--area", help="limit the token to this area's subtree (code)")
        create.add_argument("--expires", type=int, default=90, help="days until it expires (default 90)")
        create.add_argument("--name", default="command line")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for t in ApiToken.objects.select_related("user"):
                state = "revoked" if t.revoked_at else ("expired" if not t.is_usable else "active")
                self.stdout.write(
                    f"{t.prefix}  {t.user.username:<16} {state:<8} {t.name}  {','.join(t.permissions)}"
                )
            return
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"no token with prefix {options['prefix']}")
            services.revoke_token(actor=None, token=token)
            self.stdout.write(f"revoked {token.prefix}")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']}")
        area = None
        if options["area"]:
            area = apps.get_model("areas", "Area").objects.filter(code=options["area"]).first()
            if area is None:
                raise CommandError(f"no area with code {options['area']}")
        permissions = options["permissions"] or sorted(catalog.permissions())
        try:
            _, text = services.create_token(
                actor=None,
                user=user,
                name=options["name"],
                permissions=permissions,
                area=area,
                expires_in_days=options["expires"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(text)
