"""Stage 5b: monolingual alignment — which paragraphs two articles share, and where.

1. Candidates: a candidate engine (``provenance.candidates``) proposes paragraph pairs
   from MinHash signatures. The default, in memory, joins LSH band keys in numpy
   (paragraphs with similar shingle sets, Jaccard), adds article pairs sharing shingles
   rare in the corpus (heavy rewrites) and, in corpora of up to 1,000 articles, an LSH
   Ensemble (a quoted paragraph inside a longer one: low Jaccard, high containment); the
   others join band keys in SQLite, DuckDB or Spark.
2. Verification: each candidate pair is aligned token by token (difflib's matching
   blocks, computed from shared bigrams by ``provenance.runs``); runs of at least
   MIN_RUN tokens become spans with character offsets on both sides. A pair with too little
   aligned text is dropped: LSH is only a way to avoid comparing everything with everything.
3. Aggregation per pair of articles, never transitively: how much of each side is covered,
   how much of that is inside quotation marks (a third party's words, which two articles
   can share without one deriving from the other), and the match kind.
"""
from __future__ import annotations

import difflib
import gc
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import regex
from datasketch import LeanMinHash

from . import fingerprint as fp
from .candidates import CandidateEngine, MemoryEngine, Signature, day_of
from .candidates.memory import CONTAINMENT_THRESHOLD, JACCARD_THRESHOLD, MIN_SHARED_SHINGLES  # noqa: F401
from .models import Article, Match, Paragraph, ParagraphPair, Span
from .progress import SILENT, Progress
from .runs import shared_runs

MIN_UNIT_TOKENS = 6  # shorter paragraphs (bylines, subheads) are not matched on their own
MIN_RUN = {False: 3, True: 6}  # aligned run length in tokens: words / unspaced characters
MIN_PAIR_TOKENS = {False: 6, True: 12}
# The copy side of a derived pair needs this many tokens in unquoted shared runs of MIN_RUN
# or more, and this share of its own tokens in such runs...
MIN_DERIVED_TOKENS = {False: 8, True: 20}
MIN_RUNS_SHARE = 0.04
# ...and a reuse score (see compare) from REWRITE_SCORE; copy from COPY_SCORE.
# Set on the COUNTER dev half (Urdu agency -> newspaper reuse, all 600 texts in one
# folder): the best 3-class split of wholly / partially / non-derived with the newspaper
# text read as the copy, the runs floors kept so that two reports sharing only names,
# quotes and stock phrases stay apart.
REWRITE_SCORE = 0.20
COPY_SCORE = 0.58
# Bounded verification work (difflib's cost grows with length times repetition): each side
# of a pair is aligned on at most MAX_ALIGN_TOKENS tokens (a long news report has ~5,000),
# and a token found more than POPULAR_TOKEN times in one side cannot start a shared run
# (passim's maxDF idea applied to one pair; no report repeats a word that often). Both
# caps leave ordinary articles untouched and say so in the evidence when they apply.
MAX_ALIGN_TOKENS = 10_000
POPULAR_TOKEN = 300


@dataclass(slots=True)  # no per-instance dict: a corpus holds 10^5-10^6 of them
class Unit:
    """A content paragraph prepared for alignment: its words as token ids (not token
    objects: a 20,000-article corpus has 10^7 of them); character offsets and quotation
    regions are read from the text only for the paragraphs a match is found in."""

    article: str
    paragraph: Paragraph
    # The tokens (fingerprint.tokenize) as ids of one process-wide table (see token_ids):
    # what runs.shared_runs aligns and word weights are counted over.
    ids: np.ndarray
    # The paragraph's distinct shingles as 64-bit keys (see shingle_keys): the rare-shingle
    # index and the shingle count read them; strings would cost ten times the memory.
    shingles: np.ndarray
    hashvalues: np.ndarray  # the MinHash signature (fingerprint.signatures)
    unspaced: bool
    _offsets: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)
    _quotes: list[tuple[int, int]] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end offsets (in the article's text) of each token."""
        if self._offsets is None:
            tokens = fp.tokenize(self.paragraph.text, self.paragraph.start)
            self._offsets = (
                np.fromiter((t.start for t in tokens), dtype=np.int64, count=len(tokens)),
                np.fromiter((t.end for t in tokens), dtype=np.int64, count=len(tokens)),
            )
        return self._offsets

    @property
    def quotes(self) -> list[tuple[int, int]]:
        if self._quotes is None:
            self._quotes = quote_regions(self.paragraph.text, self.paragraph.start)
        return self._quotes

    @property
    def minhash(self) -> LeanMinHash:
        return fp.from_hashvalues(self.hashvalues)


# Token text -> small int, shared by every unit of a process, so two units' ids compare;
# _TOKEN_TEXT is the way back. Filled before verification forks its workers; it only
# grows (a few MB per 10^5 distinct words).
_TOKEN_IDS: dict[str, int] = {}
_TOKEN_TEXT: list[str] = []
_SHINGLE_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93], dtype=np.uint64)


def token_ids(words: list[str]) -> np.ndarray:
    """The ids of ``words`` (token texts) in the process-wide table."""
    table = _TOKEN_IDS
    for word in dict.fromkeys(words):  # new words numbered in order of appearance
        if word not in table:
            table[word] = len(_TOKEN_TEXT)
            _TOKEN_TEXT.append(word)
    return np.fromiter(map(table.__getitem__, words), dtype=np.int32, count=len(words))


def token_text(token_id: int) -> str:
    return _TOKEN_TEXT[token_id]


def shingle_keys(ids: np.ndarray, unspaced: bool) -> np.ndarray:
    """The distinct shingles of a paragraph (word 3-grams, character 4-grams in unspaced
    scripts, as fingerprint.shingles) as 64-bit keys mixed from the token ids: equal within
    one process (the id table's), colliding with odds of about 2^-64 per pair."""
    n = fp.CHAR_SHINGLE if unspaced else fp.WORD_SHINGLE
    values = ids.astype(np.uint64)
    if len(values) < n:
        values = np.concatenate([values, np.zeros(n - len(values), dtype=np.uint64)])
    count = len(values) - n + 1
    key = np.zeros(count, dtype=np.uint64)
    for k in range(n):  # uint64 arithmetic wraps: a hash, not a sum
        key = (key ^ values[k : k + count]) * _SHINGLE_MIX[k]
    return np.unique(key ^ (key >> np.uint64(29)))


def _unit_words(article: Article) -> list[tuple[Paragraph, list[str]]]:
    """The content paragraphs long enough to be matched on their own, with their words."""
    prepared = []
    for p in article.content_paragraphs():
        words = fp.words(p.text)
        if len(words) >= MIN_UNIT_TOKENS:
            prepared.append((p, words))
    return prepared


def signatures_and_words(article: Article) -> tuple[dict[int, np.ndarray], set[str]]:
    """What ingest computes of an article: the MinHash values of the paragraphs ``prepare``
    would make units of (their band keys are stored), and their distinct words; without
    building the units."""
    prepared = _unit_words(article)
    values = fp.signatures_of_words([words for _, words in prepared], [fp.is_unspaced(w) for _, w in prepared])
    words = {w for _, paragraph_words in prepared for w in paragraph_words}
    return {p.index: values[i] for i, (p, _) in enumerate(prepared)}, words


def signatures_of_texts(texts: Sequence[str]) -> np.ndarray:
    """The MinHash values of each paragraph text, as ``signatures_and_words`` computes
    those of unit paragraphs: how a store recomputes the signature behind its band keys."""
    words = [fp.words(text) for text in texts]
    return fp.signatures_of_words(words, [fp.is_unspaced(w) for w in words])


def article_words(article: Article) -> set[str]:
    """The distinct words of the paragraphs ``prepare`` makes units of: what the article
    adds to document frequencies."""
    return {w for _, words in _unit_words(article) for w in words}


# The hashvalues of a unit prepared unsigned (verification never reads them).
_UNSIGNED = np.empty(0, dtype=np.uint32)
# Paragraphs signed per call of fingerprint.signatures_of_words: 100k/s in batches of
# 1,000 here, 37k/s one article (5-10 paragraphs) at a time.
SIGN_BATCH = 1000


def prepare(article: Article, *, signed: bool = True) -> list[Unit]:
    """Units for the article's content paragraphs, with their MinHash signatures, or
    without (``signed=False``: verification needs none; see ``sign``)."""
    prepared = _unit_words(article)
    unspaced_of = [fp.is_unspaced(words) for _, words in prepared]
    computed = iter(fp.signatures_of_words([w for _, w in prepared], unspaced_of)) if signed else None
    units = []
    for (p, words), unspaced in zip(prepared, unspaced_of):
        ids = token_ids(words)
        units.append(
            Unit(
                article=article.id,
                paragraph=p,
                ids=ids,
                shingles=shingle_keys(ids, unspaced),
                hashvalues=next(computed) if computed is not None else _UNSIGNED,
                unspaced=unspaced,
            )
        )
    return units


def sign(units: list[Unit]) -> None:
    """Give units prepared unsigned their signatures, SIGN_BATCH paragraphs a call."""
    todo = [u for u in units if not len(u.hashvalues)]
    for start in range(0, len(todo), SIGN_BATCH):
        batch = todo[start : start + SIGN_BATCH]
        words = [[_TOKEN_TEXT[i] for i in u.ids.tolist()] for u in batch]  # the words prepare read
        values = fp.signatures_of_words(words, [u.unspaced for u in batch])
        for unit, row in zip(batch, values):
            unit.hashvalues = np.asarray(row, dtype=np.uint32)


def find_matches(
    articles: list[Article],
    notes: list[str] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
    *,
    engine: CandidateEngine | None = None,
    new: Collection[str] | None = None,
    window_days: int | None = None,
    pairs: set[tuple[str, str]] | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[Match]:
    """Verified monolingual matches between every pair of articles that share text.

    Candidate article pairs come from a candidate engine (default: the in-memory one:
    paragraph LSH for verbatim or lightly edited reuse, and shingles the two share that
    are rare in the corpus for heavy rewrites), or are given as ``pairs``. With ``new``
    only pairs with a side in ``new`` are compared; with ``window_days`` only pairs
    published at most that many days apart (undated articles are never excluded).
    ``vocabulary``: word weights of a larger corpus (default: those of ``articles``).
    Each candidate pair is then verified on its whole content, see ``compare``; when a
    work cap cut a pair's alignment short and no match came of it, ``notes`` (if given)
    gets a line saying so (a match carries the line in its evidence). Verification runs on
    ``jobs`` processes (see verify_pairs); the result does not depend on ``jobs``.
    """
    by_id = {a.id: a for a in articles}
    units: list[Unit] = []
    for article in articles:
        units.extend(prepare(article, signed=False))
    by_article: dict[str, list[Unit]] = defaultdict(list)
    for u in units:
        by_article[u.article].append(u)

    if pairs is None:
        sign(units)  # the candidate engines read the signatures; given pairs need none
        pairs = candidate_article_pairs(by_article, by_id, engine or MemoryEngine(), new)
    pairs = {p for p in pairs if p[0] in by_article and p[1] in by_article}
    if window_days is not None:
        pairs = {p for p in pairs if within_window(by_id[p[0]], by_id[p[1]], window_days)}
    weights = vocabulary if vocabulary is not None else Vocabulary(by_article)
    return verify_pairs(sorted(pairs), by_id, by_article, weights, notes, jobs, progress)


# Pairs verified in one process before a pool pays for itself.
PARALLEL_MIN_PAIRS = 200
_verify_state: tuple | None = None  # what forked workers read (copy-on-write), see verify_pairs


def verify_pairs(
    pairs: list[tuple[str, str]],
    by_id: dict[str, Article],
    by_article: dict[str, list[Unit]],
    vocabulary: Vocabulary,
    notes: list[str] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
) -> list[Match]:
    """``compare`` each candidate article pair, streaming: only verified matches are kept.

    With ``jobs`` > 1 and enough pairs, forked workers share the prepared units (inherited,
    not pickled) and get pairs in chunks; results come back in the order of ``pairs``, so
    the matches and notes are the same whatever ``jobs`` is.
    """
    import multiprocessing

    global _verify_state
    can_fork = "fork" in multiprocessing.get_all_start_methods()  # not on Windows
    if jobs <= 1 or len(pairs) < PARALLEL_MIN_PAIRS or not can_fork:
        results = (_verify_one(pair, by_id, by_article, vocabulary) for pair in pairs)
        return _collect(progress.track(results, "align (article pairs)", total=len(pairs)), notes)
    from concurrent.futures import ProcessPoolExecutor

    from . import language

    language.wait_warm_up()  # no thread may hold a lock at fork time
    vocabulary.weights()  # computed once, before the workers inherit it
    _verify_state = (by_id, by_article, vocabulary)
    # The children's garbage collector would write to every inherited object, copying the
    # parent's pages one by one: frozen objects are left alone.
    gc.freeze()
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = pool.map(_verify_in_worker, pairs, chunksize=64)
            return _collect(progress.track(results, "align (article pairs)", total=len(pairs)), notes)
    finally:
        _verify_state = None
        gc.unfreeze()


def _verify_one(pair, by_id, by_article, vocabulary) -> tuple[Match | None, list[str]]:
    a_id, b_id = pair
    notes: list[str] = []
    match = compare(by_id[a_id], by_article[a_id], by_id[b_id], by_article[b_id], vocabulary, notes)
    return match, notes


def _verify_in_worker(pair):
    return _verify_one(pair, *_verify_state)


def _collect(results, notes: list[str] | None) -> list[Match]:
    matches = []
    for match, pair_notes in results:
        if match is not None:
            matches.append(match)
        if notes is not None:
            notes.extend(pair_notes)
    return matches


def signatures_of(units: list[Unit], by_id: dict[str, Article]) -> list[Signature]:
    """What the candidate engines see of each unit."""
    days = {article_id: day_of(article.published) for article_id, article in by_id.items()}
    return [
        Signature(u.article, u.paragraph.index, u.hashvalues, max(1, len(u.shingles)), days.get(u.article))
        for u in units
    ]


def candidate_article_pairs(
    by_article: dict[str, list[Unit]],
    by_id: dict[str, Article],
    engine: CandidateEngine,
    new: Collection[str] | None = None,
) -> set[tuple[str, str]]:
    """Article pairs (ordered ids) the engine says may share text."""
    units = [u for article_units in by_article.values() for u in article_units]
    found = {(a, b) for (a, _), (b, _) in engine.pairs(signatures_of(units, by_id), new=new)}
    extra = engine.extra_article_pairs(
        {article_id: [u.shingles for u in us] for article_id, us in by_article.items() if us}
    )
    if new is not None:
        extra = {p for p in extra if p[0] in new or p[1] in new}
    return found | extra


def within_window(a: Article, b: Article, window_days: int) -> bool:
    """Were the two published at most ``window_days`` apart? True when either is undated."""
    return published_within(a.published, b.published, window_days)


def published_within(a: str | None, b: str | None, window_days: int) -> bool:
    """Are the two publication dates (ISO 8601) at most ``window_days`` apart? True when
    either is unknown."""
    days = [day_of(a), day_of(b)]
    if None in days:
        return True
    return abs((date.fromisoformat(days[0]) - date.fromisoformat(days[1])).days) <= window_days


class Vocabulary:
    """Word weights for containment: inverse document frequency over the articles compared.

    With fewer than MIN_IDF_ARTICLES articles, frequencies mean nothing: a handful of
    reports of one event share their topic words whether or not one copied the other, so
    shared vocabulary is not counted at all (``weighted`` is False) and runs decide alone.
    Words are token ids (see token_ids).
    """

    MIN_IDF_ARTICLES = 30

    def __init__(self, by_article: dict[str, list[Unit]]):
        self.size = len(by_article)
        self.weighted = self.size >= self.MIN_IDF_ARTICLES
        self._counts = np.zeros(0, dtype=np.int64)  # document frequency by token id
        self._text_counts: dict[str, int] | None = None  # or by text (stored frequencies)
        self._weights = np.zeros(0)
        if self.weighted:
            present = [np.unique(np.concatenate([u.ids for u in us])) for us in by_article.values() if us]
            if present:
                self._counts = np.bincount(np.concatenate(present), minlength=len(_TOKEN_TEXT))

    @classmethod
    def from_counts(cls, size: int, df: dict[str, int]) -> Vocabulary:
        """The weights of a corpus of ``size`` articles from stored document frequencies
        (``Store.vocabulary``), without the corpus in memory: an incremental trace."""
        vocabulary = cls({})
        vocabulary.size = size
        vocabulary.weighted = size >= cls.MIN_IDF_ARTICLES
        vocabulary._text_counts = dict(df) if vocabulary.weighted else {}
        return vocabulary

    def weights(self) -> np.ndarray:
        """Each token id's weight, log((1 + size) / (1 + df)) + 1 (all 1.0 unweighted)."""
        if len(self._weights) < len(_TOKEN_TEXT):  # the id table grew since: extend
            known = len(self._weights)
            if self._text_counts is not None:
                counts = np.fromiter((self._text_counts.get(w, 0) for w in _TOKEN_TEXT[known:]), dtype=np.float64)
            else:
                counts = np.zeros(len(_TOKEN_TEXT) - known)
                own = self._counts[known:]
                counts[: len(own)] = own
            added = np.log((1 + self.size) / (1 + counts)) + 1.0 if self.weighted else np.ones(len(counts))
            self._weights = np.concatenate([self._weights, added])
        return self._weights


def compare(
    a: Article,
    a_units: list[Unit],
    b: Article,
    b_units: list[Unit],
    vocabulary: Vocabulary,
    notes: list[str] | None = None,
) -> Match | None:
    """Align two articles' content token by token and decide what their shared text shows.

    Runs of at least two identical tokens, in order, are the shared text (difflib's
    longest-match recursion, a monotone approximation of greedy string tiling). Runs inside
    quotation marks on either side are a third party's words and do not count as reuse.
    Each side is then read as the copy, since which way the text went is lineage's call:
    its reuse score is the share of its tokens in unquoted shared runs plus half the share
    of its content words found in the other article, weighted by rarity (IDF over the
    compared articles; not counted with too few articles, see Vocabulary). That side is
    derived ("rewrite", or "copy" from COPY_SCORE) when the score reaches REWRITE_SCORE,
    at least MIN_RUNS_SHARE of its tokens lie in unquoted runs of MIN_RUN tokens or more,
    and those runs hold MIN_DERIVED_TOKENS tokens: shared vocabulary alone is what
    independent reports of one event have in common. The match takes the kind and score of
    the side that looks most like a copy.
    """
    a_side, b_side = _Side(a_units), _Side(b_units)
    if not len(a_side) or not len(b_side):
        return None
    unspaced = a_units[0].unspaced and b_units[0].unspaced
    caps = []
    for article, side in ((a, a_side), (b, b_side)):
        if len(side) > MAX_ALIGN_TOKENS:
            caps.append(
                f"alignment capped: only the first {MAX_ALIGN_TOKENS} of {len(side)} tokens of {article.id} were aligned"
            )
    a_side.cap(MAX_ALIGN_TOKENS)
    b_side.cap(MAX_ALIGN_TOKENS)
    words, counts = np.unique(b_side.ids, return_counts=True)
    popular = set(words[counts > POPULAR_TOKEN].tolist())
    if popular:
        caps.append(
            f"alignment capped: {len(popular)} word(s) repeated over {POPULAR_TOKEN} times in {b.id} "
            "cannot start a shared run"
        )
    by_pair: dict[tuple[int, int], list[Span]] = defaultdict(list)
    aligned_in_pair: Counter[tuple[int, int]] = Counter()
    free_run_tokens = 0
    long_free_tokens = 0
    quoted_tokens = 0
    for block in _matching_blocks(a_side.ids, b_side.ids, popular):
        if block.size < 2:
            continue
        for span, ua, ub, size in _split_block(a_side, b_side, block):
            by_pair[(ua.paragraph.index, ub.paragraph.index)].append(span)
            aligned_in_pair[(ua.paragraph.index, ub.paragraph.index)] += size
            if span.quoted:
                quoted_tokens += size
            else:
                free_run_tokens += size
                if size >= MIN_RUN[unspaced]:
                    long_free_tokens += size
    if not by_pair:
        _note_caps(notes, caps, a, b)
        return None

    a_words, b_words = _vocabulary_containment(a_side.ids, b_side.ids, vocabulary, frozenset((a.language, b.language)))
    # Each side read as the copy: the share of its tokens in shared runs plus half the
    # share of its rarity-weighted content words found in the other.
    a_score = free_run_tokens / len(a_side) + a_words / 2
    b_score = free_run_tokens / len(b_side) + b_words / 2
    floor = long_free_tokens >= MIN_DERIVED_TOKENS[unspaced]
    a_kind = _copy_kind(a_score, long_free_tokens / len(a_side), floor)
    b_kind = _copy_kind(b_score, long_free_tokens / len(b_side), floor)

    a_sizes = {u.paragraph.index: len(u) for u in a_units}
    b_sizes = {u.paragraph.index: len(u) for u in b_units}
    pairs = []
    for (ia, ib), spans in sorted(by_pair.items()):
        shorter_len = max(1, min(a_sizes[ia], b_sizes[ib]))
        pair_score = round(min(1.0, aligned_in_pair[(ia, ib)] / shorter_len), 3)
        pairs.append(ParagraphPair(ia, ib, pair_score, spans, method="align"))
    free = [s for p in pairs for s in p.spans if not s.quoted]
    a_cov = _covered([(s.a_start, s.a_end) for s in free]) / max(1, _content_length(a))
    b_cov = _covered([(s.b_start, s.b_end) for s in free]) / max(1, _content_length(b))

    # The match's own kind and score are those of the side that looks most like a copy.
    sides = [(a_kind is not None, a_score, a_kind), (b_kind is not None, b_score, b_kind)]
    derived, score, kind = max(sides, key=lambda side: (side[0], side[1]))
    if not derived:
        if quoted_tokens >= free_run_tokens and quoted_tokens >= MIN_PAIR_TOKENS[unspaced]:
            kind = "shared_quote"
        elif long_free_tokens >= MIN_PAIR_TOKENS[unspaced]:
            kind = "incidental"
        else:
            _note_caps(notes, caps, a, b)
            return None  # nothing worth showing: a few common word pairs
    evidence = [
        f"{len(pairs)} paragraph pair(s) share text: {free_run_tokens} words in shared runs"
        + (f" (+{quoted_tokens} inside quotation marks, not counted)" if quoted_tokens else ""),
        f"shared runs cover {a_cov:.0%} of {a.id} and {b_cov:.0%} of {b.id}",
        *(
            f"read as the copy, {x.id} has {free_run_tokens / n:.0%} of its words in shared runs"
            + (f" and {words:.0%} of its rarity-weighted content words in the other" if vocabulary.weighted else "")
            + f": reuse score {x_score:.2f} ({x_kind or 'not derived'})"
            for x, n, words, x_score, x_kind in (
                (a, len(a_side), a_words, a_score, a_kind),
                (b, len(b_side), b_words, b_score, b_kind),
            )
        ),
    ]
    if not vocabulary.weighted:
        evidence.append(
            f"shared vocabulary not counted: {vocabulary.size} articles are too few to tell rare words from common ones"
        )
    evidence += caps
    if kind == "shared_quote":
        evidence.append("what they share is mostly a third party's quoted words: not derivation")
    elif kind == "incidental":
        evidence.append("too little shared wording to show derivation")
    return Match(
        a=a.id,
        b=b.id,
        kind=kind,
        score=round(score, 3),
        pairs=pairs,
        method="align",
        a_coverage=round(a_cov, 3),
        b_coverage=round(b_cov, 3),
        evidence=evidence,
        a_score=round(a_score, 3),
        b_score=round(b_score, 3),
        a_kind=a_kind,
        b_kind=b_kind,
    )


class _Side:
    """One article's units as one token sequence: ids, and for each position its unit and
    its place in that unit (what spans are cut and located by)."""

    def __init__(self, units: list[Unit]):
        self.units = units
        lengths = np.fromiter((len(u) for u in units), dtype=np.int64, count=len(units))
        self.ids = np.concatenate([u.ids for u in units]) if units else np.zeros(0, dtype=np.int32)
        self.owner = np.repeat(np.arange(len(units), dtype=np.int64), lengths)
        self.first = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if units else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def cap(self, limit: int) -> None:
        self.ids, self.owner = self.ids[:limit], self.owner[:limit]


def _matching_blocks(a_ids: np.ndarray, b_ids: np.ndarray, popular: set[int]):
    """The runs the two sides share (difflib's matching blocks; see provenance.runs, which
    finds the same ones of two or more tokens faster). Popular words, which may not start
    a run, and pathological repetition go to difflib itself."""
    if not popular:
        found = shared_runs(a_ids, b_ids)
        if found is not None:
            return found
    matcher = difflib.SequenceMatcher(
        popular.__contains__ if popular else None, a_ids.tolist(), b_ids.tolist(), autojunk=False
    )
    return matcher.get_matching_blocks()


def _note_caps(notes: list[str] | None, caps: list[str], a: Article, b: Article) -> None:
    if notes is not None:
        notes.extend(f"{a.id} ~ {b.id}: {cap}, no match found" for cap in caps)


def _vocabulary_containment(
    a_ids: np.ndarray, b_ids: np.ndarray, vocabulary: Vocabulary, languages: frozenset[str | None]
) -> tuple[float, float]:
    """Share of each side's distinct content words (weighted by rarity) the other side uses.

    Stop words are left out: every text in a language shares them. (0, 0) when the
    corpus is too small to weigh words (see Vocabulary).
    """
    if not vocabulary.weighted:
        return 0.0, 0.0
    stop = _stop_ids(languages)
    a_words = np.setdiff1d(a_ids, stop)  # distinct, sorted
    b_words = np.setdiff1d(b_ids, stop)
    if not len(a_words) or not len(b_words):
        return 0.0, 0.0
    weights = vocabulary.weights()
    shared = float(weights[np.intersect1d(a_words, b_words, assume_unique=True)].sum())
    return shared / float(weights[a_words].sum()), shared / float(weights[b_words].sum())


def _stop_ids(languages: frozenset[str | None]) -> np.ndarray:
    """The token ids of the languages' stop words (those the id table holds), sorted."""
    key = (languages, len(_TOKEN_TEXT))
    found = _STOP_IDS.get(key)
    if found is None:
        ids = [_TOKEN_IDS[w] for w in _stopwords_of(languages) if w in _TOKEN_IDS]
        found = _STOP_IDS[key] = np.array(sorted(ids), dtype=np.int32)
    return found


_STOP_IDS: dict[tuple, np.ndarray] = {}


@lru_cache(maxsize=None)
def stopwords(language: str | None) -> frozenset[str]:
    """The stop words of ``language`` (ISO 639-1), normalised like tokens; empty if unknown."""
    import stopwordsiso  # a 200 kB JSON file: loaded on first use

    code = (language or "").split("-")[0].lower()
    if not code or not stopwordsiso.has_lang(code):
        return frozenset()
    # Multi-word entries ("bao giờ") cannot match a single token; keep the single words.
    return frozenset(fp.normalize_token(w) for w in stopwordsiso.stopwords(code) if " " not in w.strip())


@lru_cache(maxsize=64)
def _stopwords_of(languages: frozenset[str | None]) -> frozenset[str]:
    return frozenset().union(*(stopwords(language) for language in languages))


def _copy_kind(score: float, long_runs_share: float, enough_tokens: bool) -> str | None:
    """What a side is if it is the copy: "copy", "rewrite", or None (not derived)."""
    if not enough_tokens or long_runs_share < MIN_RUNS_SHARE or score < REWRITE_SCORE:
        return None
    return "copy" if score >= COPY_SCORE else "rewrite"


def _split_block(a_side: _Side, b_side: _Side, block):
    """Cut a matching block where either side crosses a paragraph boundary; each piece
    becomes a span with character offsets."""
    a_owner = a_side.owner[block.a : block.a + block.size]
    b_owner = b_side.owner[block.b : block.b + block.size]
    cuts = np.flatnonzero((a_owner[1:] != a_owner[:-1]) | (b_owner[1:] != b_owner[:-1])) + 1
    bounds = [0, *cuts.tolist(), block.size]
    for start, end in zip(bounds, bounds[1:]):
        ua = a_side.units[int(a_owner[start])]
        ub = b_side.units[int(b_owner[start])]
        a_first = block.a + start - int(a_side.first[int(a_owner[start])])
        b_first = block.b + start - int(b_side.first[int(b_owner[start])])
        a_starts, a_ends = ua.offsets
        b_starts, b_ends = ub.offsets
        size = end - start
        span = Span(
            int(a_starts[a_first]), int(a_ends[a_first + size - 1]),
            int(b_starts[b_first]), int(b_ends[b_first + size - 1]),
        )
        span.quoted = _inside(span.a_start, span.a_end, ua.quotes) or _inside(
            span.b_start, span.b_end, ub.quotes
        )
        yield span, ua, ub, size


def _content_length(article: Article) -> int:
    return sum(p.end - p.start for p in article.content_paragraphs())


def _covered(intervals: list[tuple[int, int]]) -> int:
    total, reach = 0, -1
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


_OPENERS = {"“": "”", "«": "»", "„": "“", "「": "」", "『": "』", "‹": "›", "‚": "‘"}
# Every character quote_regions acts on; the others are skipped without a Python step each.
_QUOTE_MARKS = regex.compile(
    "[" + regex.escape("".join({'"', "”", "»", "」", "』", *_OPENERS, *_OPENERS.values()})) + "]"
)


def quote_regions(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Regions inside quotation marks (offsets + ``offset``), tolerant of lost marks.

    Straight double quotes pair up in order; a closing mark with no opener (machine
    translation often loses one) opens at the start of the paragraph, an opener never
    closed runs to its end.
    """
    regions = []
    open_at: int | None = None
    expected: str | None = None
    for mark in _QUOTE_MARKS.finditer(text):
        i, ch = mark.start(), mark.group()
        if open_at is None:
            if ch == '"':
                open_at, expected = i, '"'
            elif ch in _OPENERS:
                open_at, expected = i, _OPENERS[ch]
            elif ch in ("”", "»", "」", "』"):
                regions.append((0, i + 1))
        elif ch == expected or (expected == '"' and ch in ("”",)):
            regions.append((open_at, i + 1))
            open_at = expected = None
    if open_at is not None:
        regions.append((open_at, len(text)))
    return [(s + offset, e + offset) for s, e in regions]


def _inside(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    """Is most of [start, end) inside the regions?"""
    if not regions or end <= start:
        return False
    inside = sum(max(0, min(end, e) - max(start, s)) for s, e in regions)
    return inside >= 0.7 * (end - start)
