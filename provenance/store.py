"""Stage 8: keep articles, paragraphs, band keys, attributions and the analysis in SQLite.

One file holds everything (schema: ``provenance/db/migrations/*.sql``). Each write is one
transaction, so an interrupted run never leaves half an article or half an analysis behind.
What is written reads back equal (dataclass equality) to what was written.

Several processes may use one file at once: it is in WAL mode (readers never block the
writer), every write transaction takes the write lock up front (BEGIN IMMEDIATE, so a
reader never has to upgrade its lock, which SQLite refuses at once with "database is
locked"), and waits up to ``BUSY_TIMEOUT_SECONDS`` for it, then tries again.
Every SQLite failure, on open, read or write, surfaces as one ``StoreError``.
"""
from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click
import numpy as np
import sqlite_utils

from provenance import candidates, segment
from provenance.db import MigrationError, load_migrations, migrate, schema_version
from provenance.extract import content_hash
from provenance.models import (
    Article,
    Attribution,
    Edge,
    Match,
    Outlet,
    Paragraph,
    ParagraphPair,
    Span,
)

# Fixed byte order, so a database file moves between machines. MinHash values are 32-bit
# (affine32); databases written before the compact schema hold them as uint64.
_VECTOR_DTYPE = np.dtype("<f4")
CACHE_KIB = 64 * 1024  # page cache of a database file, per connection
PAGE_SIZE = 16 * 1024  # bytes, of a database file created here
_KEY_BATCH = 2_000  # paragraphs whose band keys are recomputed together
# New band keys wait in band_staging (migration 0011) until they number STAGE_SHARE of the
# merged ones (at least STAGE_MIN_KEYS), then go into bands in one pass in key order: each
# merge rewrites bands' pages once, and the merges grow with the archive, so storing n
# articles costs O(n) page writes instead of a pass over bands per commit.
STAGE_SHARE = 0.125
STAGE_MIN_KEYS = 500_000
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024  # files up to this size are checked whole on open
# Stay well under SQLite's limit on bound parameters per statement.
_QUERY_CHUNK = 500


# How long a writer waits for another process's write transaction before retrying.
BUSY_TIMEOUT_SECONDS = 30.0
_WRITE_ATTEMPTS = 3


class StoreError(Exception):
    """The database cannot be opened, read, migrated or written as asked."""


def _reads(what: str):
    """Turn SQLite errors of a read method (a corrupt page, say) into a StoreError."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise StoreError(f"{self._name()}: could not read {what}: {exc}") from exc

        return wrapper

    return decorate


AddStatus = Literal["added", "unchanged", "replaced", "duplicate"]


@dataclass(frozen=True)
class AddResult:
    """What ``Store.add_article`` did.

    ``existing_id`` names the stored article with the same content when status is
    "duplicate" (and the article itself for "unchanged"); otherwise None.
    """

    status: AddStatus
    article_id: str
    existing_id: str | None = None


def default_db_path() -> Path:
    """Where the database lives when no --db is given.

    ``$PROVENANCE_DB`` when set; otherwise ``provenance.db`` in the user's application
    directory (``click.get_app_dir("provenance")``, e.g. ``~/.config/provenance`` on Linux),
    which is created if missing.
    """
    configured = os.environ.get("PROVENANCE_DB")
    if configured:
        return Path(configured).expanduser()
    app_dir = Path(click.get_app_dir("provenance"))
    app_dir.mkdir(parents=True, exist_ok=True)
    return app_dir / "provenance.db"


class Store:
    """A provenance database file (or an in-memory one, see ``Store.memory``)."""

    def __init__(
        self, path: str | Path, *, indexed: bool = True, full_text: bool = False, page_size: int = 0
    ) -> None:
        """Open the database at ``path``, creating it and its parent folder if needed,
        and bring its schema up to date. Raises StoreError if the file is not a provenance
        database or was written by a newer version of provenance.

        ``full_text``: whether a database created here keeps the full-text index of its
        articles (``articles_fts``: about 2.3 times the text, for Datasette's search box;
        see ``set_full_text``). An existing file keeps what it has. ``page_size``: the page
        size in bytes of a database created here (default PAGE_SIZE).

        ``indexed=False`` (a throw-away in-memory database only) keeps none of what serves
        later runs and readers: no full-text index, no band index, no document
        frequencies. A one-off ``trace`` without ``--db`` spends a third of its ingest
        time on them otherwise."""
        if not hasattr(sqlite_utils.Database, "atomic"):
            # Older sqlite-utils commits inside insert_all, which would break atomic writes.
            raise StoreError("provenance needs sqlite-utils 4.2 or newer")
        self.path: Path | None = None
        # A file we may not write is opened read-only (mode=ro), so that reading it never
        # tries to write, even as root; commands that must write say so in one line.
        self.read_only = False
        self.indexed = indexed
        self._in_batch = False  # inside batch(): transactions are savepoints of its one
        self._staged: int | None = None  # keys in band_staging, counted when first needed
        if not indexed and str(path) != ":memory:":
            raise ValueError("only an in-memory store can go without its indexes")
        if str(path) == ":memory:":
            db = sqlite_utils.Database(memory=True)
        else:
            self.path = Path(path)
            self.read_only = self.path.exists() and not os.access(self.path, os.W_OK)
            try:
                if self.read_only:
                    uri = self.path.resolve().as_uri() + "?mode=ro"
                    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)
                else:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
                db = sqlite_utils.Database(conn)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self._db = db
        try:
            # Outside any transaction: SQLite ignores these pragmas inside one.
            db.execute("PRAGMA foreign_keys = ON")
            if self.read_only:
                if schema_version(db) < load_migrations()[-1].version:
                    raise MigrationError("the database is read-only and needs a schema upgrade")
            else:
                created = schema_version(db) == 0 and not db.table_names()
                if created:
                    # Before the first table (and WAL) or never: 16 KiB pages hold an
                    # article row of 1-4 KB with a few percent lost at the page's end,
                    # 4 KiB ones lost a fifth of the articles table.
                    db.execute(f"PRAGMA page_size = {int(page_size or PAGE_SIZE)}")
                if self.path is not None:
                    _use_wal(db)
                    # WAL's own recommendation: a commit does not wait for an fsync; a power
                    # cut may lose the last commits but never corrupts the file or leaves
                    # half an article.
                    db.execute("PRAGMA synchronous = NORMAL")
                    # Band keys land all over their b-tree: SQLite's default 2 MiB page cache
                    # made every batch re-read the pages it had just written.
                    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
                migrate(db)
                if created and not full_text:
                    with self._transaction("create the database without a full-text index"):
                        self._drop_full_text()
                self._restore_full_text_triggers()
                self._rebuild_band_keys()
                self._fill_wording_keys()
                if not indexed:
                    for trigger in ("articles_ai", "articles_ad", "articles_au"):
                        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            # A damaged file can still open; catching it here costs a scan of the file but
            # saves storing into it ("1 added") and failing later on read. Past
            # QUICK_CHECK_MAX_BYTES the scan (about 5 s for a 100,000-article archive)
            # would be most of an incremental trace: damage there shows on read instead.
            size = self.path.stat().st_size if self.path is not None and self.path.exists() else 0
            problem = db.execute("PRAGMA quick_check(1)").fetchone()[0] if size <= QUICK_CHECK_MAX_BYTES else "ok"
            if problem != "ok":
                raise sqlite3.DatabaseError(f"the file is damaged ({' '.join(problem.split())})")
        except (MigrationError, sqlite3.Error) as exc:
            db.close()
            raise StoreError(f"cannot open database {self._name()}: {exc}") from exc

    @classmethod
    def memory(cls, *, indexed: bool = True, full_text: bool = False) -> Store:
        """A throw-away database that lives as long as the Store (tests, one-off traces)."""
        return cls(":memory:", indexed=indexed, full_text=full_text)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _name(self) -> str:
        return str(self.path) if self.path else ":memory:"

    def in_memory_copy(self) -> Store:
        """A copy of this database in memory: analyse a read-only file without writing it."""
        # SQLite copies into memory only between equal page sizes (older files have 4 KiB).
        copy = Store(":memory:", page_size=self._db.execute("PRAGMA page_size").fetchone()[0])
        try:
            self._db.conn.backup(copy._db.conn)
        except sqlite3.Error as exc:
            copy.close()
            raise StoreError(f"{self._name()}: could not copy the database: {exc}") from exc
        return copy

    @contextmanager
    def _transaction(self, what: str) -> Iterator[None]:
        """All writes inside happen, or none do; SQLite errors become StoreError."""
        if self.read_only:
            raise StoreError(f"{self._name()} is read-only: could not {what}")
        conn = self._db.conn
        if self._in_batch:
            try:
                conn.execute("SAVEPOINT provenance_write")
                try:
                    yield
                    conn.execute("RELEASE provenance_write")
                except BaseException:
                    conn.execute("ROLLBACK TO provenance_write")
                    conn.execute("RELEASE provenance_write")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"{self._name()}: could not {what}: {exc}") from exc
            return
        try:
            self._begin_immediate()
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"{self._name()}: could not {what}: {exc}") from exc

    @contextmanager
    def batch(self, what: str = "store a batch") -> Iterator[None]:
        """Many writes, one commit: each write inside still happens whole or not at all
        (a savepoint), and the batch commits at the end. Storing articles one transaction
        each rewrote every index page they touch per article (the band keys land all over
        their b-tree): half of ingest into a file. A crash loses the uncommitted batch,
        never part of an article."""
        if self._in_batch or self.read_only:
            yield
            return
        try:
            self._begin_immediate()
        except sqlite3.Error as exc:
            raise StoreError(f"{self._name()}: could not {what}: {exc}") from exc
        self._in_batch = True
        try:
            yield
        except BaseException:
            self._db.conn.rollback()
            raise
        else:
            try:
                self._db.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.conn.rollback()
                raise StoreError(f"{self._name()}: could not {what}: {exc}") from exc
        finally:
            self._in_batch = False

    def _begin_immediate(self) -> None:
        """Take the write lock now; SQLite already waits BUSY_TIMEOUT_SECONDS for it, and
        a writer that still finds it held (a long analysis save) waits once more."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                self._db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if attempt == _WRITE_ATTEMPTS or "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.05 * attempt)

    # Articles ----------------------------------------------------------------------------

    def add_article(
        self,
        article: Article,
        attributions: list[Attribution],
        fingerprints: dict[int, np.ndarray] | None = None,
    ) -> AddResult:
        """Store an article with its paragraphs, attributions and the band keys of its
        paragraph MinHash values, ``fingerprints`` (``align.signatures_and_words``; computed
        here when not given; a store without indexes keeps no keys, see ``indexed``).

        - same id and same content hash as stored: "unchanged", nothing is written;
        - same content hash stored under another id: stored too (two outlets printing one
          wire story are two publications, and their copy edge is the point), with status
          "duplicate" and ``existing_id`` naming the first;
        - same id, new content: "replaced": the old paragraphs, attributions, band keys
          and every match and edge touching the article are removed first;
        - otherwise "added".
        An article without a content_hash gets ``content_hash(article.text)``.
        """
        digest = article.content_hash or content_hash(article.text)
        for attribution in attributions:
            if attribution.article != article.id:
                raise StoreError(
                    f"attribution {attribution.phrase!r} belongs to {attribution.article!r}, "
                    f"not to {article.id!r}"
                )
        with self._transaction(f"store article {article.id}"):
            # The checks run inside the transaction so that another writer cannot slip in
            # between them and the write.
            stored = self._db.execute(
                "SELECT content_hash FROM articles WHERE id = ?", [article.id]
            ).fetchone()
            if stored and stored[0] == digest:
                return AddResult("unchanged", article.id, article.id)
            twin = self._db.execute(
                "SELECT id FROM articles WHERE content_hash = ? AND id != ? ORDER BY number LIMIT 1",
                [digest, article.id],
            ).fetchone()
            if stored:
                self._delete_bands([article.id])  # keys recomputed from the old text
                self._remove_article(article.id)
            # Plain executemany: sqlite-utils' insert_all inspects every row (a fifth of the
            # parent's ingest time on a large corpus), and these rows are ours, all scalars.
            number = self._insert_article(_article_row(article, digest))
            self._insert_rows("paragraphs", [_paragraph_row(number, article, p) for p in article.paragraphs])
            self._insert_rows("attributions", [_attribution_row(a) for a in attributions])
            self._insert_keys(number, article, fingerprints)
        if twin:
            return AddResult("duplicate", article.id, twin[0])
        return AddResult("replaced" if stored else "added", article.id)

    def _insert_article(self, row: dict) -> int:
        """INSERT an article row; returns its number (articles.number, migration 0010)."""
        cursor = self._db.conn.execute(
            f"INSERT INTO articles ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
        return cursor.lastrowid

    def _numbers(self, article_ids: Iterable[str]) -> dict[str, int]:
        """articles.number of each of those stored articles, by id."""
        return dict(self._select_in("SELECT id, number FROM articles WHERE id IN ({marks})", sorted(set(article_ids))))

    def _insert_keys(self, number: int, article: Article, fingerprints: dict[int, np.ndarray] | None) -> None:
        """The stored candidate index (see provenance.candidates): the band keys of the
        paragraph signatures of ``article`` (stored as ``number``), a lookup at trace time.
        The signatures themselves are not kept (migration 0009)."""
        if not self.indexed:
            return
        if fingerprints is None:
            from provenance import align

            fingerprints, _ = align.signatures_and_words(article)
        unknown = sorted(set(map(int, fingerprints)) - {int(p.index) for p in article.paragraphs})
        if unknown:
            raise StoreError(f"{article.id}: signatures of paragraphs it does not have: {unknown}")
        # A signature shorter than the bands (a test's) has no keys to store.
        keys = {
            (number, int(index)): candidates.band_keys(values)
            for index, values in fingerprints.items() if len(values) >= candidates.BANDS * candidates.ROWS
        }
        day = candidates.day_of(article.published)
        self._insert_band_keys(keys, dict.fromkeys(keys, day))

    def set_boilerplate(self, article: Article, fingerprints: dict[int, np.ndarray]) -> None:
        """Store the boilerplate labels ``article`` now has for its paragraphs, with the
        band keys of the signatures of its content paragraphs, ``fingerprints``, in place
        of the old ones; its text, credits and analysis stay (ingest's settled check of
        repeated paragraphs, see pipeline.ingest)."""
        with self._transaction(f"relabel the paragraphs of {article.id}"):
            number = self._numbers([article.id]).get(article.id)
            if number is None:
                raise StoreError(f"{article.id}: not stored, so its paragraphs cannot be relabelled")
            if self.indexed:
                self._delete_bands([article.id])  # keys recomputed from the stored text
            self._db.conn.executemany(
                "UPDATE paragraphs SET boilerplate = ? WHERE article = ? AND paragraph_index = ?",
                [(p.boilerplate, number, int(p.index)) for p in article.paragraphs],
            )
            self._insert_keys(number, article, fingerprints)

    @_reads("paragraphs")
    def paragraph_wordings(self, article_ids: Iterable[str]) -> list[tuple]:
        """(article id, outlet, domain, paragraph index, wording key, boilerplate label,
        length) of every paragraph of those articles (segment.repeated_labels reads them)."""
        return self._select_in(
            "SELECT a.id, a.outlet, a.domain, p.paragraph_index, p.wording, p.boilerplate, "
            "COALESCE(length(p.text), p.end_offset - p.start_offset) FROM paragraphs p "
            "JOIN articles a ON a.number = p.article WHERE a.id IN ({marks}) ORDER BY a.id, p.paragraph_index",
            sorted(set(article_ids)),
        )

    def _insert_rows(self, table: str, rows: list[dict]) -> None:
        """INSERT rows that all have the keys of the first (column names) into ``table``."""
        if not rows:
            return
        columns = list(rows[0])
        self._db.conn.executemany(
            f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(row[c] for c in columns) for row in rows],
        )

    def _remove_article(self, article_id: str) -> None:
        # Paragraphs, attributions, matches and the article's own parent
        # edge go by ON DELETE CASCADE (0004); edges whose parent it is have no foreign
        # key (a parent may be an outlet), and the explicit deletes cost nothing.
        self._db.execute("DELETE FROM articles WHERE id = ?", [article_id])
        self._db.execute("DELETE FROM matches WHERE a = ? OR b = ?", [article_id, article_id])
        self._db.execute("DELETE FROM edges WHERE parent = ? OR child = ?", [article_id, article_id])

    @_reads("articles")
    def articles(self, ids: Iterable[str] | None = None) -> list[Article]:
        """Stored articles with their paragraphs: all of them in the order they were stored,
        or those of ``ids`` that are stored, in the order asked."""
        if ids is None:
            rows = list(self._db.table("articles").rows_where(order_by="number"))
        else:
            wanted = list(dict.fromkeys(ids))
            by_id = {row["id"]: row for row in self._rows_in("articles", "id", wanted)}
            rows = [by_id[i] for i in wanted if i in by_id]
        texts = {row["number"]: row["text"] for row in rows}
        paragraphs: dict[int, list[Paragraph]] = defaultdict(list)
        for row in self._rows_in(
            "paragraphs", "article", [r["number"] for r in rows], order_by="article, paragraph_index"
        ):
            paragraphs[row["article"]].append(
                Paragraph(
                    index=row["paragraph_index"],
                    start=row["start_offset"],
                    end=row["end_offset"],
                    text=(
                        row["text"]
                        if row["text"] is not None
                        else texts[row["article"]][row["start_offset"] : row["end_offset"]]
                    ),
                    language=row["language"],
                    boilerplate=row["boilerplate"],
                )
            )
        return [
            Article(
                id=row["id"],
                source=row["source"],
                text=row["text"],
                title=row["title"],
                published=row["published"],
                outlet=row["outlet"],
                outlet_name=row["outlet_name"],
                url=row["url"],
                domain=row["domain"],
                language=row["language"],
                paragraphs=paragraphs[row["number"]],
                content_hash=row["content_hash"],
                format=row["format"],
                publisher_evidence=json.loads(row["publisher_evidence"] or "[]"),
                published_evidence=row["published_evidence"],
            )
            for row in rows
        ]

    @_reads("paragraphs")
    def wording_counts(
        self, outlet: str | None, domain: str | None, keys: Iterable[int], exclude: Iterable[str] = (),
        at_most: int | None = None,
    ) -> dict[int, int]:
        """For each wording key (segment.wording_key), how many stored articles of that
        outlet (or, with outlet None, of that domain and no outlet) print it, counted up to
        ``at_most`` if given; articles in ``exclude`` are not counted (the ones being stored
        again). Keys found nowhere are left out. An index lookup per key
        (segment.mark_repeated's archive). With ``at_most`` a key's lookup stops there: an
        outlet's footer is in every one of its articles, and counting them all made each
        new article's check grow with the archive."""
        if outlet is None and domain is None:
            return {}
        where, group = ("a.outlet = ?", outlet) if outlet is not None else ("a.outlet IS NULL AND a.domain = ?", domain)
        limit = -1 if at_most is None else int(at_most)  # SQLite: LIMIT -1 is none
        counts = self._db.execute(
            "SELECT k.value, (SELECT COUNT(*) FROM (SELECT DISTINCT p.article FROM paragraphs p "
            f"JOIN articles a ON a.number = p.article WHERE p.wording = k.value AND {where} "
            "AND a.id NOT IN (SELECT value FROM json_each(?)) LIMIT ?)) FROM json_each(?) k",
            [group, json.dumps(sorted(set(exclude))), limit, json.dumps(sorted(set(keys)))],
        ).fetchall()
        return {key: n for key, n in counts if n}

    def article(self, id: str) -> Article | None:
        found = self.articles([id])
        return found[0] if found else None

    @_reads("attributions")
    def attributions(self, article_id: str | None = None) -> list[Attribution]:
        """Attributions of one article, or of all, in the order they were stored."""
        where, args = ("article_id = ?", [article_id]) if article_id is not None else (None, None)
        return [_attribution(row) for row in self._db.table("attributions").rows_where(where, args, order_by="id")]

    def _rebuild_band_keys(self) -> None:
        """Recompute every stored band key from the text when the keys were made with
        another shingle hash than ``fingerprint.HASH`` (SHA-1 ones, before migration 0007),
        so that old and new articles compare. Runs on open; once done, reading one setting
        finds nothing to do. Pruned paragraphs stay out (only band_paragraphs are keyed)."""
        from . import fingerprint as fp

        row = self._db.execute("SELECT value FROM settings WHERE key = 'signature_hash'").fetchone()
        if row is not None and row[0] == fp.HASH:
            return
        with self._transaction("recompute the stored band keys"):
            conn = self._db.conn
            conn.execute("DELETE FROM bands")
            conn.execute("DELETE FROM band_staging")
            self._staged = 0
            indexed = conn.execute(
                "SELECT b.id, a.id, b.paragraph_index FROM band_paragraphs b JOIN articles a ON a.number = b.article "
                "ORDER BY b.id"
            ).fetchall()
            for start in range(0, len(indexed), _KEY_BATCH):
                batch = indexed[start : start + _KEY_BATCH]
                keys = self._recomputed_keys([(a, i) for _, a, i in batch])
                conn.executemany(
                    "INSERT OR IGNORE INTO bands (key, paragraph) VALUES (?, ?)",
                    [(k, paragraph) for paragraph, a, i in batch for k in keys.get((a, i), ())],
                )
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('signature_hash', ?)", [fp.HASH])

    def _recomputed_signatures(self, paragraphs: list[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        """The MinHash signatures of those stored (article, paragraph index)es, computed
        from their text as ingest computed them (``align.signatures_of_texts``)."""
        from provenance import align

        texts = self._paragraph_texts(paragraphs)
        found = [key for key in paragraphs if key in texts]
        values = align.signatures_of_texts([texts[key] for key in found]) if found else []
        return dict(zip(found, values))

    def _recomputed_keys(self, paragraphs: list[tuple[str, int]]) -> dict[tuple[str, int], list[int]]:
        return {
            key: candidates.band_keys(values)
            for key, values in self._recomputed_signatures(paragraphs).items()
            if len(values) >= candidates.BANDS * candidates.ROWS
        }

    def _paragraph_texts(self, paragraphs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The text of each of those stored (article, paragraph index)es."""
        wanted = set(paragraphs)
        rows = self._select_in(
            "SELECT a.id, p.paragraph_index, COALESCE(p.text, "
            "substr(a.text, p.start_offset + 1, p.end_offset - p.start_offset)) "
            "FROM paragraphs p JOIN articles a ON a.number = p.article WHERE a.id IN ({marks})",
            sorted({a for a, _ in wanted}),
        )
        return {(article_id, index): text for article_id, index, text in rows if (article_id, index) in wanted}

    def _fill_wording_keys(self) -> None:
        """Compute the wording key of paragraphs stored before migration 0008 (NULL).
        Runs on open; the index on the column makes finding none a single probe."""
        if self._db.execute("SELECT 1 FROM paragraphs WHERE wording IS NULL LIMIT 1").fetchone() is None:
            return
        with self._transaction("compute the stored paragraphs' wording keys"):
            self._db.conn.create_function("provenance_wording_key", 1, segment.wording_key, deterministic=True)
            self._db.execute(
                "UPDATE paragraphs SET wording = provenance_wording_key(COALESCE(text, "
                "(SELECT substr(a.text, paragraphs.start_offset + 1, paragraphs.end_offset - paragraphs.start_offset) "
                "FROM articles a WHERE a.number = paragraphs.article))) WHERE wording IS NULL"
            )

    # Candidate index (bands) -------------------------------------------------------------
    # A paragraph's keys are a pure function of its signature, which is a pure function of
    # its text: they are recomputed from the text wherever they are needed (lookup,
    # removal) rather than indexed twice or kept as a signature.

    def _insert_bands(self, rows: Iterable[candidates.BandRow]) -> None:
        rows = list(rows)
        numbers = self._numbers(r.article for r in rows)
        unknown = sorted({r.article for r in rows} - set(numbers))
        if unknown:
            raise StoreError(f"band keys of articles that are not stored: {', '.join(unknown[:3])}")
        by_paragraph: dict[tuple[int, int], list[int]] = defaultdict(list)
        days: dict[tuple[int, int], str | None] = {}
        for r in rows:
            by_paragraph[(numbers[r.article], int(r.paragraph))].append(int(r.key))
            days[(numbers[r.article], int(r.paragraph))] = r.day
        self._insert_band_keys(by_paragraph, days)

    def _insert_band_keys(
        self, by_paragraph: dict[tuple[int, int], list[int]], days: dict[tuple[int, int], str | None]
    ) -> None:
        """Store the band keys of each (article number, paragraph) of ``by_paragraph``, with
        its day: the paragraph in band_paragraphs, its keys staged (see STAGE_SHARE)."""
        if not by_paragraph:
            return
        conn = self._db.conn
        paragraphs = [(number, index, days[(number, index)]) for number, index in by_paragraph]
        conn.executemany(
            "DELETE FROM band_paragraphs WHERE article = ? AND paragraph_index = ?", [p[:2] for p in paragraphs]
        )
        conn.executemany("INSERT INTO band_paragraphs (article, paragraph_index, day) VALUES (?, ?, ?)", paragraphs)
        ids = {}
        for number in {p[0] for p in paragraphs}:
            ids.update(
                ((number, index), row_id)
                for row_id, index in conn.execute(
                    "SELECT id, paragraph_index FROM band_paragraphs WHERE article = ?", [number]
                )
            )
        staged = [(ids[paragraph], k) for paragraph, keys in by_paragraph.items() for k in keys]
        conn.executemany("INSERT OR IGNORE INTO band_staging (paragraph, key) VALUES (?, ?)", staged)
        self._staged = self._staged_count() + len(staged)
        if self._staged >= STAGE_MIN_KEYS and self._staged >= STAGE_SHARE * self._merged_estimate():
            self._merge_staged_keys()

    def _merged_estimate(self) -> int:
        """About how many keys bands holds, from the paragraph ids handed out (pruned and
        replaced ones count too): it only decides when to merge, never what a lookup finds."""
        issued = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'band_paragraphs'").fetchone()
        return (issued[0] if issued else 0) * candidates.BANDS - self._staged_count()

    def _staged_count(self) -> int:
        """Keys in band_staging: counted once, then kept up by this Store's writes (an
        estimate too: deletes and other writers' merges are not subtracted)."""
        if self._staged is None:
            self._staged = self._db.execute("SELECT COUNT(*) FROM band_staging").fetchone()[0]
        return self._staged

    def _merge_staged_keys(self) -> None:
        """Move the staged band keys into bands, in key order (inside the caller's
        transaction): one pass over the pages of bands they land on."""
        conn = self._db.conn
        conn.execute(
            "INSERT OR IGNORE INTO bands (key, paragraph) SELECT key, paragraph FROM band_staging ORDER BY key, paragraph"
        )
        conn.execute("DELETE FROM band_staging")
        self._staged = 0

    def settle_band_keys(self) -> None:
        """Merge the staged band keys into bands (ingest does at its end; every lookup does
        first, for an interrupted ingest's); a read-only file cannot, and says so."""
        if not self._db.execute("SELECT EXISTS (SELECT 1 FROM band_staging)").fetchone()[0]:
            return
        if self.read_only:
            raise StoreError(
                f"{self._name()} is read-only and holds band keys not yet merged (an ingest that did not "
                "finish): open it writable once, or read a copy (Store.in_memory_copy)"
            )
        with self._transaction("merge the staged band keys"):
            self._merge_staged_keys()

    def _delete_bands(self, article_ids: list[str], before: str | None = None) -> tuple[int, int, int]:
        """Remove the index entries of those articles' paragraphs (published before day
        ``before`` only, if given); returns (keys, paragraphs, articles) removed."""
        where = "" if before is None else " AND b.day < ?"
        rows = self._select_in(
            "SELECT b.id, a.id, b.paragraph_index FROM band_paragraphs b JOIN articles a ON a.number = b.article "
            f"WHERE a.id IN ({{marks}}){where}",
            article_ids, [] if before is None else [before],
        )
        removed = 0
        for start in range(0, len(rows), _KEY_BATCH):
            batch = rows[start : start + _KEY_BATCH]
            keys = self._recomputed_keys([(a, i) for _, a, i in batch])
            cursor = self._db.conn.executemany(
                "DELETE FROM bands WHERE key = ? AND paragraph = ?",
                [(k, paragraph) for paragraph, a, i in batch for k in keys.get((a, i), ())],
            )
            removed += cursor.rowcount
            ids = [(r[0],) for r in batch]
            removed += self._db.conn.executemany("DELETE FROM band_staging WHERE paragraph = ?", ids).rowcount
            self._db.conn.executemany("DELETE FROM band_paragraphs WHERE id = ?", ids)
        return removed, len(rows), len({r[1] for r in rows})

    def add_missing_keys(self, batch: int = 2_000) -> None:
        """Store the band keys, computed from their text, of the undecided articles that
        have none (stored before the band index existed), ``batch`` articles a commit;
        finding none is one query."""
        missing = self.unbanded_articles()
        for start in range(0, len(missing), batch):
            with self.batch("store band keys"):
                chunk = self.articles(missing[start : start + batch])
                numbers = self._numbers(a.id for a in chunk)
                for article in chunk:
                    with self._transaction(f"store the band keys of {article.id}"):
                        self._insert_keys(numbers[article.id], article, None)

    def add_bands(self, rows: Iterable[candidates.BandRow]) -> None:
        """Store band keys (those of paragraphs stored before the index existed)."""
        with self._transaction("store band keys"):
            self._insert_bands(rows)

    @_reads("band keys")
    def banded_paragraphs(self, article_ids: Iterable[str]) -> set[tuple[str, int]]:
        """The (article, paragraph) keys of those articles that are in the band index."""
        return set(self._select_in(
            "SELECT a.id, b.paragraph_index FROM band_paragraphs b JOIN articles a ON a.number = b.article "
            "WHERE a.id IN ({marks})",
            sorted(set(article_ids)),
        ))

    @_reads("band keys")
    def band_pairs(self, max_bucket: int | None = None) -> Iterator[tuple[tuple[str, int], tuple[str, int]]]:
        """Every pair of paragraphs of different articles sharing a band key, once; keys
        held by more than ``max_bucket`` paragraphs are skipped (see ``crowded_keys``)."""
        self.settle_band_keys()
        skip = ""
        args: list = []
        if max_bucket is not None:
            skip = "WHERE x.key NOT IN (SELECT key FROM bands GROUP BY key HAVING COUNT(*) > ?)"
            args = [max_bucket]
        cursor = self._db.execute(
            "SELECT ax.id, pair.pa, ay.id, pair.pb FROM ("
            "SELECT DISTINCT px.article AS a, px.paragraph_index AS pa, py.article AS b, py.paragraph_index AS pb "
            "FROM bands x JOIN bands y ON y.key = x.key AND y.paragraph != x.paragraph "
            "JOIN band_paragraphs px ON px.id = x.paragraph JOIN band_paragraphs py ON py.id = y.paragraph "
            f"AND px.article < py.article {skip}) pair "
            "JOIN articles ax ON ax.number = pair.a JOIN articles ay ON ay.number = pair.b",
            args,
        )
        for a, pa, b, pb in cursor:
            yield (a, pa), (b, pb)

    def _postings(self, article_ids: list[str]) -> tuple[dict[tuple[str, int], list[int]], dict[int, list[tuple[str, int]]]]:
        """The keys of those articles' indexed paragraphs (recomputed from their text),
        and for each such key the indexed paragraphs that hold it."""
        self.settle_band_keys()
        keys_of = self._recomputed_keys(sorted(self.banded_paragraphs(article_ids)))
        wanted = sorted({k for keys in keys_of.values() for k in keys})
        postings: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for key, article_id, index in self._select_in(
            "SELECT b.key, a.id, p.paragraph_index FROM bands b JOIN band_paragraphs p ON p.id = b.paragraph "
            "JOIN articles a ON a.number = p.article WHERE b.key IN ({marks})",
            wanted,
        ):
            postings[key].append((article_id, index))
        return keys_of, postings

    @_reads("band keys")
    def band_partners(
        self, article_ids: list[str], max_bucket: int | None = None
    ) -> Iterator[tuple[tuple[str, int], tuple[str, int]]]:
        """Pairs of a paragraph of ``article_ids`` and any indexed paragraph of another
        article sharing a band key with it (a key lookup each), once each, ordered; keys
        held by more than ``max_bucket`` paragraphs are skipped."""
        keys_of, postings = self._postings(article_ids)
        seen: set[tuple] = set()
        for paragraph, keys in sorted(keys_of.items()):
            for key in keys:
                holders = postings[key]
                if max_bucket is not None and len(holders) > max_bucket:
                    continue
                for other in holders:
                    if other[0] == paragraph[0]:
                        continue
                    pair = (paragraph, other) if paragraph < other else (other, paragraph)
                    if pair not in seen:
                        seen.add(pair)
                        yield pair

    @_reads("band keys")
    def crowded_keys(self, max_bucket: int, article_ids: list[str] | None = None) -> int:
        """How many band keys (of ``article_ids``' paragraphs, default all) more than
        ``max_bucket`` paragraphs share: the candidates a cap left out."""
        if article_ids is None:
            self.settle_band_keys()
            return self._db.execute(
                "SELECT COUNT(*) FROM (SELECT key FROM bands GROUP BY key HAVING COUNT(*) > ?)", [max_bucket]
            ).fetchone()[0]
        _, postings = self._postings(article_ids)
        return sum(1 for holders in postings.values() if len(holders) > max_bucket)

    @_reads("band keys")
    def band_key_arrays(self, chunk: int = 500_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every stored band key as (band_paragraphs ids, keys), two int64 arrays of up to
        ``chunk`` rows at a time, in key order, without a Python object per key, read
        without holding them (``indexed_paragraphs`` names the ids)."""
        self.settle_band_keys()
        cursor = self._db.execute("SELECT paragraph, key FROM bands")
        while rows := cursor.fetchmany(chunk):
            flat = np.fromiter((v for row in rows for v in row), dtype=np.int64, count=2 * len(rows)).reshape(-1, 2)
            yield flat[:, 0], flat[:, 1]

    @_reads("band keys")
    def indexed_paragraphs(self) -> list[tuple[int, str, int]]:
        """(band_paragraphs id, article id, paragraph index) of every indexed paragraph."""
        return self._db.execute(
            "SELECT b.id, a.id, b.paragraph_index FROM band_paragraphs b JOIN articles a ON a.number = b.article"
        ).fetchall()

    @_reads("band keys")
    def unbanded_articles(self) -> list[str]:
        """Ids of the undecided stored articles without any band key (stored before the
        band index existed; a decided article without keys was pruned), in stored order."""
        return [r[0] for r in self._db.execute(
            "SELECT id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM band_paragraphs b WHERE b.article = a.number) "
            "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.article = a.number) ORDER BY number"
        )]

    @_reads("articles")
    def article_ids(self) -> list[str]:
        """Ids of the stored articles, in the order they were stored."""
        return [r[0] for r in self._db.execute("SELECT id FROM articles ORDER BY number")]

    @_reads("articles")
    def article_dates(self) -> dict[str, str | None]:
        """Each stored article's publication date (ISO 8601, None if unknown), by id."""
        return dict(self._db.execute("SELECT id, published FROM articles ORDER BY number").fetchall())

    @_reads("articles")
    def publishers(self) -> list[tuple[str, str | None]]:
        """(outlet id, outlet name as found) of the stored articles that have an outlet,
        in the order they were stored."""
        return self._db.execute(
            "SELECT outlet, outlet_name FROM articles WHERE outlet IS NOT NULL ORDER BY number"
        ).fetchall()

    @_reads("articles")
    def languages(self) -> tuple[int, int]:
        """(how many article languages the store holds, how many articles have none)."""
        return self._db.execute("SELECT COUNT(DISTINCT language), SUM(language IS NULL) FROM articles").fetchone()

    @_reads("band keys")
    def signature_table(self) -> Iterator[tuple[str, int, str | None, np.ndarray]]:
        """(article, paragraph, day, hashvalues as uint64) of every paragraph in the band
        index, by day (undated first), article and paragraph (``provenance sign``); the
        signatures are recomputed from the text, _KEY_BATCH paragraphs at a time."""
        rows = self._db.execute(
            "SELECT a.id, b.paragraph_index, b.day FROM band_paragraphs b JOIN articles a ON a.number = b.article "
            "ORDER BY b.day, a.id, b.paragraph_index"
        ).fetchall()
        for start in range(0, len(rows), _KEY_BATCH):
            batch = rows[start : start + _KEY_BATCH]
            signatures = self._recomputed_signatures([(a, i) for a, i, _ in batch])
            for article, paragraph, day in batch:
                if (article, paragraph) in signatures:
                    yield article, paragraph, day, np.asarray(signatures[(article, paragraph)], dtype=np.uint64)

    def prune_bands(self, before: str) -> dict[str, int]:
        """Drop the band keys of paragraphs published before day ``before`` (YYYY-MM-DD).

        Articles, their text and their analysis stay; they just stop being candidates for
        new articles. Undated articles are never pruned. Returns the counts removed.
        """
        with self._transaction(f"prune band keys before {before}"):
            old = [r[0] for r in self._db.execute(
                "SELECT DISTINCT a.id FROM band_paragraphs b JOIN articles a ON a.number = b.article WHERE b.day < ?",
                [before],
            )]
            keys, paragraphs, articles = self._delete_bands(old, before)
        return {"keys": keys, "paragraphs": paragraphs, "articles": articles}

    # Document frequencies (incremental trace) ---------------------------------------------

    def count_words(self, words: Iterable[str], change: int) -> None:
        """Add ``change`` (+1: an article stored, -1: one removed) to the document frequency
        of each of ``words`` (one article's distinct words) and to the article count."""
        words = set(words)
        if words:
            self.change_word_counts(dict.fromkeys(words, change), change)

    def change_word_counts(self, changes: dict[str, int], articles: int) -> None:
        """Add each of ``changes`` (word -> change) to that word's document frequency and
        ``articles`` to the number of articles counted: a batch's ``count_words`` at once."""
        rows = [(w, n) for w, n in changes.items() if n]
        with self._transaction("count words"):
            self._db.conn.executemany(
                "INSERT INTO vocabulary (word, articles) VALUES (?, ?) "
                "ON CONFLICT (word) DO UPDATE SET articles = articles + excluded.articles",
                rows,
            )
            self._db.execute("DELETE FROM vocabulary WHERE articles <= 0")
            self._db.execute("UPDATE vocabulary_size SET articles = max(0, articles + ?)", [articles])

    @_reads("vocabulary")
    def vocabulary(self, words: Iterable[str] | None) -> tuple[int, dict[str, int]]:
        """(articles counted, document frequency of each of ``words`` that occurs; of
        every stored word with ``words`` None)."""
        size = self._db.execute("SELECT articles FROM vocabulary_size").fetchone()[0]
        if words is None:
            return size, dict(self._db.execute("SELECT word, articles FROM vocabulary").fetchall())
        wanted = sorted(set(words))
        df: dict[str, int] = {}
        for start in range(0, len(wanted), _QUERY_CHUNK):
            chunk = wanted[start : start + _QUERY_CHUNK]
            df.update(
                self._db.execute(
                    f"SELECT word, articles FROM vocabulary WHERE word IN ({', '.join('?' * len(chunk))})", chunk
                ).fetchall()
            )
        return size, df

    # Per-article decisions (incremental trace) -------------------------------------------

    @_reads("decisions")
    def undecided_articles(self) -> list[str]:
        """Stored articles no analysis has decided yet, in the order they were stored, and
        decided ones whose parent edge has since gone (their parent was replaced)."""
        rows = self._db.execute(
            "SELECT a.id FROM articles a LEFT JOIN decisions d ON d.article = a.number "
            "WHERE d.article IS NULL OR (d.parent IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM edges e WHERE e.child = a.id)) ORDER BY a.number"
        ).fetchall()
        return [r[0] for r in rows]

    @_reads("articles")
    def language_count(self) -> int:
        """How many article languages the store holds."""
        return self._db.execute("SELECT COUNT(DISTINCT language) FROM articles").fetchone()[0]

    @_reads("articles")
    def article_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    @_reads("articles")
    def article_ids_published_near(self, published: Iterable[str | None], days: int) -> list[str]:
        """Ids of stored articles published within ``days`` of one of ``published`` (dates);
        a None among them asks for the undated articles too."""
        wanted = list(published)
        ids: set[str] = set()
        if any(candidates.day_of(p) is None for p in wanted):
            ids.update(r[0] for r in self._db.execute("SELECT id FROM articles WHERE published IS NULL"))
        for day in {candidates.day_of(p) for p in wanted} - {None}:
            ids.update(
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM articles WHERE substr(published, 1, 10) "
                    "BETWEEN date(?, ?) AND date(?, ?)",
                    [day, f"-{days} days", day, f"+{days} days"],
                )
            )
        return sorted(ids)

    @_reads("decisions")
    def decided_articles(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT a.id FROM decisions d JOIN articles a ON a.number = d.article")}

    @_reads("decisions")
    def has_decisions(self) -> bool:
        return self._db.execute("SELECT EXISTS (SELECT 1 FROM decisions)").fetchone()[0] == 1

    def save_decisions(self, article_ids: Iterable[str], edges: list[Edge]) -> None:
        """Record the parent (None: origin) the analysis chose for each of ``article_ids``."""
        parent = {e.child: e.parent for e in edges}
        article_ids = list(dict.fromkeys(article_ids))
        with self._transaction("save lineage decisions"):
            numbers = self._numbers(article_ids)
            self._db.conn.executemany(
                "INSERT OR REPLACE INTO decisions (article, parent) VALUES (?, ?)",
                ((numbers[i], parent.get(i)) for i in article_ids if i in numbers),
            )

    @_reads("matches")
    def match_neighbours(
        self, article_ids: Iterable[str], kinds: Iterable[str] | None = None
    ) -> set[tuple[str, str]]:
        """(a, b) of every stored match (of ``kinds``, default any) with a side in ``article_ids``."""
        ids = list(dict.fromkeys(article_ids))
        kind_list = list(kinds) if kinds is not None else None
        kind_filter = f" AND kind IN ({', '.join('?' * len(kind_list))})" if kind_list else ""
        found: set[tuple[str, str]] = set()
        for start in range(0, len(ids), _QUERY_CHUNK):
            chunk = ids[start : start + _QUERY_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self._db.execute(
                    f"SELECT a, b FROM matches WHERE a IN ({marks}){kind_filter} "
                    f"UNION SELECT a, b FROM matches WHERE b IN ({marks}){kind_filter}",
                    chunk + (kind_list or []) + chunk + (kind_list or []),
                ).fetchall()
            )
        return found

    def add_analysis(
        self, outlets: list[Outlet], matches: list[Match], edges: list[Edge], redrawn: Iterable[str]
    ) -> None:
        """An incremental analysis: add ``matches`` (new pairs) to those stored, replace the
        edges and decisions of the ``redrawn`` articles with ``edges``, and add or update
        ``outlets``. The rest of the stored analysis stays as it is."""
        redrawn = list(dict.fromkeys(redrawn))
        with self._transaction("save the analysis"):
            next_match = (self._db.execute("SELECT COALESCE(MAX(id), 0) FROM matches").fetchone()[0]) + 1
            next_pair = (self._db.execute("SELECT COALESCE(MAX(id), 0) FROM match_pairs").fetchone()[0]) + 1
            # A pair aligned again (an article whose parent was replaced) replaces its match.
            for match in matches:
                self._db.execute("DELETE FROM matches WHERE a = ? AND b = ?", [match.a, match.b])
            self._insert_matches(matches, next_match, next_pair)
            for start in range(0, len(redrawn), _QUERY_CHUNK):
                chunk = redrawn[start : start + _QUERY_CHUNK]
                self._db.execute(f"DELETE FROM edges WHERE child IN ({', '.join('?' * len(chunk))})", chunk)
            self._insert_edges(edges)
            self._db.table("outlets").insert_all((_outlet_row(o) for o in outlets), replace=True)

    # Analysis ----------------------------------------------------------------------------

    def save_analysis(self, outlets: list[Outlet], matches: list[Match], edges: list[Edge]) -> None:
        """Replace the stored analysis (outlets, matches with pairs and spans, edges)."""
        with self._transaction("save the analysis"):
            for table in ("match_spans", "match_pairs", "matches", "edges", "outlets"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.table("outlets").insert_all(_outlet_row(o) for o in outlets)
            self._insert_matches(matches, 1, 1)
            self._insert_edges(edges)

    def _insert_matches(self, matches: list[Match], first_match: int, first_pair: int) -> None:
        """Matches with their paragraph pairs and spans, numbered from the given ids."""
        match_rows, pair_rows, span_rows = [], [], []
        for match_id, match in enumerate(matches, start=first_match):
            match_rows.append(_match_row(match_id, match))
            for pair in match.pairs:
                pair_id = first_pair + len(pair_rows)
                pair_rows.append(
                    {"id": pair_id, "match_id": match_id, "a_paragraph": int(pair.a_paragraph),
                     "b_paragraph": int(pair.b_paragraph), "score": float(pair.score), "method": pair.method}
                )
                span_rows.extend(
                    {"pair_id": pair_id, "a_start": int(x.a_start), "a_end": int(x.a_end),
                     "b_start": int(x.b_start), "b_end": int(x.b_end), "quoted": bool(x.quoted)}
                    for x in pair.spans
                )
        self._db.table("matches").insert_all(match_rows)
        self._db.table("match_pairs").insert_all(pair_rows)
        self._db.table("match_spans").insert_all(span_rows)

    def _insert_edges(self, edges: list[Edge]) -> None:
        self._db.table("edges").insert_all(
            {
                "parent": e.parent,
                "child": e.child,
                "kind": e.kind,
                "confidence": float(e.confidence),
                "evidence": json.dumps(list(e.evidence), ensure_ascii=False),
                "alternatives": json.dumps(list(e.alternatives), ensure_ascii=False),
            }
            for e in edges
        )

    @_reads("matches")
    def matches(self, article_ids: Iterable[str] | None = None) -> list[Match]:
        """Stored matches, or those with both sides in ``article_ids``, in stored order."""
        if article_ids is None:
            match_rows = list(self._db.table("matches").rows_where(order_by="id"))
            span_rows = self._db.table("match_spans").rows_where(order_by="id")
            pair_rows = self._db.table("match_pairs").rows_where(order_by="id")
        else:
            ids = set(article_ids)
            match_rows = sorted(
                (r for r in self._rows_in("matches", "a", sorted(ids)) if r["b"] in ids), key=lambda r: r["id"]
            )
            pair_rows = sorted(
                self._rows_in("match_pairs", "match_id", [r["id"] for r in match_rows]), key=lambda r: r["id"]
            )
            span_rows = sorted(
                self._rows_in("match_spans", "pair_id", [r["id"] for r in pair_rows]), key=lambda r: r["id"]
            )
        spans: dict[int, list[Span]] = defaultdict(list)
        for row in span_rows:
            spans[row["pair_id"]].append(
                Span(row["a_start"], row["a_end"], row["b_start"], row["b_end"], bool(row["quoted"]))
            )
        pairs: dict[int, list[ParagraphPair]] = defaultdict(list)
        for row in pair_rows:
            pairs[row["match_id"]].append(
                ParagraphPair(
                    a_paragraph=row["a_paragraph"],
                    b_paragraph=row["b_paragraph"],
                    score=row["score"],
                    spans=spans[row["id"]],
                    method=row["method"],
                )
            )
        return [
            Match(
                a=row["a"],
                b=row["b"],
                kind=row["kind"],
                score=row["score"],
                pairs=pairs[row["id"]],
                method=row["method"],
                a_coverage=row["a_coverage"],
                b_coverage=row["b_coverage"],
                direction=(
                    (row["direction_parent"], row["direction_child"])
                    if row["direction_parent"] is not None
                    else None
                ),
                direction_confidence=row["direction_confidence"],
                evidence=json.loads(row["evidence"]),
                a_score=row["a_score"],
                b_score=row["b_score"],
                a_kind=row["a_kind"],
                b_kind=row["b_kind"],
            )
            for row in match_rows
        ]

    @_reads("edges")
    def edges(self) -> list[Edge]:
        return [_edge(row) for row in self._db.table("edges").rows_where(order_by="id")]

    @_reads("edges")
    def edges_of(self, children: Iterable[str]) -> list[Edge]:
        """The stored edges whose child is one of ``children``, in stored order."""
        rows = sorted(self._rows_in("edges", "child", sorted(set(children))), key=lambda r: r["id"])
        return [_edge(row) for row in rows]

    @_reads("attributions")
    def attributions_of(self, article_ids: Iterable[str]) -> list[Attribution]:
        """The attributions of ``article_ids``, in the order they were stored."""
        rows = sorted(self._rows_in("attributions", "article_id", sorted(set(article_ids))), key=lambda r: r["id"])
        return [_attribution(row) for row in rows]

    @_reads("outlets")
    def outlets(self) -> list[Outlet]:
        return [
            Outlet(
                id=row["id"],
                name=row["name"],
                domains=json.loads(row["domains"]),
                in_corpus=bool(row["in_corpus"]),
            )
            for row in self._db.table("outlets").rows_where(order_by="rowid")
        ]

    # The full-text index -----------------------------------------------------------------

    @property
    def full_text(self) -> bool:
        """Does the database keep the full-text index of its articles (``articles_fts``)?"""
        return self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles_fts'"
        ).fetchone() is not None

    def set_full_text(self, on: bool) -> bool:
        """Keep (``on``) or drop the full-text index of titles and texts (FTS5 trigram,
        migration 0004: about a third of a database file). Dropped, Datasette and
        sqlite-utils' ``search`` find nothing and ingest writes no index; kept again, it is
        rebuilt from every stored article. Returns whether anything changed; a file
        shrinks only after ``vacuum``."""
        if on == self.full_text:
            return False
        with self._transaction("keep the full-text index" if on else "drop the full-text index"):
            if on:
                for statement in _FULL_TEXT_DDL:
                    self._db.execute(statement)
                self._db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
            else:
                self._drop_full_text()
        return True

    def _restore_full_text_triggers(self) -> None:
        """Put back the triggers that keep a kept full-text index in step with articles:
        rebuilding articles (migration 0010) dropped them with the old table."""
        if not self.full_text or self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_ai'"
        ).fetchone():
            return
        with self._transaction("restore the full-text index's triggers"):
            for statement in _FULL_TEXT_DDL[1:]:
                self._db.execute(statement)

    def _drop_full_text(self) -> None:
        for trigger in ("articles_ai", "articles_ad", "articles_au"):
            self._db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        self._db.execute("DROP TABLE IF EXISTS articles_fts")

    def vacuum(self) -> None:
        """Rewrite the file without its free pages (after dropping an index)."""
        try:
            self._db.execute("VACUUM")
        except sqlite3.Error as exc:
            raise StoreError(f"{self._name()}: could not vacuum: {exc}") from exc

    # Reading the file with other tools ---------------------------------------------------

    @_reads("the table documentation")
    def datasette_metadata(self) -> dict:
        """A Datasette metadata document (``datasette DB -m metadata.json``) for this file:
        a description of every table, view and column (from ``_provenance_docs``), the
        full-text search table of the articles and the column that names each row."""
        tables: dict[str, dict] = {}
        for row in self._db.execute(
            "SELECT table_name, column_name, description FROM _provenance_docs "
            "ORDER BY table_name, column_name"
        ):
            entry = tables.setdefault(row[0], {})
            if row[1]:
                entry.setdefault("columns", {})[row[1]] = row[2]
            else:
                entry["description"] = row[2]
        tables["articles"].update(label_column="title", sort_desc="published")
        if self.full_text:
            tables["articles"]["fts_table"] = "articles_fts"
        tables["articles"]["facets"] = ["language", "outlet_name"]
        tables["outlets"]["label_column"] = "name"
        tables["edges"]["sort_desc"] = "confidence"
        tables["edges"]["facets"] = ["kind"]
        tables["edges_readable"]["facets"] = ["kind", "child_language"]
        tables["attributions"]["facets"] = ["kind", "outlet"]
        tables["embeddings"]["hidden"] = True
        name = self.path.stem if self.path else "provenance"
        return {
            "title": "provenance: where the stories came from",
            "description": "Articles, the text they share, their credits and the lineage "
            "forest traced by provenance. Start with edges_readable, article_origins and "
            "credits_per_outlet.",
            "databases": {name: {"tables": tables}},
        }

    # Embedding cache ---------------------------------------------------------------------

    @_reads("embeddings")
    def get_embeddings(self, model: str, keys: list[str]) -> dict[str, np.ndarray]:
        """Cached float32 vectors of ``model`` for those ``keys`` (sha1 of paragraph text)
        that are cached; missing keys are simply absent from the result."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _QUERY_CHUNK):
            chunk = unique[start : start + _QUERY_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.table("embeddings").rows_where(
                f"model = ? AND key IN ({marks})", [model, *chunk]
            ):
                found[row["key"]] = np.frombuffer(row["vector"], dtype=_VECTOR_DTYPE).astype(
                    np.float32
                )
        return found

    def put_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Cache 1-D vectors (stored as float32), replacing any cached under the same key."""
        rows = []
        for key, vector in vectors.items():
            array = np.asarray(vector, dtype=_VECTOR_DTYPE)
            if array.ndim != 1:
                raise StoreError(f"embedding {key!r} has shape {array.shape}, expected a 1-D vector")
            rows.append({"model": model, "key": key, "dim": array.shape[0], "vector": array.tobytes()})
        with self._transaction(f"cache {len(rows)} embeddings"):
            self._db.table("embeddings").insert_all(rows, replace=True)

    # Helpers -----------------------------------------------------------------------------

    def _select_in(self, sql: str, values: list, extra: list = ()) -> list[tuple]:
        """The rows of ``sql`` for every value of ``values``: its ``{marks}`` is filled with
        one placeholder per value, _QUERY_CHUNK values a query, ``extra`` bound after them."""
        rows: list[tuple] = []
        for start in range(0, len(values), _QUERY_CHUNK):
            chunk = list(values[start : start + _QUERY_CHUNK])
            rows += self._db.execute(sql.format(marks=", ".join("?" * len(chunk))), [*chunk, *extra]).fetchall()
        return rows

    def _rows_in(
        self, table: str, column: str, values: list[str], order_by: str = "rowid"
    ) -> list[dict]:
        """Rows whose ``column`` is one of ``values``, queried in chunks."""
        rows: list[dict] = []
        for start in range(0, len(values), _QUERY_CHUNK):
            chunk = values[start : start + _QUERY_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows.extend(
                self._db.table(table).rows_where(f"{column} IN ({marks})", chunk, order_by=order_by)
            )
        return rows


def _attribution(row: dict) -> Attribution:
    return Attribution(
        article=row["article_id"],
        outlet=row["outlet"],
        surface=row["surface"],
        phrase=row["phrase"],
        kind=row["kind"],
        paragraph=row["paragraph_index"],
        start=row["start_offset"],
        end=row["end_offset"],
        language=row["language"],
        text_source=bool(row["text_source"]),
        self=bool(row["self"]),
    )


def _article_row(article: Article, digest: str) -> dict:
    return {
        "id": article.id,
        "source": article.source,
        "text": article.text,
        "title": article.title,
        "published": article.published,
        "outlet": article.outlet,
        "outlet_name": article.outlet_name,
        "url": article.url,
        "domain": article.domain,
        "language": article.language,
        "content_hash": digest,
        "format": article.format,
        "publisher_evidence": json.dumps(list(article.publisher_evidence), ensure_ascii=False),
        "published_evidence": article.published_evidence,
    }


def _paragraph_row(number: int, article: Article, paragraph: Paragraph) -> dict:
    # The text is stored once, in articles: a paragraph that is its slice stores NULL.
    own_text = article.text[paragraph.start : paragraph.end] != paragraph.text
    return {
        "article": number,
        "paragraph_index": int(paragraph.index),
        "start_offset": int(paragraph.start),
        "end_offset": int(paragraph.end),
        "text": paragraph.text if own_text else None,
        "language": paragraph.language,
        "boilerplate": paragraph.boilerplate,
        "wording": segment.wording_key(paragraph.text),
    }


def _use_wal(db: sqlite_utils.Database) -> None:
    """Switch a file to WAL mode. Another process starting on the same new file may hold
    the lock the switch needs, and SQLite then fails at once instead of waiting: retry
    until the busy timeout. A file already in WAL mode needs nothing."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _outlet_row(outlet: Outlet) -> dict:
    return {
        "id": outlet.id,
        "name": outlet.name,
        "domains": json.dumps(list(outlet.domains), ensure_ascii=False),
        "in_corpus": bool(outlet.in_corpus),
    }


def _attribution_row(attribution: Attribution) -> dict:
    return {
        "article_id": attribution.article,
        "outlet": attribution.outlet,
        "surface": attribution.surface,
        "phrase": attribution.phrase,
        "kind": attribution.kind,
        "paragraph_index": int(attribution.paragraph),
        "start_offset": int(attribution.start),
        "end_offset": int(attribution.end),
        "language": attribution.language,
        "text_source": bool(attribution.text_source),
        "self": bool(attribution.self),
    }


def _match_row(match_id: int, match: Match) -> dict:
    # Scores may arrive as numpy scalars, which sqlite3 cannot bind: cast to Python floats.
    parent, child = match.direction if match.direction is not None else (None, None)
    return {
        "id": match_id,
        "a": match.a,
        "b": match.b,
        "kind": match.kind,
        "score": float(match.score),
        "method": match.method,
        "a_coverage": float(match.a_coverage),
        "b_coverage": float(match.b_coverage),
        "direction_parent": parent,
        "direction_child": child,
        "direction_confidence": float(match.direction_confidence),
        "evidence": json.dumps(list(match.evidence), ensure_ascii=False),
        "a_score": None if match.a_score is None else float(match.a_score),
        "b_score": None if match.b_score is None else float(match.b_score),
        "a_kind": match.a_kind,
        "b_kind": match.b_kind,
    }


def _edge(row: dict) -> Edge:
    return Edge(
        parent=row["parent"],
        child=row["child"],
        kind=row["kind"],
        confidence=row["confidence"],
        evidence=json.loads(row["evidence"]),
        alternatives=json.loads(row["alternatives"]),
    )


# The full-text index as migration 0004 creates it (kept in step with it), for
# ``set_full_text(True)`` on a database whose index was dropped.
_FULL_TEXT_DDL = (
    'CREATE VIRTUAL TABLE articles_fts USING FTS5 (title, text, content="articles", tokenize="trigram")',
    "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text); END",
    "CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text); END",
    "CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN "
    "INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text); "
    "INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text); END",
)
