"""The DuckDB engine: the band self-join in embedded DuckDB, out of core.

DuckDB spills the join to disk beyond ``memory_limit``, so it serves archives too big for
the in-memory indexes (see ``candidates.choose``). It joins either the signatures passed
in (their band keys go in as an Arrow table) or a ``provenance sign`` directory of Parquet
files partitioned by day (``source=``), which is how an archive is joined without loading
it into Python at all.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from .base import MAX_BUCKET, CandidateEngine, EngineUnavailable, CandidatePair, Signature, band_rows, keep

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
        import pyarrow as pa

        if self.source is not None:
            yield from self.join_parquet(self.source, new=new)
            return
        rows = list(band_rows(signatures))
        table = pa.table(
            {
                "article": pa.array([r.article for r in rows], pa.string()),
                "paragraph": pa.array([r.paragraph for r in rows], pa.int32()),
                "key": pa.array([r.key for r in rows], pa.int64()),
            }
        )
        self.conn.register("band_keys", table)
        yield from self._join("band_keys", new)

    def join_parquet(self, folder: str | Path, *, new: Collection[str] | None = None) -> Iterator[CandidatePair]:
        """The pairs of a ``provenance sign`` bands folder, read by DuckDB as it joins."""
        glob = str(Path(folder) / "**" / "*.parquet").replace("'", "''")
        self.conn.execute(
            f"CREATE OR REPLACE VIEW parquet_keys AS SELECT article, paragraph, key "
            f"FROM read_parquet('{glob}', hive_partitioning = true)"
        )
        yield from self._join("parquet_keys", new)

    def _join(self, table: str, new: Collection[str] | None) -> Iterator[CandidatePair]:
        import pyarrow as pa

        query = SELF_JOIN
        if new is not None:
            self.conn.register("new_articles", pa.table({"article": pa.array(sorted(set(new)), pa.string())}))
            query = LOOKUP
        cap = self.max_bucket if self.max_bucket is not None else 2**62
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE crowded AS {CROWDED.format(table=table, max_bucket=int(cap))}")
        self.capped_keys = self.conn.execute("SELECT COUNT(*) FROM crowded").fetchone()[0]
        result = self.conn.execute(query.format(table=table))
        while batch := result.fetchmany(10_000):
            for a, pa_, b, pb in batch:
                candidate = ((a, pa_), (b, pb)) if a < b else ((b, pb), (a, pa_))
                if keep(candidate, new):
                    yield candidate

    def close(self) -> None:
        self.conn.close()
