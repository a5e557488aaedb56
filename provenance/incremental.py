"""Incremental tracing: new articles against a stored archive, without redoing the archive.

A full analysis aligns every candidate pair and draws the whole forest. Once an archive
has been analysed, each article's decision (its parent, or none) is stored; a later
``trace --db`` then

1. looks the new articles' band keys up in the stored index (``candidates.stored``): the
   candidates are archive paragraphs sharing a key, found through the key index, so the
   cost grows with the new articles and their partners, not with the archive;
2. aligns only those pairs (new-new and new-archive) and stores the matches it verifies;
   the archive's own pairs were aligned before and are not aligned again;
3. redraws lineage only for the connected components (articles linked by derived matches)
   the new articles belong to, calling ``lineage.build_forest`` on that sub-corpus; every
   other article keeps its stored edge.

Shared vocabulary is weighed with document frequencies kept in the store at ingest
(``Store.vocabulary``), those of the whole store as a full analysis would use. The result
is the from-scratch analysis of the same articles with the stored engine, except that the
archive's own pairs keep the weights of when they were aligned (with 30 or more articles,
the IDF moves a little as articles arrive; ``tree --refresh`` recomputes); and past
TRANSLATION_SEARCH_ALL stored articles, translations are searched within days of the new
articles only (see ``_new_translations``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from . import align, crosslingual, lineage
from .candidates.stored import StoredEngine
from .models import DERIVED_KINDS, Article, Edge, Match, Outlet
from .outlets import OutletRegistry
from .store import Store


# Translations of new articles are searched over the whole store up to this many articles,
# and over the articles published within this many days of a new one beyond.
TRANSLATION_SEARCH_ALL = 5_000
TRANSLATION_WINDOW_DAYS = 7


@dataclass
class IncrementalResult:
    new: list[str]  # the articles traced against the archive
    matches: list[Match]  # the matches found for them (stored)
    redrawn: list[str]  # the articles whose lineage was drawn again
    edges: list[Edge]  # their edges
    outlets: list[Outlet]
    candidates: int  # candidate article pairs aligned


def analyse_new(
    store: Store,
    new_ids: list[str],
    *,
    registry: OutletRegistry,
    embedder=None,
    window_days: int | None = None,
) -> IncrementalResult:
    """Trace the stored articles ``new_ids`` against the rest of the store (see module doc)."""
    new = set(new_ids)
    new_articles = store.articles(new_ids)
    units_by_article: dict[str, list[align.Unit]] = defaultdict(list)
    for article in new_articles:
        units_by_article[article.id] = align.prepare(article)  # signed: the keys are looked up
    by_id = {a.id: a for a in new_articles}
    engine = StoredEngine(store)
    pairs = align.candidate_article_pairs(units_by_article, by_id, engine, new)
    from .pipeline import note_capped  # pipeline imports this module lazily: no cycle

    note_capped(engine)

    partner_ids = sorted({x for pair in pairs for x in pair} - new)
    involved = new_articles + store.articles(partner_ids)
    words = set().union(*(align.article_words(a) for a in involved)) if involved else set()
    size, df = store.vocabulary(words)
    matches = align.find_matches(
        involved, pairs=pairs, window_days=window_days, vocabulary=align.Vocabulary.from_counts(size, df)
    )
    matches += _new_translations(store, new, embedder, window_days)

    redrawn = _components(store, new, matches)
    sub_articles = store.articles(sorted(redrawn))
    known = {(m.a, m.b) for m in matches}
    sub_matches = [m for m in store.matches(redrawn) if (m.a, m.b) not in known] + [
        m for m in matches if m.a in redrawn and m.b in redrawn
    ]
    attributions = store.attributions_of(redrawn)
    edges, outlets = lineage.build_forest(sub_articles, sub_matches, attributions, registry)
    store.add_analysis(outlets, matches, edges, redrawn)
    store.save_decisions(redrawn, edges)
    return IncrementalResult(
        new=new_ids, matches=matches, redrawn=sorted(redrawn), edges=edges, outlets=outlets, candidates=len(pairs)
    )


def ensure_index(store: Store, articles: list[Article]) -> None:
    """Fill the band index and the document frequencies for articles stored before they
    existed (a database from before migration 0006), so a later incremental trace finds
    them. Only undecided articles get band keys: a decided one without keys was pruned."""
    if store.read_only or not store.indexed:
        return
    store.add_missing_keys()
    size, _ = store.vocabulary([])
    if size == 0:
        counted = [words for words in map(align.article_words, articles) if words]
        for words in counted:
            store.count_words(words, +1)


def _new_translations(store: Store, new: set[str], embedder, window_days: int | None) -> list[Match]:
    """Translations with a new side (pairs of the archive were verified before).

    Translation candidates come from anchors and embeddings, not band keys, and their
    scores are relative to the articles searched, so the search covers the whole store up
    to TRANSLATION_SEARCH_ALL articles (the result of a full analysis); beyond that, the
    stored articles published within ``window_days`` (default TRANSLATION_WINDOW_DAYS)
    of a new one, undated new articles being searched against undated stored ones.
    """
    if store.language_count() < 2:
        return []  # one language: nothing to translate
    if store.article_count() <= TRANSLATION_SEARCH_ALL:
        articles = store.articles()
    else:
        days = window_days if window_days is not None else TRANSLATION_WINDOW_DAYS
        fresh = store.articles(sorted(new))
        around = store.article_ids_published_near([a.published for a in fresh], days)
        articles = fresh + store.articles(sorted(set(around) - new))
    found = crosslingual.find_translations(articles, embedder=embedder, cache=store, new=new)
    by_id = {a.id: a for a in articles}
    return [m for m in found if window_days is None or align.within_window(by_id[m.a], by_id[m.b], window_days)]


def _components(store: Store, new: set[str], new_matches: list[Match]) -> set[str]:
    """The new articles and every article linked to them by a chain of derived matches
    (stored or new): the part of the forest whose decisions can change."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for m in new_matches:
        if m.kind in DERIVED_KINDS:
            adjacent[m.a].add(m.b)
            adjacent[m.b].add(m.a)
    reached = set(new)
    frontier = set(new)
    while frontier:
        for a, b in store.match_neighbours(frontier, kinds=DERIVED_KINDS):
            adjacent[a].add(b)
            adjacent[b].add(a)
        step = set().union(*(adjacent[x] for x in frontier)) - reached
        reached |= step
        frontier = step
    return reached
