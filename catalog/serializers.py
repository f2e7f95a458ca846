"""Output shapes shared by every endpoint that lists anime (catalogue, search, rankings, recommendations)."""

from __future__ import annotations

from rest_framework import serializers


class AnimeCardTitlesSerializer(serializers.Serializer):
    main = serializers.CharField()
    en = serializers.CharField(allow_blank=True)
    ja = serializers.CharField(allow_blank=True)
    zh_hans = serializers.CharField(allow_blank=True)
    zh_hant = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "AnimeCardTitles"


class AnimeCardSerializer(serializers.Serializer):
    """The anime card every list on the site returns (see ``catalog.selectors.anime_card``)."""

    id = serializers.IntegerField()
    mal_id = serializers.IntegerField(allow_null=True, help_text="Null for anime MyAnimeList does not know.")
    title = serializers.CharField(help_text="Display title in the request's language.")
    titles = AnimeCardTitlesSerializer()
    cover_url = serializers.CharField(allow_blank=True)
    type = serializers.CharField()
    episodes = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    season = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    members = serializers.IntegerField()
    genres = serializers.ListField(child=serializers.CharField())
    franchise_id = serializers.IntegerField(
        allow_null=True, required=False, help_text="The anime's franchise (series); null when none."
    )

    class Meta:
        ref_name = "AnimeCard"
