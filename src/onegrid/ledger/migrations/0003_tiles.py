"""The tree's hashes move from one row per leaf (``ledger_node``) to tiles (``ledger_tile``).

The per-leaf rows are exactly what ``tiles.Writer`` cuts into tiles, so the copy streams them in
leaf order and writes each tile once. It refuses (and changes nothing) if the rows have a gap or a
row is not as long as its leaf's completed subtrees say: ``onegrid ledger check`` on the old
version names the damage. Reversing rebuilds the per-leaf rows from the tiles.

The database keeps tiles append-only like the rest of the ledger, with one allowance: a tile may be
replaced by a longer one that starts with it (a partial tile growing). Deleting, shrinking or
rewriting is refused unless the audit maintenance switch is on (see migration 0002).
"""

from django.db import migrations, models

import onegrid.ledger.models
from onegrid.ledger import merkle, tiles

CHUNK = 20_000
# the length of a tile of new.width entries (tiles.size_of): its entries and the in-tile nodes above them
LENGTH = " + ".join(["{w}"] + [f"{{w}} / {1 << r}" for r in range(1, tiles.HEIGHT)])
SQLITE_LENGTH = f"32 * ({LENGTH.format(w='new.width')})"
POSTGRES_LENGTH = f"32 * ({LENGTH.format(w='NEW.width')})"

SQLITE_TRIGGERS = [
    """CREATE TRIGGER ledger_tile_only_grows BEFORE UPDATE ON ledger_tile WHEN onegrid_audit_locked()
        AND NOT (new.key = old.key AND new.width > old.width AND length(new.hashes) = {length}
                 AND substr(new.hashes, 1, length(old.hashes)) = old.hashes)
        BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only: a tile may only be extended'); END""".replace(
        "{length}", SQLITE_LENGTH
    ),
    """CREATE TRIGGER ledger_tile_no_delete BEFORE DELETE ON ledger_tile WHEN onegrid_audit_locked()
        BEGIN SELECT RAISE(ABORT, 'the evidence ledger is append-only'); END""",
]

POSTGRES_FUNCTION = """CREATE FUNCTION ledger_tile_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('onegrid.audit_maintenance', true) = 'on' THEN
        RETURN NEW;
      END IF;
      IF NEW.key = OLD.key AND NEW.width > OLD.width AND octet_length(NEW.hashes) = {length}
         AND substring(NEW.hashes FROM 1 FOR octet_length(OLD.hashes)) = OLD.hashes THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'the evidence ledger is append-only: a tile may only be extended'
        USING ERRCODE = 'integrity_constraint_violation';
    END $$""".replace("{length}", POSTGRES_LENGTH)

POSTGRES_TRIGGERS = [
    POSTGRES_FUNCTION,
    """CREATE TRIGGER ledger_tile_only_grows BEFORE UPDATE ON ledger_tile
        FOR EACH ROW EXECUTE FUNCTION ledger_tile_only_grows()""",
    """CREATE TRIGGER ledger_tile_no_delete BEFORE DELETE ON ledger_tile
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """CREATE TRIGGER ledger_tile_no_truncate BEFORE TRUNCATE ON ledger_tile
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()""",
]


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in SQLITE_TRIGGERS if vendor == "sqlite" else POSTGRES_TRIGGERS if vendor == "postgresql" else []:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER ledger_tile_only_grows")
        schema_editor.execute("DROP TRIGGER ledger_tile_no_delete")
    elif vendor == "postgresql":
        for name in ("only_grows", "no_delete", "no_truncate"):
            schema_editor.execute(f"DROP TRIGGER ledger_tile_{name} ON ledger_tile")
        schema_editor.execute("DROP FUNCTION ledger_tile_only_grows()")


def _per_leaf_rows(cursor):
    after = -1
    while True:
        cursor.execute(
            f"SELECT leaf, hashes FROM ledger_node WHERE leaf > %s ORDER BY leaf LIMIT {CHUNK}", [after]
        )
        rows = cursor.fetchall()
        if not rows:
            return
        for leaf, blob in rows:
            leaf, blob = int(leaf), bytes(blob)
            if leaf != after + 1:
                raise RuntimeError(f"ledger_node lacks the hashes of leaves {after + 1} to {leaf - 1}")
            if len(blob) != merkle.HASH_SIZE * (1 + merkle.completes(leaf)):
                raise RuntimeError(f"ledger_node row {leaf} has {len(blob)} bytes of hashes")
            yield leaf, blob
            after = leaf


def nodes_to_tiles(apps, schema_editor):
    writer = tiles.Writer()
    size = 0
    insert = "INSERT INTO ledger_tile (key, width, hashes) VALUES (%s, %s, %s)"
    with schema_editor.connection.cursor() as reading, schema_editor.connection.cursor() as writing:
        for leaf, row in _per_leaf_rows(reading):
            writer.add([(leaf, row)])
            size = leaf + 1
            if len(writer.full) >= 256:
                writing.executemany(insert, [(k, tiles.WIDTH, blob) for k, blob in writer.take_full()])
        rest = [(k, blob) for k, blob in writer.take_full()] + [(k, bytes(b)) for k, b in writer.tiles.items()]
        rows = [(k, tiles.width_at(size, *tiles.split_key(k)), blob) for k, blob in rest]
        writing.executemany(insert, rows)


def tiles_to_nodes(apps, schema_editor):
    connection = schema_editor.connection

    def stream(level):
        after, end = tiles.key(level, 0) - 1, tiles.key(level + 1, 0)
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT key, width, hashes FROM ledger_tile WHERE key > %s AND key < %s ORDER BY key LIMIT 256",
                    [after, end],
                )
                found = cursor.fetchall()
            if not found:
                return
            for k, width, blob in found:
                yield tiles.split_key(int(k))[1], int(width), bytes(blob)
            after = int(found[-1][0])

    batch = []
    with connection.cursor() as cursor:
        for row in tiles.leaf_rows(stream):
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany("INSERT INTO ledger_node (leaf, hashes) VALUES (%s, %s)", batch)
                batch = []
        if batch:
            cursor.executemany("INSERT INTO ledger_node (leaf, hashes) VALUES (%s, %s)", batch)


def node_triggers(apps, schema_editor):
    """Backwards only: the recreated ledger_node gets migration 0002's triggers back."""
    module = __import__("onegrid.ledger.migrations.0002_append_only", fromlist=["_sqlite", "_postgres"])
    vendor = schema_editor.connection.vendor
    make = module._sqlite if vendor == "sqlite" else module._postgres if vendor == "postgresql" else None
    for sql in make("ledger_node") if make else []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only")]

    operations = [
        migrations.CreateModel(
            name="Tile",
            fields=[
                ("key", onegrid.ledger.models.PositionField(primary_key=True, serialize=False)),
                ("width", models.PositiveSmallIntegerField(verbose_name="entries")),
                ("hashes", models.BinaryField()),
            ],
            options={
                "verbose_name": "hash tile",
                "verbose_name_plural": "hash tiles",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("width__gte", 1), ("width__lte", 256)), name="tile_width_1_to_256"
                    )
                ],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(nodes_to_tiles, tiles_to_nodes),
        migrations.RunPython(migrations.RunPython.noop, node_triggers),
        migrations.DeleteModel(name="Node"),
    ]
