"""Candidate paragraph pairs behind one small interface (``CandidateEngine.pairs``), one
module per engine, as datasketch keeps its storage backends:

- ``memory``: band keys joined in numpy + rare shingles (+ LSH Ensemble up to 1,000 articles), rebuilt per run;
- ``stored``: band keys in the database (``bands`` table), a lookup for new articles;
- ``duckdb``: the band self-join in embedded DuckDB, out of core (extra ``scale``);
- ``spark``: the same join in Apache Spark (extra ``spark``).

``choose`` picks the engine when none is named: the in-memory indexes up to
MEMORY_MAX_ARTICLES articles, DuckDB beyond (the stored engine where DuckDB is absent).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import (
    BANDS,
    ROWS,
    BandRow,
    CandidateEngine,
    CandidatePair,
    EngineUnavailable,
    ParagraphKey,
    Signature,
    band_keys,
    band_rows,
    chunks,
    day_of,
)
from .memory import MemoryEngine

if TYPE_CHECKING:
    from ..store import Store

ENGINES = ("memory", "stored", "duckdb", "spark")
# Past this many articles the in-memory indexes (tens of KB per paragraph) are the
# wrong tool: the band join runs in DuckDB, which spills to disk instead of swapping.
MEMORY_MAX_ARTICLES = 20_000

__all__ = [
    "BANDS", "ROWS", "ENGINES", "MEMORY_MAX_ARTICLES", "BandRow", "CandidateEngine", "CandidatePair", "EngineUnavailable",
    "MemoryEngine", "ParagraphKey", "Signature", "band_keys", "band_rows", "chunks", "choose", "day_of", "engine",
]


def engine(name: str, *, store: Store | None = None, **options) -> CandidateEngine:
    """The engine called ``name`` (one of ENGINES); ``store`` is needed by "stored"."""
    if name == "memory":
        return MemoryEngine()
    if name == "stored":
        if store is None:
            raise ValueError("the stored engine needs a store")
        from .stored import StoredEngine

        return StoredEngine(store)
    if name == "duckdb":
        from .duckdb import DuckDBEngine

        return DuckDBEngine(**options)
    if name == "spark":
        from .spark import SparkEngine

        return SparkEngine(**options)
    raise ValueError(f"unknown candidate engine {name!r}: choose one of {', '.join(ENGINES)}")


def choose(article_count: int, *, store: Store | None = None) -> CandidateEngine:
    """The default engine for a corpus of ``article_count`` articles (see module doc)."""
    if article_count <= MEMORY_MAX_ARTICLES:
        return MemoryEngine()
    try:
        return engine("duckdb")
    except EngineUnavailable:
        return engine("stored", store=store)
