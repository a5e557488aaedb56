"""The Spark engine: the same band self-join as DuckDB's, in Apache Spark (pyspark).

Spark is the engine passim and text-dedup use past one machine. ``master`` is any Spark
master URL: ``local[2]`` (the default: two cores of this machine), ``spark://host:7077``,
``yarn``, ``k8s://...`` (see docs/scale.md). The join reads the signatures passed
in or a store's band keys (``stored_pairs``), shipped to the JVM as one Arrow table, or a
``provenance sign`` bands folder, which a
cluster reads from shared storage (``join_parquet``).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .base import MAX_BUCKET, CandidateEngine, EngineUnavailable, CandidatePair, Signature, band_rows, keep

if TYPE_CHECKING:
    from ..store import Store

# For small jobs in local mode (tests, a laptop): JVM start and query compilation dominate,
# so skip the optimising JIT and whole-stage code generation. Not for real clusters.
QUICK_LOCAL = {
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}


def import_pyspark():
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra
        raise EngineUnavailable("the spark engine needs pyspark and Java 17: pip install 'provenance[spark]'") from exc
    return SparkSession


class SparkEngine(CandidateEngine):
    name = "spark"

    def __init__(
        self,
        source: str | Path | None = None,
        *,
        master: str = "local[2]",
        config: dict[str, str] | None = None,
        max_bucket: int | None = MAX_BUCKET,
    ):
        """``source``: a ``provenance sign`` bands folder to join instead of the signatures
        passed to ``pairs``; ``config``: Spark settings (``spark.executor.memory``, ...)."""
        SparkSession = import_pyspark()
        self.max_bucket = max_bucket
        self.source = str(source) if source is not None else None
        builder = (
            SparkSession.builder.master(master)
            .appName("provenance-candidates")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")  # stderr is the user's
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        )
        for key, value in (config or {}).items():
            builder = builder.config(key, value)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")

    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        if self.source is not None:
            yield from self.join_parquet(self.source, new=new)
            return
        rows = [(r.article, r.paragraph, r.key) for r in band_rows(signatures)]
        yield from self._join(self._frame(rows), new)

    def stored_pairs(self, store: Store) -> Iterator[CandidatePair]:
        """The store's band keys (integer arrays) and indexed paragraphs go to Spark from
        this process and are joined there: right for ``local[N]``; on a cluster, join
        ``provenance sign``'s Parquet instead (``source=``)."""
        if self.source is not None:
            return self.join_parquet(self.source)
        import numpy as np
        import pyarrow as pa

        paragraphs = store.indexed_paragraphs()
        indexed = self.spark.createDataFrame(pa.table({
            "pid": pa.array([p[0] for p in paragraphs], pa.int64()),
            "article": pa.array([p[1] for p in paragraphs], pa.string()),
            "paragraph": pa.array([p[2] for p in paragraphs], pa.int32()),
        }))
        arrays = list(store.band_key_arrays())
        keys = self.spark.createDataFrame(pa.table({
            "pid": np.concatenate([ids for ids, _ in arrays]) if arrays else np.empty(0, np.int64),
            "key": np.concatenate([k for _, k in arrays]) if arrays else np.empty(0, np.int64),
        }))
        return self._join(keys.join(indexed, "pid"), None)

    def _frame(self, rows: list[tuple[str, int, int]]):
        import pyarrow as pa

        table = pa.table(
            {
                "article": pa.array([r[0] for r in rows], pa.string()),
                "paragraph": pa.array([r[1] for r in rows], pa.int32()),
                "key": pa.array([r[2] for r in rows], pa.int64()),
            }
        )
        return self.spark.createDataFrame(table)

    def join_parquet(self, folder: str | Path, *, new: Collection[str] | None = None) -> Iterator[CandidatePair]:
        """The pairs of a ``provenance sign`` bands folder (a local path or a cluster URL)."""
        folder = str(folder)
        yield from self._join(self.spark.read.option("basePath", folder).parquet(folder), new)

    def _join(self, bands, new: Collection[str] | None) -> Iterator[CandidatePair]:
        from pyspark.sql import functions as F

        bands = bands.select("article", "paragraph", "key")
        if self.max_bucket is not None:
            # Keys shared by more than max_bucket paragraphs are left out (base.MAX_BUCKET).
            sizes = bands.groupBy("key").count()
            crowded = sizes.where(F.col("count") > self.max_bucket).select("key")
            self.capped_keys = crowded.count()
            bands = bands.join(crowded, "key", "left_anti")
        x, y = bands.alias("x"), bands.alias("y")
        same_key = F.col("x.key") == F.col("y.key")
        if new is None:
            joined = x.join(y, same_key & (F.col("x.article") < F.col("y.article")))
        else:
            fresh = sorted(set(new))
            joined = x.join(y, same_key & (F.col("x.article") != F.col("y.article"))).where(
                F.col("x.article").isin(fresh)
                & ((F.col("x.article") < F.col("y.article")) | ~F.col("y.article").isin(fresh))
            )
        result = joined.select(
            F.col("x.article"), F.col("x.paragraph"), F.col("y.article"), F.col("y.paragraph")
        ).distinct()
        for a, a_paragraph, b, b_paragraph in result.toLocalIterator(prefetchPartitions=True):
            candidate = ((a, a_paragraph), (b, b_paragraph)) if a < b else ((b, b_paragraph), (a, a_paragraph))
            if keep(candidate, new):
                yield candidate

    def close(self) -> None:
        self.spark.stop()
