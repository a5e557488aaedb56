"""What a database file holds per article, part by part (SQLite's dbstat).

    python bench/dbsize.py incremental|scale [N] [--full-text] [--keep FILE]

Builds a file from N generated articles (default 5,000): ``incremental`` is the archive
generator of bench/incremental.py (short English articles, about 1.3 KiB of text),
``scale`` the corpus of bench/scale.py (about 3.9 KiB). Ingest (``jobs=2``), the default
analysis, ``VACUUM``, then prints the wall times, the text and the file per article and
every table or index over 20 bytes an article. ``--full-text`` builds the opt-in search
index too. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", choices=["incremental", "scale"])
    parser.add_argument("n", type=int, nargs="?", default=5000)
    parser.add_argument("--full-text", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="write the database here instead of a temp folder")
    args = parser.parse_args()

    from provenance import pipeline
    from provenance.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        if args.corpus == "incremental":
            import incremental

            incremental.write_jsonl(folder, incremental.make_articles(args.n, seed=args.n))
        else:
            import scale

            scale.write_corpus(folder, scale.generate_articles(args.n))
        path = args.keep or Path(tmp) / "size.db"
        if path.exists():
            path.unlink()
        with Store(path, full_text=args.full_text) as store:
            start = time.perf_counter()
            pipeline.ingest([str(folder)], store, jobs=2)
            ingested = time.perf_counter() - start
            pipeline.analyse(store, crosslingual_embeddings=False, jobs=2)
            analysed = time.perf_counter() - start - ingested
            count = store.article_count()
            text = store._db.execute("SELECT SUM(length(CAST(text AS BLOB))) FROM articles").fetchone()[0]
            store.vacuum()
            parts = store._db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        size = path.stat().st_size
    print(f"{args.corpus} {count} articles: ingest {ingested:.1f} s, analysis {analysed:.1f} s; "
          f"text {text / count:.0f} B an article; file {size / count:.0f} B ({size / 1024 / count:.2f} KiB) an article")
    for name, used in parts:
        if used / count > 20:
            print(f"  {name:36s} {used / count:7.0f} B")


if __name__ == "__main__":
    main()
