"""What storing band keys costs as a database file grows, by merge policy.

    python bench/band_staging.py [N] [--shares 0.25 0.125 0.0625] [--min-keys 500000]
                                 [--code DIR] [--baseline DIR]

Stores N articles (default 60,000) of 9 short paragraphs into a fresh file through
``Store.add_article``, 200 a commit as ingest does, each paragraph with a random MinHash
signature (37 band keys that land anywhere in ``bands``, as real keys do). Extraction and
fingerprinting are left out, so what grows is the store's own work. For each
``store.STAGE_SHARE`` in ``--shares`` (with ``STAGE_MIN_KEYS`` from ``--min-keys``) prints
milliseconds an article per tenth of N, the total, the merges, and the file's size with
its free pages (the staged keys' pages, freed by a merge and reused by the next keys).
``--code DIR`` runs another checkout's package; ``--baseline DIR`` first runs DIR's as it
is (a checkout from before migration 0011: keys inserted into ``bands`` at once) and
prints each total's ratio to it. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(n: int, share: float | None, min_keys: int, path: Path) -> dict:
    import numpy as np

    from provenance import store as store_module
    from provenance.models import Article, Paragraph
    from provenance.store import Store

    if share is not None:  # None: the checkout's own settings
        store_module.STAGE_SHARE, store_module.STAGE_MIN_KEYS = share, min_keys
    merges = 0
    if hasattr(Store, "_merge_staged_keys"):
        real_merge = Store._merge_staged_keys

        def counted(self):
            nonlocal merges
            merges += 1
            real_merge(self)

        Store._merge_staged_keys = counted
    rng = np.random.default_rng(1)
    tenth = max(1, n // 10)
    per_tenth, start, mark = [], time.perf_counter(), time.perf_counter()
    with Store(path) as store:
        for first in range(0, n, 200):
            with store.batch():
                for number in range(first, min(n, first + 200)):
                    texts = [f"Paragraph {i} of article {number}." for i in range(9)]
                    text = "\n\n".join(texts)
                    paragraphs, offset = [], 0
                    for i, t in enumerate(texts):
                        paragraphs.append(Paragraph(i, offset, offset + len(t), t, "en"))
                        offset += len(t) + 2
                    article = Article(id=f"a{number}", source=f"a{number}", text=text, paragraphs=paragraphs)
                    signatures = {i: rng.integers(0, 2**32, 128, dtype=np.uint32) for i in range(9)}
                    store.add_article(article, [], signatures)
                    if (number + 1) % tenth == 0:
                        now = time.perf_counter()
                        per_tenth.append(round((now - mark) * 1000 / tenth, 2))
                        mark = now
        if hasattr(store, "settle_band_keys"):
            store.settle_band_keys()
        total = time.perf_counter() - start
        pages, free, size = (store._db.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
    return {"share": share, "ms_per_article": per_tenth, "total_s": round(total, 1), "merges": merges,
            "file_mb": round(pages * size / 1e6, 1), "free_mb": round(free * size / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=60_000)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.25, 0.125, 0.0625])
    parser.add_argument("--min-keys", type=int, default=500_000)
    parser.add_argument("--code", type=Path, default=REPO)
    parser.add_argument("--baseline", type=Path, default=None)
    parser.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.path is not None:
        print(json.dumps(child(args.n, args.child, args.min_keys, args.path)))
        return
    runs = [("baseline", args.baseline, None)] if args.baseline else []
    runs += [(f"STAGE_SHARE {share}", args.code, share) for share in args.shares]
    base = None
    for label, code, share in runs:
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, __file__, str(args.n), "--min-keys", str(args.min_keys),
                       "--path", str(Path(tmp) / "k.db")] + ([] if share is None else ["--child", str(share)])
            out = subprocess.run(command, cwd=str(code), env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
                                 capture_output=True, text=True)
        if out.returncode:
            print(f"{label}: failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        base = base or (r["total_s"] if share is None else None)
        ratio = f"  x{r['total_s'] / base:.2f} of baseline" if base else ""
        print(f"{label:<20} total {r['total_s']:>7} s{ratio}  merges {r['merges']:>4}  "
              f"file {r['file_mb']} MB (free {r['free_mb']} MB)  ms/article by tenth: {r['ms_per_article']}",
              flush=True)


if __name__ == "__main__":
    main()
