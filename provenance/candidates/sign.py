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
from collections.abc import Iterable
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

    def signature_rows():
        for article, paragraph, day, hashvalues in store.signature_table():
            counted["signatures"] += 1
            days.add(day)
            yield article, paragraph, hashvalues.tolist(), day

    def band_rows():
        # Keys are a pure function of the signature: recomputed here, in the same order.
        for article, paragraph, day, hashvalues in store.signature_table():
            for band, key in enumerate(band_keys(hashvalues)):
                counted["keys"] += 1
                yield article, paragraph, band, key, day

    for name, schema, rows in (("signatures", signatures, signature_rows()), ("bands", bands, band_rows())):
        _write_by_day(pa, pq, schema, rows, out / name)
    return SignReport(counted["signatures"], counted["keys"], len(days))


UNDATED = "__HIVE_DEFAULT_PARTITION__"  # what DuckDB and Spark read as a NULL day


def _write_by_day(pa, pq, schema, rows: Iterable[tuple], folder: Path) -> None:
    """Rows arrive sorted by day (last column): one Parquet file per day, written in
    batches of BATCH_ROWS (the day is the folder name, hive style, not a column)."""
    if folder.exists():
        shutil.rmtree(folder)
    file_schema = pa.schema([f for f in schema if f.name != "day"])
    writer, current, columns = None, object(), [[] for _ in file_schema.names]

    def flush():
        if columns[0]:
            writer.write_batch(
                pa.RecordBatch.from_arrays([pa.array(c, f.type) for c, f in zip(columns, file_schema)], schema=file_schema)
            )
            for c in columns:
                c.clear()

    for row in rows:
        *values, day = row
        if day != current:
            if writer is not None:
                flush()
                writer.close()
            current = day
            part = folder / f"day={day if day is not None else UNDATED}"
            part.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(part / "part-0.parquet", file_schema)
        for column, value in zip(columns, values):
            column.append(value)
        if len(columns[0]) >= BATCH_ROWS:
            flush()
    if writer is not None:
        flush()
        writer.close()
