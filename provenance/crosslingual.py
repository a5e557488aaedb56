"""Cross-lingual reuse: which articles are translations of which, paragraph by paragraph.

1. Candidates, cheaply: an inverted index over language-independent anchors (numbers,
   dates, names; keys in too many articles are dropped) and, when an embedder is
   available, the nearest cross-language neighbours of each article's lead paragraph.
   Only a small profile of each article (``ArticleProfile``: language, hashed anchor keys,
   opening) is held for this; ``search`` reads the corpus through a ``TranslationCorpus``,
   so a database can hand it over a batch at a time and the pairs' articles a group at a
   time for step 2 (``find_translations`` holds them all, as a folder's trace does).
2. Verification: paragraphs are scored by anchor agreement first; a pair the anchors do
   not verify, when a model is available, is scored again by embedding cosine turned into
   a margin against each side's nearest neighbours, as in bitext mining. Only those
   pairs' articles get all their paragraphs embedded (the model is the slow part).
   Either way paragraphs are aligned monotonically: a translation keeps paragraph order
   and proportions. Same-story articles share facts and a few quotes, not an ordered run
   of paragraphs covering most of one side, so they are rejected.
3. Direction: publication dates, credits to the other's outlet, artifacts carried over
   (template placeholders, the other site's related-article teasers), content one side
   lacks. When nothing decides, the evidence says so and the confidence stays 0.5.

Spans of a ParagraphPair cover the two whole paragraphs (a translation reuses the
paragraph, not a substring of it).
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np

from .anchors import Anchor, anchor_keys, extract_anchors, shared_anchors
from .candidates.base import bucket_groups
from .embeddings import Embedder, EmbeddingCache, EmbeddingError, embed_cached, text_key
from .models import Article, Match, Paragraph, ParagraphPair, Span

# --- thresholds (principled, not tuned per document) -----------------------------------
MIN_PARAGRAPH_SIZE = 4  # words (or CJK characters / 2): shorter ones carry no signal
MAX_KEY_DOC_SHARE = 0.01  # an anchor key in more than 1% of articles is not selective
MIN_KEY_DOCS_CUTOFF = 20  # ...but small corpora keep every key
MAX_KEY_DOCS = 200  # ...and in large ones no key in more articles counts (its pairs grow as its square)
MIN_SHARED_KEYS = 2  # anchor keys two articles must share to become candidates...
MIN_KEY_OVERLAP = 0.3  # ...and this share of the keys of the one with fewer
MAX_PARTNERS = 20  # candidate partners per article from the anchor index
MIN_NUMBERS_TO_VETO = 3  # numbers/dates an article needs before their absence counts
OPENING_PARAGRAPHS = 2  # paragraphs embedded per article for candidate generation
LEAD_NEIGHBOURS = 2  # ...or mutual near neighbours (per language) that also share anchor keys
# Openings this close are copies of one text (a reprint, a syndicated copy): as neighbours
# they count once, so that three copies of a translation do not crowd out its original.
SAME_OPENING_COSINE = 0.97
BLOCK_CELLS = 1 << 24  # similarities computed at once between openings (64 MiB of float32)
MAX_OPENINGS_SCANNED = 64  # nearest openings looked at per article for those neighbours
MARGIN_NEIGHBOURS = 4  # k of the k-nearest-neighbour margin
MIN_MARGIN = 1.02  # cosine must beat the mean of the k best of both sides by 2%
MIN_COSINE = 0.75  # below this multilingual-e5 pairs are unrelated, whatever the margin
MIN_ANCHOR_SIMILARITY = 0.5  # Dice overlap of two paragraphs' anchors (anchor method)
MAX_LENGTH_DEVIATION = math.log(2.0)  # a pair twice as long/short as its siblings is not 1:1
MIN_ALIGNED = 3  # aligned content paragraph pairs for a translation...
MIN_COVERAGE = 0.6  # ...covering this share of the smaller side's content
MIN_IN_ORDER = 0.8  # share of mutual best matches that the monotone alignment keeps
MAX_GAP_FILL = 3  # unaligned paragraphs bridged between aligned neighbours

# Placeholders left by scraping/auto-translation pipelines: "[광고_2]", "[ad_1]", "{{ad}}".
_PLACEHOLDER_RE = re.compile(r"\[[^\[\]\s]{1,20}_\d{1,3}\]|\{\{[^{}]{1,30}\}\}|%%[A-Z_]{2,30}%%")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def placeholders(text: str) -> list[str]:
    """Template placeholders a scraping/auto-translation pipeline left in ``text``."""
    return _PLACEHOLDER_RE.findall(text)


class CrosslingualError(ValueError):
    """Inputs find_translations cannot work with (e.g. paragraphs outside the text)."""


@dataclass
class _Unit:
    """A paragraph taking part in alignment."""

    paragraph: Paragraph
    related: bool  # a related-article teaser: aligned for direction, never counted
    anchors: list[Anchor]
    size: int


@dataclass
class PreparedArticle:
    """An article as translation search reads it: its paragraphs with their anchors."""

    article: Article
    language: str
    units: list[_Unit]
    content_chars: int
    keys: set[str] = field(default_factory=set)


@dataclass
class _Alignment:
    pairs: list[tuple[int, int, float, str]]  # unit index a, unit index b, score, method
    filled: list[tuple[int, int]]  # pairs bridged by order only
    in_order: float
    method: str


def find_translations(
    articles: list[Article],
    *,
    embedder: Embedder | None = None,
    cache: EmbeddingCache | None = None,
    new: Collection[str] | None = None,
    jobs: int = 1,
) -> list[Match]:
    """One Match (kind "translation") per pair of articles in different languages where one
    is a whole or partial translation of the other; with ``new``, only pairs with a side in
    ``new`` are verified (the others were, by an earlier analysis). Anchors are extracted
    on ``jobs`` processes; the result does not depend on ``jobs``."""
    languages = {_base_language(x) for a in articles if (x := a.language or _majority_language(a))}
    if len(languages) < 2:
        return []  # one language: nothing to translate, and nothing to embed
    return search(_HeldCorpus(prepare_articles(articles, jobs)), embedder=embedder, cache=cache, new=new)


class TranslationCorpus(Protocol):
    """Where ``search`` reads the corpus: every article once, as an ``ArticleProfile``, a
    batch at a time, to find candidates; then, for verification, the prepared articles
    (``prepare_articles``) of a list of pairs, a group of pairs at a time. Held in memory,
    that is one batch and one group; a database holds a bounded part at a time
    (provenance/streaming.py)."""

    def profiles(self, with_opening: bool) -> Iterator[list[ArticleProfile]]:
        """``profile`` of every article that has a language, in corpus order (pairs and
        matches follow it), a batch at a time."""
        ...

    def groups(self, pairs: list[tuple[str, str]]) -> Iterator[tuple[list[int], dict[str, PreparedArticle]]]:
        """Indexes into ``pairs`` (article id pairs), each once, with the prepared articles
        those pairs name."""
        ...


class _HeldCorpus:
    def __init__(self, docs: list[PreparedArticle]) -> None:
        self._docs = docs

    def profiles(self, with_opening: bool) -> Iterator[list[ArticleProfile]]:
        yield [profile(d, with_opening) for d in self._docs]

    def groups(self, pairs: list[tuple[str, str]]) -> Iterator[tuple[list[int], dict[str, PreparedArticle]]]:
        if pairs:
            wanted = {x for pair in pairs for x in pair}
            yield list(range(len(pairs))), {d.article.id: d for d in self._docs if d.article.id in wanted}


@dataclass
class ArticleProfile:
    """What candidate search keeps of an article: its id and base language, its anchor keys
    as sorted 64-bit hashes (all of them, and those that are numbers or dates), and the
    texts of its opening when openings are to be embedded."""

    id: str
    language: str
    keys: np.ndarray
    numbers: np.ndarray
    opening: list[str]


def _key_hashes(keys: Iterable[str]) -> np.ndarray:
    return np.unique(np.fromiter(
        (int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little", signed=True) for k in keys),
        dtype=np.int64,
    ))


def profile(doc: PreparedArticle, with_opening: bool) -> ArticleProfile:
    """The ``ArticleProfile`` of a prepared article (its opening only ``with_opening``)."""
    opening = [u.paragraph.text for u in doc.units if not u.related][:OPENING_PARAGRAPHS] if with_opening else []
    return ArticleProfile(
        doc.article.id,
        _base_language(doc.language),
        _key_hashes(doc.keys),
        _key_hashes(k for k in doc.keys if not k.startswith("name:")),
        opening,
    )


def search(
    corpus: TranslationCorpus,
    *,
    embedder: Embedder | None = None,
    cache: EmbeddingCache | None = None,
    new: Collection[str] | None = None,
) -> list[Match]:
    """``find_translations`` over a corpus read through ``corpus``: what is held of the
    whole corpus at once is one ``ArticleProfile`` per article (and one opening vector with
    an embedder); the articles themselves are read a batch, then a group, at a time."""
    profiles: list[ArticleProfile] = []
    batch_ends: list[int] = []
    for batch in corpus.profiles(embedder is not None):
        profiles += batch
        batch_ends.append(len(profiles))
    if len({p.language for p in profiles}) < 2:
        return []
    ids = [p.id for p in profiles]
    fresh = None if new is None else {i for i, x in enumerate(ids) if x in new}
    candidates = _anchor_candidates(profiles)
    if fresh is not None:
        candidates = {(i, j) for i, j in candidates if i in fresh or j in fresh}
    if embedder is not None:
        try:
            lead = _lead_candidates(profiles, batch_ends, embedder, cache)
            return _find_with_embeddings(corpus, ids, profiles, candidates, lead, embedder, cache, fresh)
        except EmbeddingError as exc:
            # The model failed (corrupt install, out of memory): anchors still give an answer.
            fallback = f"embedding model failed ({exc}); decided by anchors alone"
            matches = _find_with_anchors(corpus, ids, candidates)
            for match in matches:
                match.evidence.append(fallback)
            return matches
    return _find_with_anchors(corpus, ids, candidates)


def _in_groups(corpus: TranslationCorpus, ids: list[str], pairs: list[tuple[int, int]]):
    """(pair, its two prepared articles) for each of ``pairs``, a group read at a time."""
    for indexes, docs in corpus.groups([(ids[i], ids[j]) for i, j in pairs]):
        for k in indexes:
            i, j = pairs[k]
            yield (i, j), docs[ids[i]], docs[ids[j]]


def _find_with_anchors(corpus: TranslationCorpus, ids: list[str], candidates: set[tuple[int, int]]) -> list[Match]:
    found = {pair: m for pair, a, b in _in_groups(corpus, ids, sorted(candidates)) if (m := _verify(a, b, None))}
    return [found[pair] for pair in sorted(found)]


def _find_with_embeddings(
    corpus: TranslationCorpus,
    ids: list[str],
    profiles: list[ArticleProfile],
    candidates: set[tuple[int, int]],
    lead: tuple[set[tuple[int, int]], set[tuple[int, int]]],
    embedder: Embedder,
    cache: EmbeddingCache | None,
    fresh: set[int] | None = None,
) -> list[Match]:
    # Anchors alone never verified a false pair on the dev data: a pair they verify keeps
    # their answer, and only the rest is embedded (the model is the slow part).
    found: dict[tuple[int, int], Match] = {}
    # Embed the rest only where worth it: anchors line up in order over part of the text,
    # or the two openings stand out as each other's cross-language neighbours.
    promising = set()
    for pair, a, b in _in_groups(corpus, ids, sorted(candidates)):
        if match := _verify(a, b, None):
            found[pair] = match
        elif _anchor_prefilter(a, b):
            promising.add(pair)
    standout, mutual = lead
    # In a dense neighbourhood (many articles on one story) a translation's opening may not
    # stand out; being mutual near neighbours plus sharing anchors is then enough to check.
    promising |= {
        (i, j) for i, j in standout | (mutual & candidates)
        if (i, j) not in found and not _numbers_disagree(profiles[i], profiles[j])
    }
    if fresh is not None:
        promising = {(i, j) for i, j in promising if i in fresh or j in fresh}
    # Vectors are per article and cached, a check per pair is cheap: once both sides of an
    # anchor candidate are embedded anyway, check that pair too (an original whose nearest
    # neighbours are its own reprints and same-story reports is found this way).
    embedded = {i for pair in promising for i in pair}
    promising |= {
        (i, j) for i, j in candidates - found.keys()
        if i in embedded and j in embedded and not _numbers_disagree(profiles[i], profiles[j])
    }
    position = {x: i for i, x in enumerate(ids)}
    pairs = sorted(promising)
    for indexes, docs in corpus.groups([(ids[i], ids[j]) for i, j in pairs]):
        # A group's articles are embedded in one call. Related-article teasers are aligned
        # by anchors only: they never decide anything.
        texts = [u.paragraph.text for x in sorted(docs, key=position.__getitem__) for u in docs[x].units if not u.related]
        vectors = embed_cached(texts, embedder, cache)
        for k in indexes:
            i, j = pairs[k]
            if match := _verify(docs[ids[i]], docs[ids[j]], vectors):
                found[(i, j)] = match
    return [found[pair] for pair in sorted(found)]


# --- preparation and candidates --------------------------------------------------------


def _size(text: str) -> int:
    return len(text.split()) + len(_CJK_RE.findall(text)) // 2


# Articles prepared in one process before a pool pays for itself.
PARALLEL_MIN_ARTICLES = 500
_prepare_state: list[Article] | None = None  # what forked workers read (copy-on-write)


def prepare_articles(articles: list[Article], jobs: int = 1) -> list[PreparedArticle]:
    """The articles that have a language, prepared for translation search (paragraphs with
    their anchors), in order; the anchor extraction (regexes over every paragraph, the slow
    part) on ``jobs`` forked processes when there are enough."""
    import multiprocessing

    global _prepare_state
    if jobs <= 1 or len(articles) < PARALLEL_MIN_ARTICLES or "fork" not in multiprocessing.get_all_start_methods():
        return [d for a in articles if (d := prepare_article(a)) is not None]
    from concurrent.futures import ProcessPoolExecutor

    from . import language as language_id

    language_id.wait_warm_up()  # no thread may hold a lock at fork time
    _prepare_state = articles
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            found = list(pool.map(_anchors_in_worker, range(len(articles)), chunksize=64))
    finally:
        _prepare_state = None
    # Rebuilt around the caller's own Article and Paragraph objects, not pickled copies.
    return [prepare_article(a, anchors) for a, anchors in zip(articles, found) if anchors is not None]


def _anchors_in_worker(i: int):
    return unit_anchors(_prepare_state[i])


def unit_anchors(article: Article) -> list[list[Anchor]] | None:
    """The anchors ``prepare_article`` extracts, one list per unit (None: no language), to
    be handed to it from another process."""
    doc = prepare_article(article)
    return None if doc is None else [u.anchors for u in doc.units]


def prepare_article(article: Article, anchors: list[list[Anchor]] | None = None) -> PreparedArticle | None:
    """The article's paragraphs with their anchors (``anchors``: those a worker extracted,
    one list per unit in order)."""
    language = article.language or _majority_language(article)
    if language is None:
        return None
    given = iter(anchors) if anchors is not None else None
    units = []
    content_chars = 0
    for p in article.paragraphs:
        if not 0 <= p.start <= p.end <= len(article.text):
            raise CrosslingualError(f"{article.id}: paragraph {p.index} outside the text")
        if p.is_content:
            content_chars += len(p.text)
        elif p.boilerplate != "related":
            continue
        if _size(p.text) < MIN_PARAGRAPH_SIZE and not p.is_content:
            continue
        found = next(given) if given is not None else extract_anchors(p.text, p.language or language)
        units.append(_Unit(p, p.boilerplate == "related", found, _size(p.text)))
    doc = PreparedArticle(article, language, units, content_chars)
    doc.keys = set().union(*(anchor_keys(u.anchors) for u in units if not u.related)) if units else set()
    return doc


def _majority_language(article: Article) -> str | None:
    counts: dict[str, int] = defaultdict(int)
    for p in article.content_paragraphs():
        if p.language:
            counts[p.language] += len(p.text)
    return max(counts, key=counts.__getitem__) if counts else None


def _base_language(language: str) -> str:
    return language.split("-")[0].lower()


def _anchor_candidates(profiles: list[ArticleProfile]) -> set[tuple[int, int]]:
    """Pairs in different languages sharing selective anchor keys (inverted index).

    Each key held by 2..cutoff articles gives its pairs in different languages a weight of
    1 / (articles holding it); the keys, pairs and their sums are numpy arrays (a dict entry
    per pair was the peak memory of a 20,000-article trace)."""
    n = len(profiles)
    key_count = np.array([len(p.keys) for p in profiles], dtype=np.int64)
    if not key_count.sum():
        return set()
    keys = np.concatenate([p.keys for p in profiles])
    members = np.repeat(np.arange(n, dtype=np.int64), key_count)
    order = np.lexsort((members, keys))  # by key, then article: pairs come out as i < j
    keys, members = keys[order], members[order]
    cutoff = min(MAX_KEY_DOCS, max(MIN_KEY_DOCS_CUTOFF, int(MAX_KEY_DOC_SHARE * n)))
    language_of: dict[str, int] = {}
    base = np.array([language_of.setdefault(p.language, len(language_of)) for p in profiles])
    codes, weights = [np.empty(0, dtype=np.int64)], [np.empty(0)]

    def across_languages(i: np.ndarray, j: np.ndarray, size: int) -> None:
        different = base[i] != base[j]
        codes.append(i[different] * n + j[different])
        weights.append(np.full(int(different.sum()), 1.0 / size))

    bucket_groups(keys, members, cutoff, across_languages)
    del keys, members
    pairs, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    shared_weight = np.bincount(inverse, weights=np.concatenate(weights), minlength=len(pairs))
    shared_count = np.bincount(inverse, minlength=len(pairs))
    del codes, weights, inverse
    first, second = pairs // n, pairs % n
    fewer = np.minimum(key_count[first], key_count[second])
    kept = (shared_count >= MIN_SHARED_KEYS) & (shared_count >= MIN_KEY_OVERLAP * fewer)
    partners: dict[int, list[tuple[float, int]]] = defaultdict(list)
    # Weights are rounded so that sums made in another order (another key order) rank alike.
    rounded = np.round(shared_weight[kept], 9)
    for i, j, weight in zip(first[kept].tolist(), second[kept].tolist(), rounded.tolist()):
        partners[i].append((weight, j))
        partners[j].append((weight, i))
    result = set()
    for i, options in partners.items():
        for _, j in sorted(options, reverse=True)[:MAX_PARTNERS]:
            result.add((min(i, j), max(i, j)))
    return result


def _anchor_prefilter(a: PreparedArticle, b: PreparedArticle) -> bool:
    """Anchors aligned in order cover at least half the coverage a translation needs."""
    alignment = _align_anchors(a, b, _anchor_similarity(a, b))
    pairs = [(i, j) for i, j, _, _ in alignment.pairs] + alignment.filled
    a_cov, b_cov = _coverage(a, b, pairs)
    small_cov = a_cov if a.content_chars <= b.content_chars else b_cov
    return small_cov >= MIN_COVERAGE / 2 and alignment.in_order >= MIN_IN_ORDER


def _numbers_disagree(a: ArticleProfile, b: ArticleProfile) -> bool:
    """A translation keeps its numbers and dates: when the side with fewer of them has at
    least MIN_NUMBERS_TO_VETO and under half recur in the other, the pair is not one."""
    fewer = min(len(a.numbers), len(b.numbers))
    if fewer < MIN_NUMBERS_TO_VETO:
        return False
    return len(np.intersect1d(a.numbers, b.numbers, assume_unique=True)) / fewer < 0.5


def _lead_candidates(
    profiles: list[ArticleProfile], batch_ends: list[int], embedder: Embedder, cache: EmbeddingCache | None
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Pairs by their openings (one vector per article, so the cost stays linear in the
    corpus): those closer than their other cross-language neighbours by MIN_MARGIN, and
    those among each other's LEAD_NEIGHBOURS nearest."""
    # The opening = mean of the first two content paragraphs; their vectors are cached and
    # reused if the article goes on to verification. Embedded a corpus batch at a time.
    if sum(1 for p in profiles if p.opening) < 2:
        return set(), set()
    have: list[int] = []
    rows: list[np.ndarray] = []
    start = 0
    for end in batch_ends:
        batch = [i for i in range(start, end) if profiles[i].opening]
        start = end
        if not batch:
            continue
        vectors = embed_cached([t for i in batch for t in profiles[i].opening], embedder, cache)
        have += batch
        rows += [np.mean([vectors[text_key(t)] for t in profiles[i].opening], axis=0) for i in batch]
    matrix = np.vstack(rows)
    del rows
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    # Ratio margin over the k nearest cross-language openings, as in bitext mining: the
    # opening of a translation stands out, same-story openings merely resemble each other.
    languages = np.array([profiles[i].language for i in have])
    k = min(MARGIN_NEIGHBOURS, len(have) - 1)
    knn = np.ones(len(have))
    nearest: list[set[int]] = []
    # Blocks of rows keep memory flat on large corpora (a block is rows x corpus); the
    # similarities are computed again for the margins rather than kept.
    step = max(16, min(1024, BLOCK_CELLS // len(have)))

    def similarities(start: int) -> np.ndarray:
        sims = matrix[start:start + step] @ matrix.T
        sims[languages[start:start + step, None] == languages[None, :]] = -np.inf
        return sims

    for start in range(0, len(have), step):
        sims = similarities(start)
        top = -np.sort(-sims, axis=1)[:, :k]
        finite = np.isfinite(top)
        count = finite.sum(axis=1)
        knn[start:start + len(sims)] = np.where(
            count > 0, np.where(finite, top, 0.0).sum(axis=1) / np.maximum(count, 1), 1.0
        )
        nearest += [_nearest_distinct(matrix, sims[r], languages) for r in range(len(sims))]
    mutual = {
        (min(have[r], have[c]), max(have[r], have[c]))
        for r, cols in enumerate(nearest) for c in cols if r in nearest[c]
    }
    result = set()
    for start in range(0, len(have), step):
        sims = similarities(start)
        rows_at = np.arange(start, start + len(sims))
        margin = sims / ((knn[rows_at, None] + knn[None, :]) / 2)
        for row, col in zip(*np.nonzero(margin >= MIN_MARGIN)):
            r = start + int(row)
            if r < col:
                result.add((have[r], have[int(col)]))
    return result, mutual


def _nearest_distinct(matrix: np.ndarray, sims: np.ndarray, languages: np.ndarray) -> set[int]:
    """The LEAD_NEIGHBOURS nearest openings in each other language, copies of one opening
    counting as one: a Korean original's English translation is then among its neighbours
    even when three English copies of it and same-story reports in other languages are nearer."""
    chosen: dict[str, list[int]] = defaultdict(list)
    found: set[int] = set()
    k = min(MAX_OPENINGS_SCANNED, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]  # linear: only the nearest few are sorted
    for col in top[np.argsort(-sims[top])]:
        if not np.isfinite(sims[col]):
            break
        col = int(col)
        picked = chosen[languages[col]]
        if any(float(matrix[col] @ matrix[c]) >= SAME_OPENING_COSINE for c in picked):
            found.add(col)  # a copy of a neighbour already taken
        elif len(picked) < LEAD_NEIGHBOURS:
            picked.append(col)
            found.add(col)
    return found


# --- verification ----------------------------------------------------------------------


def _verify(a: PreparedArticle, b: PreparedArticle, vectors: dict[str, np.ndarray] | None) -> Match | None:
    if not a.units or not b.units:
        return None
    anchor_sim = _anchor_similarity(a, b)
    if vectors is not None:
        alignment = _align_embeddings(a, b, vectors, anchor_sim)
    else:
        alignment = _align_anchors(a, b, anchor_sim)
    content_pairs = [
        (i, j) for i, j, _, _ in alignment.pairs
        if not a.units[i].related and not b.units[j].related
    ]
    a_cov, b_cov = _coverage(a, b, content_pairs + alignment.filled)
    small_cov = a_cov if a.content_chars <= b.content_chars else b_cov
    enough = min(MIN_ALIGNED, _countable(a), _countable(b))
    if len(content_pairs) < max(enough, 2) or alignment.in_order < MIN_IN_ORDER:
        return None
    if small_cov < MIN_COVERAGE:
        return None
    return _build_match(a, b, alignment, a_cov, b_cov, len(content_pairs))


def _countable(doc: PreparedArticle) -> int:
    return sum(1 for u in doc.units if not u.related and u.size >= MIN_PARAGRAPH_SIZE)


def _anchor_similarity(a: PreparedArticle, b: PreparedArticle) -> np.ndarray:
    """Dice overlap of paragraph anchors (numbers, dates, names incl. cross-script)."""
    sim = np.zeros((len(a.units), len(b.units)))
    for i, ua in enumerate(a.units):
        na = sum(1 for x in ua.anchors if x.kind != "term")
        if not ua.anchors:
            continue
        for j, ub in enumerate(b.units):
            nb = sum(1 for x in ub.anchors if x.kind != "term")
            shared = len(shared_anchors(ua.anchors, ub.anchors))
            if shared:
                # A caseless side's terms count only when they matched a name.
                sim[i, j] = 2 * shared / (max(na, shared) + max(nb, shared))
    return sim


def _margin(sim: np.ndarray) -> np.ndarray:
    """Ratio margin: cosine over the mean of each side's k nearest neighbours."""
    k_rows = min(MARGIN_NEIGHBOURS, sim.shape[1])
    k_cols = min(MARGIN_NEIGHBOURS, sim.shape[0])
    row_knn = -np.sort(-sim, axis=1)[:, :k_rows].mean(axis=1)
    col_knn = -np.sort(-sim, axis=0)[:k_cols, :].mean(axis=0)
    return sim / ((row_knn[:, None] + col_knn[None, :]) / 2)


def _align_embeddings(
    a: PreparedArticle, b: PreparedArticle, vectors: dict[str, np.ndarray], anchor_sim: np.ndarray
) -> _Alignment:
    ca = [i for i, u in enumerate(a.units) if not u.related]
    cb = [j for j, u in enumerate(b.units) if not u.related]
    cosine = np.zeros((len(a.units), len(b.units)))
    margin = np.zeros_like(cosine)
    if ca and cb:
        va = np.vstack([vectors[text_key(a.units[i].paragraph.text)] for i in ca])
        vb = np.vstack([vectors[text_key(b.units[j].paragraph.text)] for j in cb])
        block = va @ vb.T
        cosine[np.ix_(ca, cb)] = block
        margin[np.ix_(ca, cb)] = _margin(block)
    # A pair qualifies on margin; shared anchors let a borderline pair through.
    ok = (cosine >= MIN_COSINE) & (
        (margin >= MIN_MARGIN) | ((margin >= 1.0) & (anchor_sim >= MIN_ANCHOR_SIMILARITY))
    )
    # Teasers (related) have no vectors: anchors align them, for the direction evidence.
    teaser = np.array([u.related for u in a.units])[:, None] | np.array([u.related for u in b.units])[None, :]
    ok |= teaser & (anchor_sim >= MIN_ANCHOR_SIMILARITY)
    ok &= _size_ok(a, b)
    weight = np.where(ok, np.where(teaser, anchor_sim * 0.01, margin - 1.0) + 0.01, 0.0)
    pairs = [
        (i, j, float(anchor_sim[i, j] if teaser[i, j] else cosine[i, j]), "anchors" if teaser[i, j] else "embedding")
        for i, j in _monotone(weight)
    ]
    pairs = _drop_length_outliers(a, b, pairs)
    in_order = _in_order(np.where(teaser, 0.0, cosine), ok & ~teaser, pairs)
    # Every paragraph long enough was scored; only the short ones (headings) are bridged.
    filled = _fill_gaps(a, b, pairs, ~_size_ok(a, b))
    return _Alignment(pairs, filled, in_order, "embedding")


def _align_anchors(a: PreparedArticle, b: PreparedArticle, anchor_sim: np.ndarray) -> _Alignment:
    ok = (anchor_sim >= MIN_ANCHOR_SIMILARITY) & _size_ok(a, b)
    weight = np.where(ok, anchor_sim, 0.0)
    pairs = [(i, j, float(anchor_sim[i, j]), "anchors") for i, j in _monotone(weight)]
    pairs = _drop_length_outliers(a, b, pairs)
    in_order = _in_order(anchor_sim, ok, pairs)
    # Without a model, paragraphs between two anchored pairs are bridged by order alone.
    filled = _fill_gaps(a, b, pairs, np.ones_like(anchor_sim, dtype=bool))
    return _Alignment(pairs, filled, in_order, "anchors")


def _size_ok(a: PreparedArticle, b: PreparedArticle) -> np.ndarray:
    sa = np.array([u.size for u in a.units])[:, None]
    sb = np.array([u.size for u in b.units])[None, :]
    return (sa >= MIN_PARAGRAPH_SIZE) & (sb >= MIN_PARAGRAPH_SIZE)


def _monotone(weight: np.ndarray) -> list[tuple[int, int]]:
    """Order-preserving one-to-one alignment maximising the summed weight (DP)."""
    n, m = weight.shape
    best = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        row_prev, row = best[i - 1], best[i]
        for j in range(1, m + 1):
            w = weight[i - 1, j - 1]
            diag = row_prev[j - 1] + w if w > 0 else -1.0
            row[j] = max(row_prev[j], row[j - 1], diag)
    pairs = []
    i, j = n, m
    while i > 0 and j > 0:
        w = weight[i - 1, j - 1]
        if w > 0 and math.isclose(best[i, j], best[i - 1, j - 1] + w):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif best[i, j] == best[i - 1, j]:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _drop_length_outliers(
    a: PreparedArticle, b: PreparedArticle, pairs: list[tuple[int, int, float, str]]
) -> list[tuple[int, int, float, str]]:
    """A translated paragraph keeps its length relative to its siblings; a summary
    paragraph matched to a long one (or two paragraphs merged into one) does not."""
    if len(pairs) < 3:
        return pairs
    ratios = [math.log(len(a.units[i].paragraph.text) / len(b.units[j].paragraph.text)) for i, j, _, _ in pairs]
    median = float(np.median(ratios))
    return [p for p, r in zip(pairs, ratios) if abs(r - median) <= MAX_LENGTH_DEVIATION]


def _in_order(sim: np.ndarray, ok: np.ndarray, pairs: list[tuple[int, int, float, str]]) -> float:
    """Share of mutual best matches that the monotone alignment kept."""
    masked = np.where(ok, sim, -np.inf)
    mutual = {
        (i, int(masked[i].argmax())) for i in range(masked.shape[0])
        if np.isfinite(masked[i].max()) and int(masked[:, int(masked[i].argmax())].argmax()) == i
    }
    if not mutual:
        return 0.0
    kept = {(i, j) for i, j, _, _ in pairs}
    return len(mutual & kept) / len(mutual)


def _fill_gaps(
    a: PreparedArticle, b: PreparedArticle, pairs: list[tuple[int, int, float, str]], allowed: np.ndarray
) -> list[tuple[int, int]]:
    """Bridge equal-sized gaps between consecutive aligned pairs, and before the first and
    after the last (short headings, paragraphs without anchors): a translation keeps the
    order, so they correspond too."""
    if not pairs:
        return []
    bounds = [(-1, -1), *[(i, j) for i, j, _, _ in pairs], (len(a.units), len(b.units))]
    filled = []
    for (i1, j1), (i2, j2) in zip(bounds, bounds[1:]):
        gap = i2 - i1 - 1
        if gap == j2 - j1 - 1 and 0 < gap <= MAX_GAP_FILL:
            for k in range(1, gap + 1):
                i, j = i1 + k, j1 + k
                if allowed[i, j] and not a.units[i].related and not b.units[j].related:
                    filled.append((i, j))
    return filled


def _coverage(a: PreparedArticle, b: PreparedArticle, pairs: list[tuple[int, int]]) -> tuple[float, float]:
    a_chars = sum(len(a.units[i].paragraph.text) for i in {i for i, _ in pairs})
    b_chars = sum(len(b.units[j].paragraph.text) for j in {j for _, j in pairs})
    return (
        min(1.0, a_chars / a.content_chars) if a.content_chars else 0.0,
        min(1.0, b_chars / b.content_chars) if b.content_chars else 0.0,
    )


# --- the match and its direction -------------------------------------------------------


def _build_match(
    a: PreparedArticle, b: PreparedArticle, alignment: _Alignment, a_cov: float, b_cov: float, n_content: int,
) -> Match:
    pairs = []
    for i, j, score, method in alignment.pairs:
        pa, pb = a.units[i].paragraph, b.units[j].paragraph
        pairs.append(ParagraphPair(pa.index, pb.index, round(score, 3), [Span(pa.start, pa.end, pb.start, pb.end)], method))
    shared = []
    for i, j, _, _ in alignment.pairs:
        shared += shared_anchors(a.units[i].anchors, b.units[j].anchors)
    mean_score = float(np.mean([s for _, _, s, _ in alignment.pairs]))
    score = round(mean_score * (a_cov + b_cov) / 2 if alignment.method == "embedding" else (a_cov + b_cov) / 2, 3)
    how = "embedding margin" if alignment.method == "embedding" else "shared numbers, dates and names"
    a_name, b_name = _short(a.article), _short(b.article)
    evidence = [
        f"{n_content} paragraph pairs aligned in order ({how}): {n_content} of {_countable(a)} "
        f"paragraphs of {a_name}, {n_content} of {_countable(b)} of {b_name}; "
        f"{len(alignment.filled)} more bridged by position",
        f"aligned text covers {a_cov:.0%} of {a_name} and {b_cov:.0%} of {b_name}",
        f"decided by: {alignment.method}",
    ]
    if shared:
        shared.sort(key=lambda p: p[0].kind == "name" or p[1].kind == "name")  # facts first
        shown = list(dict.fromkeys(
            f"{x.surface} = {y.surface}" if x.surface != y.surface else x.surface for x, y in shared
        ))
        evidence.append(f"{len(shared)} numbers/dates/names shared: {', '.join(shown[:8])}")
    direction, confidence, reasons = _direction(a, b, alignment, a_cov, b_cov)
    evidence += reasons
    return Match(
        a=a.article.id, b=b.article.id, kind="translation", score=score, pairs=pairs,
        method=alignment.method, a_coverage=round(a_cov, 3), b_coverage=round(b_cov, 3),
        direction=direction, direction_confidence=round(confidence, 2), evidence=evidence,
    )


def _short(article: Article) -> str:
    return article.id.rsplit("/", 1)[-1]


def _direction(
    a: PreparedArticle, b: PreparedArticle, alignment: _Alignment, a_cov: float, b_cov: float
) -> tuple[tuple[str, str] | None, float, list[str]]:
    """Weigh direction cues; positive votes say a is the parent. Each cue is independent
    evidence; an undecided result is reported as such."""
    votes: list[tuple[float, str]] = []
    a_name, b_name = _short(a.article), _short(b.article)

    da, db = _parse_date(a.article.published), _parse_date(b.article.published)
    if da and db and da != db:
        earlier = a_name if da < db else b_name
        votes.append((0.8 if da < db else -0.8, f"{earlier} was published first ({min(da, db):%Y-%m-%d %H:%M})"))

    for parent, child, sign in ((a, b, 1.0), (b, a, -1.0)):
        credit = _credits(child.article, parent.article)
        if credit:
            votes.append((sign * 0.7, f"{_short(child.article)} credits {credit}, the outlet of {_short(parent.article)}"))

    teasers = sum(1 for i, j, _, _ in alignment.pairs if a.units[i].related or b.units[j].related)
    placeholder_found = False
    for parent, child, sign in ((a, b, 1.0), (b, a, -1.0)):
        placeholders = _PLACEHOLDER_RE.findall(child.article.text)
        if placeholders and not _PLACEHOLDER_RE.search(parent.article.text):
            # Teasers are navigation of the site they were written for; carried over
            # together with a copier's placeholder they show a scraped page was translated.
            carried = f" and {teasers} of {_short(parent.article)}'s related-article teasers" if teasers else ""
            placeholder_found = True
            votes.append((sign * (0.8 if teasers else 0.6),
                          f"{_short(child.article)} carries a template placeholder '{placeholders[0]}' "
                          f"left by a copying pipeline{carried}"))
    if teasers and not placeholder_found:
        votes.append((0.0, f"{teasers} related-article teasers were translated along with the text "
                           "(a whole web page was translated), but nothing shows whose they are"))

    if max(a_cov, b_cov) >= 0.9 and min(a_cov, b_cov) <= 0.75:
        partial_is_a = a_cov >= 0.9
        child = a_name if partial_is_a else b_name
        parent = b_name if partial_is_a else a_name
        votes.append((-0.4 if partial_is_a else 0.4,
                      f"{child} is almost wholly contained in {parent}, which has content {child} lacks "
                      "(partial translation)"))

    total = sum(v for v, _ in votes)
    reasons = [f"direction: {why}" for v, why in votes]
    if abs(total) < 0.3:
        decisive = [v for v, _ in votes if v != 0.0]
        reasons.append("direction undecided: " + (
            "the cues disagree" if decisive else "no publication dates, credits or copying artifacts tell"
        ))
        return None, 0.5, reasons
    confidence = 0.5 + 0.5 * math.tanh(abs(total))
    if total > 0:
        return (a.article.id, b.article.id), confidence, reasons
    return (b.article.id, a.article.id), confidence, reasons


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def _credits(child: Article, parent: Article) -> str | None:
    """The parent's outlet name or domain as written in the child, if any."""
    names = [n for n in (parent.outlet_name, parent.domain) if n and len(n) >= 2]
    own = {n.lower() for n in (child.outlet_name, child.domain) if n}
    for name in names:
        if name.lower() in own:
            continue
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", child.text, re.IGNORECASE):
            return name
    return None
