"""Incremental tracing: 10 new articles traced against a stored archive of N articles.

    python bench/incremental.py [SIZES...] [--new 10] [--big]

Default sizes: 1000 5000 (--big adds 100000). For each size it builds an archive
(generated English news, ~20% derived from earlier articles, dated over a year), ingests
it and analyses it once with the stored engine (timed, not the point), then measures in a
fresh process each:

- ``alone``: the new articles traced by themselves in memory (the floor);
- ``incremental``: ``trace --db`` of the new articles against the archive: band-key
  lookup, alignment of pairs with a new side only, lineage redrawn for touched components.

and prints wall seconds, peak RSS and the ratio to ``alone``, measured in the same run.
Archive building is the slow part (ingest runs language id and attribution per article):
about 3-4 ms an article here on both cores. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "the of and to in a is that for on was with he it as his at by be this from had not are but or "
    "have an they which one you were all her she there would their we him been has when who will more "
    "no if out so said what up its about into than them can only other new some could time these two may "
    "then do first any my now such like our over man me even most made after also did many before must "
    "through back years where much your way well down should because each just those people how too little "
    "state good very make world still own see men work long get here between both life being under never day "
    "same another know while last might us great old year off come since against go came right used take three"
).split()
TOPIC = (
    "minister council harbour budget election court police strike union bank market shares export grain fuel "
    "storm flood drought bridge railway airport hospital school university museum festival company contract "
    "tender audit inquiry report officials spokesman agency parliament senate governor mayor province border "
    "army navy ceasefire talks summit treaty sanctions tariff inflation wages prices rent housing energy grid"
).split()


def make_articles(n: int, seed: int, start_day: int = 0, derived_share: float = 0.2, pool: list | None = None):
    rng = random.Random(seed)
    pool = pool if pool is not None else []
    out = []
    for i in range(n):
        day = start_day + rng.randrange(365) if start_day == 0 else start_day
        if pool and rng.random() < derived_share:
            source = rng.choice(pool)
            paragraphs = [p for p in source["text"].split("\n\n") if rng.random() < 0.85]
            paragraphs = [" ".join(w if rng.random() > 0.05 else rng.choice(WORDS) for w in p.split()) for p in paragraphs]
            paragraphs.append(sentence(rng, rng.sample(TOPIC, 12)))
            day = source["day"] + rng.randint(0, 2)
        else:
            topic = rng.sample(TOPIC, 12)
            paragraphs = [" ".join(sentence(rng, topic) for _ in range(3)) for _ in range(5)]
        article = {
            "title": f"Report {seed}-{i}",
            "published": _date(day),
            "outlet": f"Outlet {rng.randrange(60)}",
            "text": "\n\n".join(paragraphs),
            "day": day,
        }
        pool.append(article)
        out.append(article)
    return out


def sentence(rng, topic):
    words = [rng.choice(topic) if rng.random() < 0.35 else rng.choice(WORDS) for _ in range(rng.randint(10, 22))]
    return " ".join(words).capitalize() + "."


def _date(day: int) -> str:
    from datetime import date, timedelta

    return (date(2025, 1, 1) + timedelta(days=min(day, 400))).isoformat()


def write_jsonl(folder: Path, articles, per_file: int = 2000) -> None:
    """JSON lines, ``per_file`` articles a file (ingest caps one file at 20 MB)."""
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(articles), per_file):
        with (folder / f"part{start // per_file:04d}.jsonl").open("w") as out:
            for a in articles[start : start + per_file]:
                out.write(json.dumps({k: v for k, v in a.items() if k != "day"}) + "\n")


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from provenance import pipeline
start = time.perf_counter()
result = pipeline.trace([{inputs!r}], db_path={db!r}, crosslingual=False)
wall = time.perf_counter() - start
print(json.dumps({{"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "edges": len(result.edges), "matches": len(result.matches)}}))
"""

BUILD = """
import os, sys, time
sys.path.insert(0, {root!r})
from provenance import pipeline
from provenance.store import Store
with Store({db!r}) as store:
    start = time.perf_counter()
    report = pipeline.ingest([{inputs!r}], store, jobs=os.cpu_count() or 1)
    if report.errors or not report.added:
        raise SystemExit(f"archive not ingested: {{len(report.added)}} added, {{report.errors[:3]}}")
    ingested = time.perf_counter() - start
    pipeline.analyse(store, crosslingual_embeddings=False, engine="stored", jobs=os.cpu_count() or 1)
    print(f"{{ingested:.1f}} s ingest, {{time.perf_counter() - start - ingested:.1f}} s analysis")
"""


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"a benchmark step failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--big", action="store_true", help="add a 100,000-article archive")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep the archives (to profile them)")
    args = parser.parse_args()
    sizes = args.sizes + ([100_000] if args.big else [])
    root = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'archive':>8} {'build':>28} {'alone s':>8} {'alone MB':>9} {'incr s':>7} {'incr MB':>8} {'ratio':>6} matches")
        for size in sizes:
            pool: list = []
            archive = make_articles(size, seed=size, pool=pool)
            # New articles: published after the archive, half of them derived from it.
            new = make_articles(args.new, seed=size + 1, start_day=380, derived_share=0.5, pool=pool)
            archive_file, new_file = folder / f"archive{size}", folder / f"new{size}"
            write_jsonl(archive_file, archive)
            write_jsonl(new_file, new)
            db = str(folder / f"archive{size}.db")
            Path(db).unlink(missing_ok=True)
            start = time.perf_counter()
            built = run(BUILD.format(root=root, db=db, inputs=str(archive_file)))
            alone = json.loads(run(CHILD.format(root=root, db=None, inputs=str(new_file))))
            incremental = json.loads(run(CHILD.format(root=root, db=db, inputs=str(new_file))))
            print(
                f"{size:>8} {built:>28} {alone['wall']:>8.2f} {alone['rss_mb']:>9.0f} "
                f"{incremental['wall']:>7.2f} {incremental['rss_mb']:>8.0f} "
                f"{incremental['wall'] / alone['wall']:>6.2f} {incremental['matches']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
