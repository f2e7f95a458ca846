"""The anime search document (django-elasticsearch-dsl).

Only built-in, portable Elasticsearch 8 analysis is used, so the same mapping works on the
development server (noida-db) and on a real cluster:

- ``titles``: every Latin-script (or other non-CJK) title and synonym, ``standard`` tokenizer +
  lowercase + ASCII folding ("Pokémon" == "pokemon"), searched with fuzziness for typos.
  ``titles.prefix`` adds edge n-grams for typing prefixes; ``titles.exact`` is a keyword
  normalised like the search input, for the exact-title boost.
- ``title_keys``: keywords, the folded and the compact form of every title
  (``catalog.search.normalize``: NFKC, case, accents, traditional -> simplified Chinese, Japanese
  forms; the compact form has only letters and digits, so ``SteinsGate`` finds ``Steins;Gate``).
- ``titles_cjk``: every title written with Han, kana or Hangul characters, ``cjk`` analyzer
  (overlapping bigrams: the usual way to search Chinese and Japanese without a dictionary), each
  next to its folded form, so traditional and simplified queries (folded alike) find both.
  ``titles_cjk.gram`` also keeps single characters so one typed character already suggests.
- synopsis (English), synopsis_zh (Chinese, ``cjk``), genres (slugs), tags, type, year, season,
  score, members and the hidden flag for filters, facets and the popularity blend.
- ``display``: the display titles, cover and type stored (not indexed) so autocomplete answers
  without touching the database.

The index is reached through an alias, ``<ELASTICSEARCH_INDEX_PREFIX>-anime``; a rebuild loads a new
timestamped index and swaps the alias (see ``catalog.search.indexing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django_elasticsearch_dsl import Document, Index, fields
from django_elasticsearch_dsl.registries import registry
from elasticsearch.dsl import analyzer, char_filter, normalizer, token_filter

from catalog.models import Anime, AnimeTitle
from catalog.search.normalize import compact, fold

# Han (CJK unified + extension A + compatibility), hiragana, katakana (+ half-width) and Hangul.
CJK_RE = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]"
)


def anime_alias() -> str:
    """The alias every search and every write goes through."""
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-anime"


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


title_edge_ngram = token_filter("title_edge_ngram", type="edge_ngram", min_gram=1, max_gram=20)
cjk_bigram_unigrams = token_filter("cjk_bigram_unigrams", type="cjk_bigram", output_unigrams=True)
title_punctuation = char_filter(
    "title_punctuation", type="pattern_replace", pattern=r"[\p{P}\s]+", replacement=" "
)

latin_text = analyzer("latin_text", tokenizer="standard", filter=["lowercase", "asciifolding"])
latin_prefix = analyzer(
    "latin_prefix", tokenizer="standard", filter=["lowercase", "asciifolding", title_edge_ngram]
)
cjk_gram = analyzer("cjk_gram", tokenizer="standard", filter=["cjk_width", "lowercase", cjk_bigram_unigrams])
title_exact = normalizer(
    "title_exact", char_filter=[title_punctuation], filter=["lowercase", "asciifolding", "trim"]
)

anime_index = Index(anime_alias())
anime_index.settings(number_of_shards=1, number_of_replicas=0, max_result_window=10000)


@registry.register_document
@anime_index.document
class AnimeDocument(Document):
    mal_id = fields.IntegerField()
    titles = fields.TextField(
        analyzer=latin_text,
        fields={
            "prefix": fields.TextField(analyzer=latin_prefix, search_analyzer=latin_text),
            "exact": fields.KeywordField(normalizer=title_exact, ignore_above=256),
        },
    )
    # fold() and compact() of every title (catalog.search.normalize), computed here once so a
    # query needs one ``terms`` lookup for an exact or joined-words title.
    title_keys = fields.KeywordField()
    titles_cjk = fields.TextField(
        analyzer="cjk",
        fields={
            "gram": fields.TextField(analyzer=cjk_gram, search_analyzer="cjk"),
            "exact": fields.KeywordField(normalizer=title_exact, ignore_above=256),
        },
    )
    synopsis = fields.TextField(analyzer=latin_text)
    synopsis_zh = fields.TextField(analyzer="cjk")
    genres = fields.KeywordField()
    tags = fields.KeywordField(fields={"text": fields.TextField(analyzer="cjk")})
    type = fields.KeywordField()
    year = fields.IntegerField()
    season = fields.KeywordField()
    score = fields.FloatField()
    members = fields.IntegerField()
    is_hidden = fields.BooleanField()
    display = fields.ObjectField(enabled=False)

    class Django:
        model = Anime
        fields: list[str] = []
        queryset_pagination = 500
        # Changes reach the index through catalog.services.anime_changed -> a Celery task.
        ignore_signals = True
        auto_refresh = False

    def get_queryset(self) -> Any:
        return Anime.objects.order_by("id").prefetch_related("titles", "genres", "tags")

    def get_indexing_queryset(self) -> Iterator[Anime]:
        return self.get_queryset().iterator(chunk_size=self.django.queryset_pagination)

    # Each prepare_* reads the prefetched relations only (no query per anime).

    def prepare_titles(self, anime: Anime) -> list[str]:
        return _with_folded([t for t in all_titles(anime) if not has_cjk(t)])

    def prepare_titles_cjk(self, anime: Anime) -> list[str]:
        # The folded form (simplified Chinese, traditional Japanese forms mapped) next to each
        # original: queries are folded alike, so either script finds the other.
        return _with_folded([t for t in all_titles(anime) if has_cjk(t)])

    def prepare_title_keys(self, anime: Anime) -> list[str]:
        keys: dict[str, None] = {}
        for title in all_titles(anime):
            for key in (fold(title), compact(title)):
                if key:
                    keys[key[:256]] = None
        return list(keys)

    def prepare_genres(self, anime: Anime) -> list[str]:
        return [g.slug for g in anime.genres.all()]

    def prepare_tags(self, anime: Anime) -> list[str]:
        return [t.name for t in anime.tags.all()]

    def prepare_season(self, anime: Anime) -> str | None:
        return anime.season or None

    def prepare_display(self, anime: Anime) -> dict[str, Any]:
        return {
            "main": anime.title,
            "en": anime.title_en,
            "ja": anime.title_ja,
            "zh_hans": anime.title_zh_hans,
            "zh_hant": anime.title_zh_hant,
            "display_en": anime.display_title_en,
            "display_zh": anime.display_title_zh,
            "cover_url": anime.cover_url,
        }


def all_titles(anime: Anime) -> list[str]:
    """Every name of ``anime`` once (case-insensitively), display titles first."""
    candidates = [
        anime.display_title_en,
        anime.display_title_zh,
        anime.title,
        anime.title_en,
        anime.title_ja,
        anime.title_zh_hans,
        anime.title_zh_hant,
        *(t.text for t in _ordered_titles(anime)),
    ]
    seen: set[str] = set()
    out: list[str] = []
    for text in candidates:
        text = (text or "").strip()
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _with_folded(titles: list[str]) -> list[str]:
    """``titles`` plus the folded form of each one that folding changes beyond case."""
    out = list(titles)
    known = {t.casefold() for t in titles}
    for title in titles:
        folded = fold(title)
        if folded not in known:
            known.add(folded)
            out.append(folded)
    return out


def _ordered_titles(anime: Anime) -> list[AnimeTitle]:
    rank: dict[str, int] = {AnimeTitle.Kind.MAIN: 0, AnimeTitle.Kind.OFFICIAL: 1, AnimeTitle.Kind.SYNONYM: 2}
    return sorted(anime.titles.all(), key=lambda t: (rank.get(t.kind, 3), t.id))
