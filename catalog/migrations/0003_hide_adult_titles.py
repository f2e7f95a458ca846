"""Explicit adult titles (genre "Hentai") become hidden, as the catalogue now loads them
(``catalog.models.ADULT_GENRES``); operators can show any of them again in the admin."""

from django.db import migrations

# Written out rather than imported: a migration keeps the meaning it had when it was written.
ADULT_GENRES = ["Hentai"]


def hide_adult_titles(apps, schema_editor):
    Anime = apps.get_model("catalog", "Anime")
    Anime.objects.filter(genres__name__in=ADULT_GENRES, is_hidden=False).update(is_hidden=True)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_catalogue_union_franchises_broadcast")]

    operations = [migrations.RunPython(hide_adult_titles, migrations.RunPython.noop)]
