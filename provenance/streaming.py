"""Analysis of a stored archive in bounded memory.

``pipeline.analyse`` holds every article, unit and signature of the store at once: right
for a folder, not for an archive of 10^5 articles (7.4 GB at 100,000). For a database file
and a band engine (stored, DuckDB, Spark: engines without ``extra_article_pairs``) it runs
here instead, holding a bounded part of the archive at a time:

1. candidates: the engine joins the stored band keys (``CandidateEngine.stored_pairs``:
   SQLite's own self-join, or the keys read a chunk at a time, ``Store.band_key_arrays``)
   and answers candidate paragraph pairs; no signature is read or recomputed;
2. verification: the candidate article pairs are cut into work items of at most
   ITEM_ARTICLES articles, articles linked by candidates kept together; a work item's
   articles are read from the file, aligned (``align.compare``) and let go. With ``jobs``
   > 1, forked workers each read the file through their own connection;
3. translations: searched only when the store holds more than one language
   (``crosslingual.search``): the articles are read LINEAGE_ARTICLES at a time and only
   their languages and anchor keys kept (and an opening vector each, with an embedder) to
   find the candidates; candidate pairs are then verified a work item at a time, their
   articles read again;
4. lineage: ``lineage.build_forest`` per connected component of derived matches (a
   branching never links two of them, outlet parents have no parent of their own),
   LINEAGE_ARTICLES articles at a time; the outlets are those of the whole store.

Word weights are the document frequencies the store keeps at ingest (those of the whole
store, what ``Vocabulary`` counts over it). The result is ``pipeline.analyse``'s: the same
matches in the same order and the same edges (tested); weights summed in another order
may differ in the last bit of a float.
"""
from __future__ import annotations

import gc
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterator

from . import align, crosslingual, lineage
from .candidates import CandidateEngine, chunks
from .embeddings import Embedder
from .models import DERIVED_KINDS, Edge, Match, Outlet
from .outlets import OutletRegistry
from .progress import SILENT, Progress
from .store import Store

# Articles read and aligned together (a work item); a component of candidate pairs larger
# than this is cut, its articles read once per item they appear in.
ITEM_ARTICLES = 1_000
# Articles whose lineage is drawn in one call (whole components, so a large one may exceed it).
LINEAGE_ARTICLES = 2_000
# Articles a translation-search worker reads and prepares per task.
TASK_ARTICLES = 100


def streams(store: Store, engine: CandidateEngine) -> bool:
    """Does ``analyse`` of this store with this engine run here? A database file (workers
    read it) and an engine that joins the stored band keys (a band engine)."""
    return store.path is not None and type(engine).stored_pairs is not CandidateEngine.stored_pairs


def analyse_stored(
    store: Store,
    engine: CandidateEngine,
    *,
    registry: OutletRegistry,
    load_embedder: Callable[[], Embedder | None] = lambda: None,
    notes: list[str] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
    window_days: int | None = None,
) -> tuple[list[Match], list[Edge], list[Outlet]]:
    """The analysis of everything ``store`` holds, in bounded memory (see module doc).
    ``load_embedder`` is called only if translations are searched."""
    _fill_index(store)
    published = store.article_dates()
    pairs = sorted({(a, b) for (a, _), (b, _) in engine.stored_pairs(store)})
    if window_days is not None:
        pairs = [(a, b) for a, b in pairs if align.published_within(published[a], published[b], window_days)]
    size, df = store.vocabulary(None)
    matches = _verify(store, pairs, align.Vocabulary.from_counts(size, df), notes, jobs, progress)
    languages, undetected = store.languages()
    if languages >= 2 or (languages and undetected):
        with _StoredCorpus(store, jobs) as corpus:
            matches += crosslingual.search(corpus, embedder=load_embedder(), cache=store)
    edges = _lineage(store, matches, registry)
    outlets = lineage.outlets_of(store.publishers(), store.attributions(), edges, registry)
    return matches, edges, outlets


def _fill_index(store: Store) -> None:
    """What ``incremental.ensure_index`` does for a database from before the band index,
    without reading the archive when nothing is missing."""
    if store.read_only:
        return
    store.add_missing_keys(LINEAGE_ARTICLES)
    if store.vocabulary([])[0] == 0 and store.article_count():
        for ids in chunks(store.article_ids(), LINEAGE_ARTICLES):
            for words in map(align.article_words, store.articles(ids)):
                if words:
                    store.count_words(words, +1)


def work_items(pairs: list[tuple[str, str]], limit: int | None = None) -> list[list[int]]:
    """Indexes of ``pairs`` grouped so that each group touches at most ``limit`` articles
    (default ITEM_ARTICLES; a pair touches two) and articles linked by pairs share a group
    where they fit: components in the order of their first pair, small ones packed
    together."""
    limit = ITEM_ARTICLES if limit is None else limit
    components = _Components()
    for a, b in pairs:
        components.link(a, b)
    by_component: dict[str, list[int]] = defaultdict(list)
    for index, (a, _) in enumerate(pairs):
        by_component[components.root(a)].append(index)
    items: list[list[int]] = []
    current: list[int] = []
    held: set[str] = set()
    for indexes in by_component.values():  # dicts keep insertion order: first pair first
        for index in indexes:
            added = {pairs[index][0], pairs[index][1]} - held
            if current and len(held) + len(added) > limit:
                items.append(current)
                current, held = [], set()
                added = {pairs[index][0], pairs[index][1]}
            current.append(index)
            held |= added
    if current:
        items.append(current)
    return items


class _Components:
    """Union-find over article ids: the connected components pairs of them make."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def root(self, x: str) -> str:
        parent = self._parent
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    def link(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)


# What forked workers read: (database path, pairs, vocabulary); each opens its own Store.
_state: tuple | None = None
_worker_store: Store | None = None


def _verify(
    store: Store,
    pairs: list[tuple[str, str]],
    vocabulary: align.Vocabulary,
    notes: list[str] | None,
    jobs: int,
    progress: Progress,
) -> list[Match]:
    """``align.compare`` every pair, a work item at a time; matches and notes in the order
    of ``pairs``, whatever ``jobs`` is."""
    global _state
    items = work_items(pairs)
    results: list[tuple[int, Match | None, list[str]]] = []
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if jobs <= 1 or len(pairs) < align.PARALLEL_MIN_PAIRS or len(items) < 2 or not can_fork:
        for item in progress.track(items, "align (work items)"):
            results += _verify_item(store, pairs, item, vocabulary)
    else:
        from concurrent.futures import ProcessPoolExecutor

        from . import language

        language.wait_warm_up()  # no thread may hold a lock at fork time
        _state = (store.path, pairs, vocabulary)
        gc.freeze()  # see align.verify_pairs: the children leave inherited objects alone
        try:
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                for found in progress.track(pool.map(_verify_in_worker, items), "align (work items)", total=len(items)):
                    results += found
        finally:
            _state = None
            gc.unfreeze()
    results.sort(key=lambda r: r[0])
    matches = []
    for _, match, pair_notes in results:
        if match is not None:
            matches.append(match)
        if notes is not None:
            notes.extend(pair_notes)
    return matches


def _store_in_worker(path) -> Store:
    """The forked worker's own Store of the file at ``path``, opened once."""
    global _worker_store
    if _worker_store is None:
        _worker_store = Store(path)  # its own connection: SQLite's must not cross a fork
    return _worker_store


def _verify_in_worker(item: list[int]):
    path, pairs, vocabulary = _state  # type: ignore[misc]
    return _verify_item(_store_in_worker(path), pairs, item, vocabulary)


def _verify_item(store: Store, pairs, item: list[int], vocabulary) -> list[tuple[int, Match | None, list[str]]]:
    ids = sorted({x for index in item for x in pairs[index]})
    articles = {a.id: a for a in store.articles(ids)}
    units = {i: align.prepare(a, signed=False) for i, a in articles.items()}
    out = []
    for index in item:
        a, b = pairs[index]
        pair_notes: list[str] = []
        match = align.compare(articles[a], units[a], articles[b], units[b], vocabulary, pair_notes)
        out.append((index, match, pair_notes))
    return out


class _StoredCorpus:
    """``crosslingual.TranslationCorpus`` over a store: profiles a batch of LINEAGE_ARTICLES
    articles at a time, groups of pairs that are work items. With ``jobs`` > 1, forked
    workers (opened once, each with its own connection) read the articles and extract the
    anchors, TASK_ARTICLES at a time, and hand back profiles or anchors, not articles."""

    def __init__(self, store: Store, jobs: int) -> None:
        self._store, self._jobs, self._pool = store, jobs, None

    def __enter__(self) -> _StoredCorpus:
        if self._jobs > 1 and "fork" in multiprocessing.get_all_start_methods() and self._store.article_count() > TASK_ARTICLES:
            from concurrent.futures import ProcessPoolExecutor

            from . import language

            language.wait_warm_up()  # no thread may hold a lock at fork time
            self._pool = ProcessPoolExecutor(
                self._jobs, mp_context=multiprocessing.get_context("fork"),
                initializer=_store_in_worker, initargs=(self._store.path,),
            )
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _map(self, task, ids: list[str], *args) -> list:
        """``task(store, ids, *args)`` over ``ids`` in TASK_ARTICLES parts, results joined in order."""
        parts = list(chunks(ids, TASK_ARTICLES))
        if self._pool is None or len(parts) < 2:
            return [x for part in parts for x in task(self._store, part, *args)]
        found = self._pool.map(_in_worker, [(task, part, args) for part in parts])
        return [x for part in found for x in part]

    def profiles(self, with_opening: bool) -> Iterator[list[crosslingual.ArticleProfile]]:
        for ids in chunks(self._store.article_ids(), LINEAGE_ARTICLES):
            yield self._map(_profiles_task, ids, with_opening)

    def groups(self, pairs: list[tuple[str, str]]):
        for item in work_items(pairs):
            ids = sorted({x for index in item for x in pairs[index]})
            anchors = self._map(_anchors_task, ids)
            prepared = (crosslingual.prepare_article(a, found) for a, found in zip(self._store.articles(ids), anchors))
            yield item, {d.article.id: d for d in prepared if d is not None}


def _in_worker(task_args):
    task, ids, args = task_args
    return task(_worker_store, ids, *args)


def _profiles_task(store: Store, ids: list[str], with_opening: bool) -> list[crosslingual.ArticleProfile]:
    prepared = (crosslingual.prepare_article(a) for a in store.articles(ids))
    return [crosslingual.profile(d, with_opening) for d in prepared if d is not None]


def _anchors_task(store: Store, ids: list[str]) -> list:
    return [crosslingual.unit_anchors(a) for a in store.articles(ids)]


def _lineage(store: Store, matches: list[Match], registry: OutletRegistry) -> list[Edge]:
    """``lineage.build_forest`` per connected component of derived matches, a batch of
    whole components (and articles matched by none) at a time; edges by child, as there."""
    components = _Components()
    for m in matches:
        if m.kind in DERIVED_KINDS:
            components.link(m.a, m.b)
    members: dict[str, list[str]] = defaultdict(list)
    for article_id in store.article_ids():
        members[components.root(article_id)].append(article_id)
    # Each component's derived matches, in the order of ``matches`` (build_forest breaks
    # ties in the order it meets candidates).
    derived: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        if m.kind in DERIVED_KINDS:
            derived[components.root(m.a)].append(m)
    edges: list[Edge] = []
    batch: list[str] = []
    roots: list[str] = []
    groups = iter(members.items())
    while True:
        root_id, group = next(groups, (None, None))
        if group is not None and (not batch or len(batch) + len(group) <= LINEAGE_ARTICLES):
            batch += group
            roots.append(root_id)
            continue
        if batch:
            sub_matches = [m for r in roots for m in derived.get(r, ())]
            found, _ = lineage.build_forest(store.articles(batch), sub_matches, store.attributions_of(batch), registry)
            edges += found
        if group is None:
            break
        batch, roots = list(group), [root_id]
    edges.sort(key=lambda e: e.child)
    return edges
