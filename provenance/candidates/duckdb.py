"""The DuckDB engine: the band self-join in embedded DuckDB, out of core.

DuckDB spills the join to disk beyond ``memory_limit``, so it serves archives too big for
the in-memory indexes (see ``candidates.choose``). It joins the signatures passed
in (their band keys go in as Arrow tables), a store's stored band keys (``stored_pairs``)
or a ``provenance sign`` directory of Parquet
files partitioned by day (``source=``), which is how an archive is joined without loading
it into Python at all.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .base import MAX_BUCKET, CandidateEngine, EngineUnavailable, CandidatePair, Signature, band_keys, chunks, keep

if TYPE_CHECKING:
    from ..store import Store

# Same query in every band engine: paragraphs of different articles sharing a key, once.
# Keys shared by more than max_bucket paragraphs are left out (see base.MAX_BUCKET).
CROWDED = "SELECT key FROM {table} GROUP BY key HAVING COUNT(*) > {max_bucket}"
SELF_JOIN = """
SELECT DISTINCT x.article, x.paragraph, y.article, y.paragraph
FROM {table} x JOIN {table} y ON x.key = y.key AND x.article < y.article
WHERE x.key NOT IN (SELECT key FROM crowded)
"""
LOOKUP = """
SELECT DISTINCT x.article, x.paragraph, y.article, y.paragraph
FROM {table} x JOIN {table} y ON x.key = y.key AND x.article <> y.article
WHERE x.article IN (SELECT article FROM new_articles)
  AND (x.article < y.article OR y.article NOT IN (SELECT article FROM new_articles))
  AND x.key NOT IN (SELECT key FROM crowded)
"""


def import_duckdb():
    try:
        import duckdb
    except ImportError as exc:  # the optional extra
        raise EngineUnavailable("the duckdb engine needs DuckDB: pip install 'provenance[scale]'") from exc
    return duckdb


class DuckDBEngine(CandidateEngine):
    name = "duckdb"

    def __init__(
        self,
        source: str | Path | None = None,
        *,
        memory_limit: str = "1GB",
        temp_directory: str | None = None,
        max_bucket: int | None = MAX_BUCKET,
    ):
        """``source``: a ``provenance sign`` directory to join instead of the signatures
        passed to ``pairs``; ``memory_limit`` bounds DuckDB's memory, the rest spills to
        ``temp_directory`` (DuckDB's default: next to its database, here a temp folder)."""
        duckdb = import_duckdb()
        self.max_bucket = max_bucket
        self.source = Path(source) if source is not None else None
        self.conn = duckdb.connect(":memory:")
        self.conn.execute(f"SET memory_limit = '{memory_limit}'")
        if temp_directory:
            self.conn.execute("SET temp_directory = ?", [str(temp_directory)])
        self.conn.execute("SET preserve_insertion_order = false")  # lets the join stream

    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        if self.source is not None:
            yield from self.join_parquet(self.source, new=new)
            return
        rows = ((s.article, s.paragraph, key) for s in signatures for key in band_keys(s.hashvalues))
        yield from self._join_rows(chunks(rows, 500_000), new)

    def stored_pairs(self, store: Store) -> Iterator[CandidatePair]:
        if self.source is not None:
            yield from self.join_parquet(self.source)
            return
        import pyarrow as pa

        # Keys go in as integer arrays (paragraph id, key), the paragraphs once as a small
        # table; DuckDB joins them into the (article, paragraph, key) table _join reads.
        paragraphs = store.indexed_paragraphs()
        codes: dict[str, int] = {}
        self.conn.register("paragraph_table", pa.table({
            "pid": pa.array([p[0] for p in paragraphs], pa.int64()),
            "article": pa.array([codes.setdefault(p[1], len(codes)) for p in paragraphs], pa.int32()),
            "paragraph": pa.array([p[2] for p in paragraphs], pa.int32()),
        }))
        self.conn.execute("CREATE OR REPLACE TEMP TABLE stored_paragraphs AS SELECT * FROM paragraph_table")
        self.conn.unregister("paragraph_table")
        del paragraphs
        self.conn.execute("CREATE OR REPLACE TEMP TABLE stored_keys (pid BIGINT, key BIGINT)")
        for ids, keys in store.band_key_arrays():
            self.conn.register("key_chunk", pa.table({"pid": ids, "key": keys}))
            self.conn.execute("INSERT INTO stored_keys SELECT * FROM key_chunk")
            self.conn.unregister("key_chunk")
        self.conn.execute(
            "CREATE OR REPLACE TEMP TABLE band_keys AS SELECT p.article, p.paragraph, k.key "
            "FROM stored_keys k JOIN stored_paragraphs p USING (pid)"
        )
        self.conn.execute("DROP TABLE stored_keys")
        self.conn.execute("DROP TABLE stored_paragraphs")
        yield from self._coded_pairs(list(codes), None)

    def _join_rows(self, batches: Iterable[list[tuple[str, int, int]]], new: Collection[str] | None) -> Iterator[CandidatePair]:
        """The pairs of (article, paragraph, key) rows, loaded a batch at a time."""
        import pyarrow as pa

        # Keys go in a batch at a time, articles as small integers (an archive's 37 keys a
        # paragraph as Python objects were most of a 100k trace's memory).
        self.conn.execute("CREATE OR REPLACE TEMP TABLE band_keys (article INTEGER, paragraph INTEGER, key BIGINT)")
        codes: dict[str, int] = {}
        for batch in batches:
            article, paragraph, key = zip(*batch)
            self.conn.register("band_chunk", pa.table({
                "article": pa.array([codes.setdefault(a, len(codes)) for a in article], pa.int32()),
                "paragraph": pa.array(paragraph, pa.int32()),
                "key": pa.array(key, pa.int64()),
            }))
            self.conn.execute("INSERT INTO band_keys SELECT * FROM band_chunk")
            self.conn.unregister("band_chunk")
        yield from self._coded_pairs(list(codes), None if new is None else [codes[a] for a in set(new) if a in codes])

    def _coded_pairs(self, names: list[str], fresh: list[int] | None) -> Iterator[CandidatePair]:
        """The pairs of the ``band_keys`` table, whose articles are indexes into ``names``;
        the table is dropped after (the rest of an analysis needs the memory)."""
        import pyarrow as pa

        for (a, pa_), (b, pb) in self._join("band_keys", fresh, pa.int32()):
            first, second = (names[a], pa_), (names[b], pb)
            yield (first, second) if first < second else (second, first)
        self.conn.execute("DROP TABLE band_keys")

    def join_parquet(self, folder: str | Path, *, new: Collection[str] | None = None) -> Iterator[CandidatePair]:
        """The pairs of a ``provenance sign`` bands folder, read by DuckDB as it joins."""
        import pyarrow as pa

        glob = str(Path(folder) / "**" / "*.parquet").replace("'", "''")
        self.conn.execute(
            f"CREATE OR REPLACE VIEW parquet_keys AS SELECT article, paragraph, key "
            f"FROM read_parquet('{glob}', hive_partitioning = true)"
        )
        for candidate in self._join("parquet_keys", new, pa.string()):
            candidate = candidate if candidate[0] < candidate[1] else (candidate[1], candidate[0])
            if keep(candidate, new):
                yield candidate

    def _join(self, table: str, new: Collection | None, article_type) -> Iterator[CandidatePair]:
        """Pairs of paragraphs of different articles sharing a key, once each, as the
        table names them; with ``new`` (values of the article column), those with a side
        in it."""
        import pyarrow as pa

        query = SELF_JOIN
        if new is not None:
            self.conn.register("new_articles", pa.table({"article": pa.array(sorted(set(new)), article_type)}))
            query = LOOKUP
        cap = self.max_bucket if self.max_bucket is not None else 2**62
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE crowded AS {CROWDED.format(table=table, max_bucket=int(cap))}")
        self.capped_keys = self.conn.execute("SELECT COUNT(*) FROM crowded").fetchone()[0]
        result = self.conn.execute(query.format(table=table))
        while batch := result.fetchmany(10_000):
            for a, pa_, b, pb in batch:
                yield (a, pa_), (b, pb)

    def close(self) -> None:
        self.conn.close()
