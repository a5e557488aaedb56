"""``provenance sign``: a store's paragraph signatures and band keys as Parquet, by day.

Two datasets under the output folder, hive-partitioned by publication day (``day=2025-03-04``;
undated articles under ``day=__HIVE_DEFAULT_PARTITION__``), the layout DuckDB and Spark read
natively and the per-day partitioning news archives (Media Cloud, EMM) use:

- ``signatures/``: article, paragraph, hashvalues (list of NUM_PERM uint64), day;
- ``bands/``: article, paragraph, band, key (int64, see ``candidates.base``), day.

Rows are streamed from SQLite (sorted by day) in batches, so an archive of any size is written in bounded
memory. A store keeps band keys, not signatures: the signatures are recomputed from the
stored text (``Store.signature_table``), and the keys from them are the stored ones.
Paragraphs whose keys were pruned (``provenance prune``) are left out.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .base import EngineUnavailable, band_keys

if TYPE_CHECKING:
    from ..store import Store

BATCH_ROWS = 50_000


@dataclass
class SignReport:
    signatures: int
    keys: int
    days: int


def import_pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise EngineUnavailable("provenance sign needs pyarrow: pip install 'provenance[scale]'") from exc
    return pa, pq


def write_signatures(store: Store, out_dir: str | Path) -> SignReport:
    """Write ``out_dir/signatures`` and ``out_dir/bands`` (see module doc), replacing them."""
    pa, pq = import_pyarrow()
    out = Path(out_dir)
    signatures = pa.schema(
        [("article", pa.string()), ("paragraph", pa.int32()), ("hashvalues", pa.list_(pa.uint64())), ("day", pa.string())]
    )
    bands = pa.schema(
        [("article", pa.string()), ("paragraph", pa.int32()), ("band", pa.int16()), ("key", pa.int64()), ("day", pa.string())]
    )
    counted = {"signatures": 0, "keys": 0}
    days: set[str | None] = set()
    # One pass: each signature is recomputed from the text once and feeds both datasets.
    written = _DayWriter(pa, pq, signatures, out / "signatures"), _DayWriter(pa, pq, bands, out / "bands")
    try:
        for article, paragraph, day, hashvalues in store.signature_table():
            counted["signatures"] += 1
            days.add(day)
            written[0].add((article, paragraph, hashvalues.tolist()), day)
            for band, key in enumerate(band_keys(hashvalues)):
                counted["keys"] += 1
                written[1].add((article, paragraph, band, key), day)
    finally:
        for writer in written:
            writer.close()
    return SignReport(counted["signatures"], counted["keys"], len(days))


UNDATED = "__HIVE_DEFAULT_PARTITION__"  # what DuckDB and Spark read as a NULL day


class _DayWriter:
    """One dataset: rows arrive sorted by day, one Parquet file per day, written in batches
    of BATCH_ROWS (the day is the folder name, hive style, not a column)."""

    def __init__(self, pa, pq, schema, folder: Path) -> None:
        if folder.exists():
            shutil.rmtree(folder)
        self._pa, self._pq, self._folder = pa, pq, folder
        self._schema = pa.schema([f for f in schema if f.name != "day"])
        self._writer, self._day = None, object()
        self._columns: list[list] = [[] for _ in self._schema.names]

    def add(self, values: tuple, day: str | None) -> None:
        if day != self._day:
            self.close()
            self._day = day
            part = self._folder / f"day={day if day is not None else UNDATED}"
            part.mkdir(parents=True, exist_ok=True)
            self._writer = self._pq.ParquetWriter(part / "part-0.parquet", self._schema)
        for column, value in zip(self._columns, values):
            column.append(value)
        if len(self._columns[0]) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._columns[0]:
            arrays = [self._pa.array(c, f.type) for c, f in zip(self._columns, self._schema)]
            self._writer.write_batch(self._pa.RecordBatch.from_arrays(arrays, schema=self._schema))
            for c in self._columns:
                c.clear()

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None
