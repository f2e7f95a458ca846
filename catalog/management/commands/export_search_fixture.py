"""Export the real catalogue rows the search relevance test needs into a JSON fixture.

The relevance test runs in CI against an empty database, so it loads this file: the anime its
queries expect, every anime sharing a word (Latin) or a character pair (CJK) with a query, which
brings in sequels, spin-offs and look-alike titles, plus the most popular anime, so that
popularity has realistic competition. Run it against the loaded development database:

    manage.py export_search_fixture
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from catalog.documents import has_cjk
from catalog.models import Anime, AnimeTitle

FIXTURES = Path(settings.BASE_DIR) / "tests" / "catalog" / "fixtures"
# Words too common to pick look-alikes by (they would pull in most of the catalogue).
STOP_WORDS = {"the", "and", "season", "movie", "2nd", "part"}


def query_terms(q: str) -> list[str]:
    """Latin words of 3+ characters and CJK character pairs of a query."""
    terms = [w for w in re.findall(r"[^\W_]+", q.casefold()) if len(w) >= 3 and not has_cjk(w)]
    for run in re.findall(r"\w+", q):
        cjk = "".join(ch for ch in run if has_cjk(ch))
        terms += [cjk[i : i + 2] for i in range(len(cjk) - 1)]
    return [t for t in dict.fromkeys(terms) if t not in STOP_WORDS]


class Command(BaseCommand):
    help = "Write tests/catalog/fixtures/search_catalog.json from the loaded catalogue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--queries", default=str(FIXTURES / "search_relevance_queries.json"))
        parser.add_argument("--output", default=str(FIXTURES / "search_catalog.json"))
        parser.add_argument("--top", type=int, default=600, help="How many of the most popular anime to add.")
        parser.add_argument(
            "--per-term",
            type=int,
            default=30,
            help="Look-alikes per query word (the most popular first); three times as many per whole query.",
        )

    def _containing(self, needle: str, limit: int) -> list[int]:
        """The most popular anime with a title containing ``needle`` (any script, any case)."""
        with_title = AnimeTitle.objects.filter(text__icontains=needle).values("anime_id")
        return list(
            Anime.objects.visible()
            .filter(Q(id__in=with_title) | Q(title__icontains=needle))
            .order_by("-members", "id")
            .values_list("id", flat=True)[:limit]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queries = json.loads(Path(options["queries"]).read_text(encoding="utf-8"))
        expected = {int(item["mal_id"]) for item in queries}
        found = set(Anime.objects.filter(mal_id__in=expected).values_list("mal_id", flat=True))
        if missing := sorted(expected - found):
            raise CommandError(f"anime expected by the queries are not in the database: {missing}")

        terms = sorted({t for item in queries for t in query_terms(item["q"])})
        phrases = sorted({item["q"] for item in queries if len(item["q"]) >= 4})
        self.stdout.write(f"{len(queries)} queries, {len(terms)} words and character pairs")
        ids: set[int] = set(Anime.objects.filter(mal_id__in=expected).values_list("id", flat=True))
        per_term, per_phrase = options["per_term"], 3 * options["per_term"]
        for limit, needles in ((per_phrase, phrases), (per_term, terms)):
            for needle in needles:
                ids.update(self._containing(needle, limit))
        look_alikes = len(ids)
        ids.update(
            Anime.objects.visible().order_by("-members").values_list("id", flat=True)[: options["top"]]
        )
        self.stdout.write(f"{look_alikes} expected and look-alike anime, {len(ids)} with the most popular")

        rows = (
            Anime.objects.filter(id__in=ids, is_hidden=False)
            .order_by("mal_id")
            .prefetch_related("titles", "genres", "tags")
        )
        anime = [
            {
                "mal_id": a.mal_id,
                "title": a.title,
                "title_en": a.title_en,
                "title_ja": a.title_ja,
                "title_zh_hans": a.title_zh_hans,
                "title_zh_hant": a.title_zh_hant,
                "type": a.type,
                "episodes": a.episodes,
                "year": a.year,
                "season": a.season,
                "score": a.score,
                "members": a.members,
                "synopsis": a.synopsis,
                "synopsis_zh": a.synopsis_zh,
                "genres": sorted([g.slug, g.name] for g in a.genres.all()),
                "tags": sorted(t.name for t in a.tags.all()),
                "titles": [[t.text, t.language, t.kind] for t in sorted(a.titles.all(), key=lambda t: t.id)],
            }
            for a in rows.iterator(chunk_size=500)
        ]
        output = Path(options["output"])
        output.write_text(
            json.dumps({"source": "dev database export", "anime": anime}, ensure_ascii=False, indent=0)
            + "\n",
            encoding="utf-8",
        )
        self.stdout.write(self.style.SUCCESS(f"wrote {len(anime)} anime to {output}"))
