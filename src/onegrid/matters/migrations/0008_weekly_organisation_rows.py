"""Weekly rows of the statistics rollup by organisation (``dim`` = "org/w", ``day`` = the Monday),
summed from the daily rows an installation already holds."""

from django.db import migrations

KEY = {"id", "day", "depth", "area_path", "parent", "dim", "value"}
MONDAY = {
    "sqlite": "date(day, 'weekday 0', '-6 days')",  # the Sunday on or after day, less six days
    "postgresql": "CAST(date_trunc('week', day) AS date)",
}


def weekly_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    monday = MONDAY[connection.vendor]
    counted = [
        f.column for f in apps.get_model("matters", "Tally")._meta.concrete_fields if f.name not in KEY
    ]
    sums = ", ".join(f"SUM({c})" for c in counted)
    columns = ", ".join(counted)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM matters_tally WHERE dim = 'org/w'")
        cursor.execute(
            f"INSERT INTO matters_tally (day, depth, area_path, parent, dim, value, {columns}) "  # noqa: S608
            f"SELECT {monday}, depth, area_path, parent, 'org/w', value, {sums} FROM matters_tally "
            f"WHERE dim = 'org' GROUP BY {monday}, depth, area_path, parent, value"
        )


def drop_weekly_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute("DELETE FROM matters_tally WHERE dim = 'org/w'")


class Migration(migrations.Migration):
    dependencies = [("matters", "0007_matter_status_area")]

    operations = [migrations.RunPython(weekly_rows, drop_weekly_rows)]
