"""``onegrid pii rotate``: re-encrypt personal data still under an old key with the current key."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from onegrid.kit.fields import EncryptedTextField, cipher


class Command(BaseCommand):
    help = "Personal-data key maintenance."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rotate", help="re-encrypt every value not under the current key")

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            # Cast to plain text so the stored tokens come back as they are, not decrypted.
            raw_columns = {f"raw_{f.attname}": Cast(f.attname, output_field=TextField()) for f in fields}
            raw = model._base_manager.annotate(**raw_columns).values_list("pk", *raw_columns)
            for row in raw.iterator(chunk_size=1000):
                pk, values = row[0], row[1:]
                changes = {}
                for f, token in zip(fields, values, strict=True):
                    if token and cipher().needs_rotation(token):
                        rotated = cipher().rotate(token, context=f.context)
                        changes[f.attname] = Value(rotated, output_field=TextField())
                if changes:
                    with transaction.atomic():
                        # a plain-text expression is stored as it is, not encrypted again
                        model._base_manager.filter(pk=pk).update(**changes)
                    total += 1
        self.stdout.write(f"re-encrypted {total} rows under key {cipher().current_key_id}")
