"""Online serving: the active model per process, recommendations, similar anime, fallbacks.

``recommendations.recommend_for_user`` and ``similar.similar_for_anime`` are the entry points.
"""
