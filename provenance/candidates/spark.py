"""The Spark engine: the same band self-join as DuckDB's, in Apache Spark (pyspark).

Spark is the engine passim and text-dedup use past one machine. ``master`` is any Spark
master URL: ``local[2]`` (the default: two cores of this machine), ``spark://host:7077``,
``yarn``, ``k8s://...`` (see docs/scale.md). The join reads either the signatures passed
in or a ``provenance sign`` Parquet directory, which a cluster reads from shared storage.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from .base import CandidateEngine, CandidatePair, Signature, band_rows, keep


def import_pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra
        raise RuntimeError("the spark engine needs pyspark: pip install 'provenance[spark]'") from exc
    return SparkSession


class SparkEngine(CandidateEngine):
    name = "spark"

    def __init__(self, source: str | Path | None = None, *, master: str = "local[2]", config: dict[str, str] | None = None):
        SparkSession = import_pyspark()
        self.source = str(source) if source is not None else None
        builder = (
            SparkSession.builder.master(master)
            .appName("provenance-candidates")
            # Small joins on a laptop: a few shuffle partitions, no web UI.
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
        )
        for key, value in (config or {}).items():
            builder = builder.config(key, value)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")

    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        from pyspark.sql import functions as F
        from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

        if self.source is not None:
            bands = self.spark.read.option("basePath", self.source).parquet(self.source)
        else:
            schema = StructType(
                [
                    StructField("article", StringType(), False),
                    StructField("paragraph", IntegerType(), False),
                    StructField("key", LongType(), False),
                ]
            )
            rows = [(r.article, r.paragraph, r.key) for r in band_rows(signatures)]
            bands = self.spark.createDataFrame(rows, schema)
        bands = bands.select("article", "paragraph", "key")
        x, y = bands.alias("x"), bands.alias("y")
        condition = F.col("x.key") == F.col("y.key")
        if new is None:
            joined = x.join(y, condition & (F.col("x.article") < F.col("y.article")))
        else:
            fresh = sorted(set(new))
            joined = x.join(y, condition & (F.col("x.article") != F.col("y.article"))).where(
                F.col("x.article").isin(fresh)
                & ((F.col("x.article") < F.col("y.article")) | ~F.col("y.article").isin(fresh))
            )
        result = joined.select(
            F.col("x.article"), F.col("x.paragraph"), F.col("y.article"), F.col("y.paragraph")
        ).distinct()
        for a, pa_, b, pb in result.toLocalIterator():
            candidate = ((a, pa_), (b, pb)) if a < b else ((b, pb), (a, pa_))
            if keep(candidate, new):
                yield candidate

    def close(self) -> None:
        self.spark.stop()
