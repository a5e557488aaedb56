"""How the tracer scales: per-stage seconds and peak memory on generated news corpora.

    python bench/scale.py [--sizes 1000 10000 20000] [--big] [--jobs 2] [--code DIR]
                          [--memory-gb 6] [--skip-fingerprints]

For each size a generated corpus (about 20% derived articles: copies of an earlier article
with some paragraphs dropped or edited, a credit line, a paragraph of their own) is written
as JSONL to a temporary folder and traced without embeddings, stage by stage, in a fresh
process under a memory limit (``--memory-gb``; a size that hits it is reported, the next
ones are skipped). Prints seconds per stage (ingest, align, lineage, save), peak RSS (the
tracer's process plus its worker processes), the growth exponent of the total time and of
the memory between the sizes run, and fingerprint throughput (paragraphs/s) next to
datasketch's plain loop, ``MinHash.bulk`` and rensa (if installed), all measured in this run
with the mean |J_est - J_true| of each on the same pairs.

``--code DIR`` traces with the provenance package found in DIR (an older checkout, to
compare before/after in the same run: timings on a shared machine are noisy, ratios are not).
``--big`` adds 100,000 articles. Sizes from ``--file-from`` (20,001) on are traced as an
archive is, through a database file (`trace --db`: ingest, then the streamed analysis with
the default engine, DuckDB), in a table of their own: stages "ingest" and "analyse", the
database's size per article. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SYLLABLES = ("ka lo mi ter va sun dre po ang bel cor nis tu ram el gio sa ren ot fi lu mar "
             "den pra vol qui ste har").split()
OUTLETS = ("Daily Ledger", "Morning Post", "Harbour Times", "Valley Herald", "City Wire", "Evening Star",
           "Coast Gazette", "Metro News")
AGENCIES = ("Reuters", "AFP", "EFE", "dpa", "AP")


# The corpus --------------------------------------------------------------------------------

def generate_articles(n: int, seed: int = 7) -> list[dict]:
    """n plausible news articles as JSON objects; ~20% derive from an earlier one.

    Words are drawn from a Zipf-like vocabulary (function words everywhere, topic words
    per story); a derived article keeps most of its source's paragraphs in order, edits
    some of them (a word swapped, a clause dropped), may credit an agency, adds a paragraph
    of its own and is published within days of its source.
    """
    rng = random.Random(seed)
    vocabulary = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(60000)})
    rng.shuffle(vocabulary)
    common = vocabulary[:150]
    weights = [1 / (rank + 1) for rank in range(len(common))]

    def sentence(topic: list[str]) -> str:
        words = [
            rng.choice(topic) if rng.random() < 0.45 else rng.choices(common, weights)[0]
            for _ in range(rng.randint(9, 24))
        ]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), str(rng.randint(2, 2000)))
        return " ".join(words).capitalize() + "."

    def paragraph(topic: list[str]) -> str:
        return " ".join(sentence(topic) for _ in range(rng.randint(2, 4)))

    articles: list[dict] = []
    for i in range(n):
        day = i // 100  # about 100 articles a day
        outlet = rng.choice(OUTLETS)
        if articles and rng.random() < 0.2:
            source = articles[max(0, len(articles) - 1 - int(rng.expovariate(1 / 200)))]
            kept = []
            for p in source["text"].split("\n\n")[1:]:
                if rng.random() < 0.15:
                    continue  # dropped
                if rng.random() < 0.3:
                    words = p.split()
                    words[rng.randrange(len(words))] = rng.choice(vocabulary)
                    p = " ".join(words[: max(8, len(words) - rng.randint(0, 6))]) + "."
                kept.append(p)
            kept.append(paragraph(rng.sample(vocabulary, 40)))
            if rng.random() < 0.5:
                kept.append(f"(With information from {rng.choice(AGENCIES)})")
            title = "Update: " + source["title"]
            published_day = source["_day"] + rng.randint(0, 2)
        else:
            topic = rng.sample(vocabulary, 50)
            kept = [paragraph(topic) for _ in range(rng.randint(5, 10))]
            title = sentence(topic)[:70]
            published_day = day
        articles.append(
            {
                "url": f"https://news{OUTLETS.index(outlet)}.example/{i}",
                "title": title,
                "published": f"2025-{1 + published_day // 28 % 12:02d}-{1 + published_day % 28:02d}",
                "outlet": outlet,
                "text": title + "\n\n" + "\n\n".join(kept),
                "_day": published_day,
            }
        )
    for a in articles:
        del a["_day"]
    return articles


def write_corpus(folder: Path, articles: list[dict], per_file: int = 1000) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(articles), per_file):
        with open(folder / f"part-{start // per_file:05d}.jsonl", "w", encoding="utf-8") as out:
            for a in articles[start : start + per_file]:
                out.write(json.dumps(a, ensure_ascii=False) + "\n")


# One traced size, in its own process ----------------------------------------------------------

def run_stages(folder: str, jobs: int) -> dict:
    """Trace ``folder`` stage by stage (as pipeline.analyse does); seconds and peak RSS."""
    from provenance import align, crosslingual, lineage, pipeline
    from provenance.outlets import default_registry
    from provenance.store import Store

    registry = default_registry()
    seconds: dict[str, float] = {}
    # As `provenance trace` without --db does: a throw-away store without the indexes a
    # database keeps for later runs (the size of one that keeps them: db_size below).
    scratch = Store.memory(indexed=False) if "indexed" in inspect.signature(Store).parameters else Store(":memory:")
    with scratch as store:
        start = time.perf_counter()
        kwargs = {"jobs": jobs} if "jobs" in inspect.signature(pipeline.ingest).parameters else {}
        pipeline.ingest([folder], store, registry=registry, **kwargs)
        seconds["ingest"] = time.perf_counter() - start

        start = time.perf_counter()
        articles = store.articles()
        # An older checkout (--baseline) kept signatures in the store and took them back.
        stored = (store.fingerprints(),) if "stored" in inspect.signature(align.find_matches).parameters else ()
        seconds["load"] = time.perf_counter() - start

        start = time.perf_counter()
        align_kwargs = {"jobs": jobs} if "jobs" in inspect.signature(align.find_matches).parameters else {}
        matches = align.find_matches(articles, *stored, **align_kwargs)
        xl_kwargs = {"jobs": jobs} if "jobs" in inspect.signature(crosslingual.find_translations).parameters else {}
        matches += crosslingual.find_translations(articles, embedder=None, cache=store, **xl_kwargs)
        seconds["align"] = time.perf_counter() - start

        start = time.perf_counter()
        edges, outlets = lineage.build_forest(articles, matches, store.attributions(), registry)
        seconds["lineage"] = time.perf_counter() - start

        start = time.perf_counter()
        store.save_analysis(outlets, matches, edges)
        seconds["save"] = time.perf_counter() - start
        n_articles = len(articles)
        text_bytes = sum(len(a.text.encode("utf-8")) for a in articles)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    db_kib = db_size(folder, jobs, registry)
    self_peak = own.ru_maxrss / 1024
    children_peak = children.ru_maxrss / 1024
    # CPU seconds of the tracer and its workers: steadier than wall time on a busy machine.
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return {
        "articles": n_articles,
        "seconds": seconds,
        "total": sum(seconds.values()),
        "cpu": cpu,
        "peak_rss_mib": self_peak,
        "worker_peak_rss_mib": children_peak,
        "matches": len(matches),
        "derived_edges": sum(1 for e in edges if e.kind in ("copy", "rewrite")),
        "db_kib_per_article": db_kib,
        "text_kib_per_article": text_bytes / 1024 / max(1, n_articles),
    }


DB_SAMPLE = 1000


def run_stages_file(folder: str, jobs: int) -> dict:
    """Trace ``folder`` as `provenance trace --db FILE` does for an archive: ingest into a
    database file (streamed, 200 articles a commit), then the analysis with the default
    engine (DuckDB past 20,000 articles, streamed from the file: provenance/streaming.py)."""
    from provenance import pipeline
    from provenance.store import Store

    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.db"
        with Store(path) as store:
            start = time.perf_counter()
            pipeline.ingest([folder], store, jobs=jobs)
            seconds["ingest"] = time.perf_counter() - start
            start = time.perf_counter()
            matches, edges, _, _ = pipeline.analyse(store, crosslingual_embeddings=False, jobs=jobs)
            seconds["analyse"] = time.perf_counter() - start
            n_articles = store.article_count()
            text_bytes = store._db.execute("SELECT SUM(length(CAST(text AS BLOB))) FROM articles").fetchone()[0]
        db_kib = path.stat().st_size / 1024 / max(1, n_articles)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "articles": n_articles,
        "seconds": seconds,
        "total": sum(seconds.values()),
        "cpu": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        "peak_rss_mib": own.ru_maxrss / 1024,
        "worker_peak_rss_mib": children.ru_maxrss / 1024,
        "matches": len(matches),
        "derived_edges": sum(1 for e in edges if e.kind in ("copy", "rewrite")),
        "db_kib_per_article": db_kib,
        "text_kib_per_article": text_bytes / 1024 / max(1, n_articles),
    }


def db_size(folder: str, jobs: int, registry) -> float:
    """KiB per article of a database file (`trace --db`: full-text, band and vocabulary
    indexes included) holding the first DB_SAMPLE articles of the corpus, analysed."""
    from provenance import pipeline
    from provenance.store import Store

    first = sorted(Path(folder).glob("*.jsonl"))[0]
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        with open(first, encoding="utf-8") as lines, open(sample, "w", encoding="utf-8") as out:
            for _, line in zip(range(DB_SAMPLE), lines):
                out.write(line)
        path = Path(tmp) / "sample.db"
        with Store(path) as store:
            pipeline.ingest([str(sample)], store, registry=registry)
            pipeline.analyse(store, registry=registry, crosslingual_embeddings=False)
            count = store._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            store._db.execute("VACUUM")
        return path.stat().st_size / 1024 / max(1, count)


def run_size(n: int, code: Path, jobs: int, memory_gb: float, tmp: Path, in_file: bool = False) -> dict:
    folder = tmp / f"corpus-{n}"
    if not folder.exists():
        write_corpus(folder, generate_articles(n))
    limit = int(memory_gb * 1024**3)

    def cap_memory() -> None:  # the watchdog: a runaway size fails alone, the machine stays up
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(code))
    out = subprocess.run(
        [sys.executable, __file__, "--child-file" if in_file else "--child", str(folder), "--jobs", str(jobs)],
        cwd=str(code), env=env, capture_output=True, text=True, preexec_fn=cap_memory,
    )
    if out.returncode != 0:
        return {"articles": n, "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# Fingerprints --------------------------------------------------------------------------------

def bench_fingerprints(articles: list[dict], limit: int = 20000) -> None:
    import numpy as np
    from datasketch import MinHash

    from provenance import fingerprint as fp

    paragraphs = [p for a in articles for p in a["text"].split("\n\n")][:limit]
    shingle_sets = [fp.shingles(fp.tokenize(p)) for p in paragraphs]
    encoded = [[s.encode("utf-8") for s in shingles] for shingles in shingle_sets]
    n = len(paragraphs)
    rows: list[tuple[str, float, list]] = []

    def timed(name, run):
        start = time.perf_counter()
        values = run()
        rows.append((name, n / (time.perf_counter() - start), values))

    def plain_loop():
        out = []
        for items in encoded:
            m = MinHash(num_perm=fp.NUM_PERM, seed=fp.SEED)
            for item in items:
                m.update(item)
            out.append(m.hashvalues)
        return out

    timed("datasketch MinHash.update loop", plain_loop)
    timed("datasketch MinHash.bulk", lambda: [m.hashvalues for m in MinHash.bulk(encoded, num_perm=fp.NUM_PERM, seed=fp.SEED)])
    timed("provenance signatures (numpy, with hashing)", lambda: list(fp.signatures(shingle_sets)))
    hashed = np.array([fp.shingle_hash32(s) for shingles in shingle_sets for s in shingles], dtype=np.uint32)
    owner = np.repeat(np.arange(n), [len(shingles) for shingles in shingle_sets])
    timed("provenance permute+min only (pre-hashed)", lambda: list(fp._minima(hashed, owner, n)))
    words = [fp.words(p) for p in paragraphs]
    timed("provenance signatures from words", lambda: list(fp.signatures_of_words(words)))
    # The measure: text in, signature out (what ingest does per paragraph).
    timed("provenance tokenise+shingle+MinHash", lambda: list(fp.signatures_of_words([fp.words(p) for p in paragraphs])))
    try:
        from rensa import RMinHash  # optional: only measured when installed
    except ImportError:
        print("  (rensa not installed: pip install rensa to measure it too)")
    else:
        def rensa_run():
            out = []
            for shingles in shingle_sets:
                m = RMinHash(num_perm=fp.NUM_PERM, seed=fp.SEED)
                m.update(list(shingles))
                out.append(m.digest())
            return out

        timed("rensa RMinHash", rensa_run)

    # Accuracy on pairs that overlap (a copied or edited paragraph and its source, found by
    # a shared shingle) and on random pairs.
    rng = random.Random(1)
    first_with: dict[str, int] = {}
    pairs = []
    for i, shingles in enumerate(shingle_sets):
        for shingle in sorted(shingles)[:5]:
            j = first_with.setdefault(shingle, i)
            if j != i:
                pairs.append((j, i))
                break
    pairs = rng.sample(pairs, min(3000, len(pairs))) + [(rng.randrange(n), rng.randrange(n)) for _ in range(1000)]
    true = []
    for i, j in pairs:
        union = shingle_sets[i] | shingle_sets[j]
        true.append(len(shingle_sets[i] & shingle_sets[j]) / len(union) if union else 1.0)
    print(f"fingerprinting {n} paragraphs, {fp.NUM_PERM} permutations (paragraphs/s; mean |J_est - J_true| "
          f"over {len(pairs)} pairs, {sum(t > 0.2 for t in true)} of them with J > 0.2)")
    base = rows[0][1]
    for name, rate, values in rows:
        estimates = [float(np.mean(np.asarray(values[i]) == np.asarray(values[j]))) for i, j in pairs]
        error = sum(abs(e - t) for e, t in zip(estimates, true)) / len(pairs)
        print(f"  {name:46s} {rate:9.0f}  ({rate / base:5.1f}x plain loop)  error {error:.4f}")


# Report --------------------------------------------------------------------------------------

def exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(value) against log(articles)."""
    points = [(n, v) for n, v in points if v > 0]
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def print_table(label: str, results: list[dict], growth: bool = True) -> None:
    print(f"\n{label}")
    stages = ("ingest", "load", "align", "lineage", "save", "analyse")
    print(f"  {'articles':>8} " + " ".join(f"{s:>8}" for s in stages)
          + f" {'total s':>8} {'cpu s':>7} {'peak MiB':>9} {'workers':>8} {'db KiB/art':>10} {'text KiB/art':>12} {'matches':>8} {'derived':>8}")
    for r in results:
        if "error" in r:
            print(f"  {r['articles']:>8} failed: {r['error']}")
            continue
        print(f"  {r['articles']:>8} " + " ".join(f"{r['seconds'][s]:8.1f}" if s in r["seconds"] else f"{'-':>8}" for s in stages)
              + f" {r['total']:8.1f} {r['cpu']:7.1f} {r['peak_rss_mib']:9.0f} {r['worker_peak_rss_mib']:8.0f}"
              f" {r['db_kib_per_article']:10.1f} {r['text_kib_per_article']:12.1f} {r['matches']:8d} {r['derived_edges']:8d}")
    ok = [r for r in results if "error" not in r]
    if not growth:
        return
    t_exp = exponent([(r["articles"], r["total"]) for r in ok])
    m_exp = exponent([(r["articles"], r["peak_rss_mib"]) for r in ok])
    c_exp = exponent([(r["articles"], r["cpu"]) for r in ok])
    if t_exp is not None:
        print(f"  growth exponent: time n^{t_exp:.2f}, cpu n^{c_exp:.2f}, peak memory n^{m_exp:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 20000])
    parser.add_argument("--big", action="store_true", help="add 100,000 articles")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--code", type=Path, default=REPO, help="folder holding the provenance package to trace with")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="also trace --baseline-size articles with the provenance package in this folder (an older checkout)")
    parser.add_argument("--baseline-size", type=int, default=1000)
    parser.add_argument("--memory-gb", type=float, default=6.0, help="address-space limit per traced size")
    parser.add_argument("--skip-fingerprints", action="store_true")
    parser.add_argument("--file-from", type=int, default=20001,
                        help="sizes from this many articles are traced through a database file (`trace --db`: "
                             "ingest, then the streamed analysis), as an archive is")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_stages(args.child, args.jobs)))
        return
    if args.child_file:
        print(json.dumps(run_stages_file(args.child_file, args.jobs)))
        return
    sys.path.insert(0, str(REPO))
    sizes = sorted(set(args.sizes + ([100000] if args.big else [])))
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_fingerprints:
            bench_fingerprints(generate_articles(3000, seed=3))
        if args.baseline:
            n = args.baseline_size
            old = run_size(n, args.baseline, args.jobs, args.memory_gb, Path(tmp))
            new = run_size(n, args.code, args.jobs, args.memory_gb, Path(tmp))
            print_table(f"before ({args.baseline}) and after ({args.code}) at {n} articles", [old, new], growth=False)
            if "error" not in old and "error" not in new:
                print(f"  after/before: time {new['total'] / old['total']:.2f}, cpu {new['cpu'] / old['cpu']:.2f}, "
                      f"peak memory {new['peak_rss_mib'] / old['peak_rss_mib']:.2f}")
        for in_file, chosen in ((False, [n for n in sizes if n < args.file_from]),
                                (True, [n for n in sizes if n >= args.file_from])):
            results = []
            for n in chosen:
                result = run_size(n, args.code, args.jobs, args.memory_gb, Path(tmp), in_file)
                results.append(result)
                print(f"  ... {n} articles: " + (result.get("error") or f"{result['total']:.1f} s"), file=sys.stderr)
                if "error" in result:
                    break  # a bigger size would fail the same way
            if results:
                how = "through a database file, default engine" if in_file else "in memory"
                print_table(f"traced with {args.code} {how} (--no-embeddings, jobs={args.jobs})", results)


if __name__ == "__main__":
    main()
