"""Seed the national calendar "cn" from the chinesecalendar package (every year it covers) and the
round-the-clock calendar "24x7"."""

from django.db import migrations

from onegrid.kit import calendars


def seed(apps, schema_editor):
    WorkCalendar = apps.get_model("kit", "WorkCalendar")
    CalendarDay = apps.get_model("kit", "CalendarDay")
    cn = WorkCalendar.objects.create(**calendars.cn_defaults(), version=1)
    CalendarDay.objects.bulk_create(
        CalendarDay(
            calendar=cn,
            date=day.date,
            kind=str(day.kind),
            name=day.name,
            name_en=day.name_en,
            source_url=day.source_url,
        )
        for day in calendars.package_days()
    )
    WorkCalendar.objects.create(**calendars.round_the_clock_defaults(), version=1)


def unseed(apps, schema_editor):
    WorkCalendar = apps.get_model("kit", "WorkCalendar")
    WorkCalendar.objects.filter(code__in=[calendars.CN, calendars.ROUND_THE_CLOCK]).delete()


class Migration(migrations.Migration):
    dependencies = [("kit", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
