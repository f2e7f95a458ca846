"""The title stage of search: which visible anime's titles match the input, decided in this process.

The search engine shipped for one machine (noida-db) spends 400-800 ms on each analysed title
clause (phrase, word prefixes, typos), while the autocomplete title index every web process holds
(``catalog.search.typeahead``) answers the same questions in a few milliseconds. So a search
matches the titles here, with the engine's own rules, and sends the engine the result as groups of
document ids, each scoring its constant amount (``catalog.search.queries.title_match_clauses``):
ids lookups, which cost the engine next to nothing. The engine still does what only it can do:
the exact-title keys (always fresh), synopses, tags, filters, facets, popularity, sorting, counts
and paging.

The rules are those of ``catalog.search.queries.text_clauses`` (the bodies that match titles in
the engine, still used before the index is built, for staff searches that include hidden anime
and when a query matches too many titles):

==========================================================  ================  ======
signal                                                      engine clause     amount
==========================================================  ================  ======
Latin: the words, complete and in order, in one title       ``match_phrase``     4
Latin: every word a title word or the start of one          ``titles.prefix``    2
   (anywhere in the anime's titles)                            (operator and)
Latin: words within the edit distance of a title word       fuzziness AUTO    1 x share
   (1 edit for 3-5 letters, 2 beyond, the first letter      (``2<75%``)       of words
   kept; all words up to two, else 75% of them)
CJK: the character pairs in order in one title              ``match_phrase``     4
CJK: 75% of the character pairs in the anime's titles       ``minimum_should      2
   (one typed character: a title holding it)                   _match: 75%``
==========================================================  ================  ======

Input with CJK characters uses the CJK rules only (in the engine the Latin clauses would ask for
the CJK characters in the Latin titles and match nothing); exact titles are left to the engine's
``title_keys`` lookup. Typos score the share of the words they match where the engine's BM25 would
weigh each word: the one approximation, covered by the relevance set.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from catalog.documents import CJK_RE, has_cjk
from catalog.search.normalize import fold, words_folded
from catalog.search.queries import ALL_WORDS_BOOST, CJK_WORDS_BOOST, FUZZY_BOOST, PHRASE_BOOST
from catalog.search.typeahead import TitleIndex, cjk_tokenize

# Above this many matching anime the engine matches the titles itself: a body listing every id
# would cost it more than the clauses (a one-letter search matches most of the catalogue).
MAX_MATCHES = 3000


def title_matches(index: TitleIndex, q: str) -> dict[int, float] | None:
    """``{anime id: title score}`` for the visible anime whose titles match ``q`` (exact titles
    excluded: the engine looks them up), or ``None`` when more than ``MAX_MATCHES`` match."""
    folded = fold(q)
    if not folded:
        return {}
    scores: dict[int, float] = defaultdict(float)
    if has_cjk(folded):
        _cjk(index, folded, scores)
    else:
        _latin(index, folded, scores)
    if len(scores) > MAX_MATCHES:
        return None
    entries = index.entries
    return {entries[position].anime_id: round(score, 3) for position, score in scores.items()}


def _contains_run(sequence: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(sequence[i : i + n] == run for i in range(len(sequence) - n + 1))


def _latin(index: TitleIndex, folded: str, scores: dict[int, float]) -> None:
    query_words = words_folded(folded)
    if not query_words:
        return
    every_word: set[int] | None = None
    for word in query_words:
        found = index._word_prefix(word)
        every_word = found if every_word is None else every_word & found
        if not every_word:
            break
    complete: set[int] | None = None
    for word in query_words:
        found = index.postings.get(word, set())
        complete = set(found) if complete is None else complete & found
        if not complete:
            break
    for position in complete or ():
        if any(_contains_run(words_folded(key), query_words) for key in index.entries[position].keys):
            scores[position] += PHRASE_BOOST
    for position in every_word or ():
        scores[position] += ALL_WORDS_BOOST
    n = len(query_words)
    need = n if n <= 2 else int(n * 0.75)
    matched: Counter[int] = Counter()
    for word in dict.fromkeys(query_words):
        matched.update(index._word_fuzzy(word, last=False))
    for position, count in matched.items():
        if count >= need:
            scores[position] += FUZZY_BOOST * min(1.0, count / n)


def _cjk(index: TitleIndex, folded: str, scores: dict[int, float]) -> None:
    if len(CJK_RE.findall(folded)) == 1:  # one character: the titles holding it
        char = CJK_RE.findall(folded)[0]
        for key, position in index.cjk:
            if char in key:
                scores[position] = CJK_WORDS_BOOST
        return
    tokens = list(dict.fromkeys(cjk_tokenize(folded)))
    if not tokens:
        return
    sequence = cjk_tokenize(folded)
    need = max(1, int(len(tokens) * 0.75))
    matched: Counter[int] = Counter()
    for token in tokens:
        matched.update(index.cjk_tokens.get(token, ()))
    for position, count in matched.items():
        if count >= need:
            scores[position] += CJK_WORDS_BOOST
        if count == len(tokens) and any(
            _contains_run(cjk_tokenize(key), sequence) for key in index.entries[position].keys if has_cjk(key)
        ):
            scores[position] += PHRASE_BOOST
