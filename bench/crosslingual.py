"""Cross-lingual benchmark: translation-pair precision/recall/direction and throughput.

    python bench/crosslingual.py quality  ../shared/bench-data/wmt22-dev [--no-embed]
    python bench/crosslingual.py seeds    seeds [--no-embed]
    python bench/crosslingual.py speed    ../shared/bench-data [--json-docs 200]

Articles are loaded with a minimal reader (title = first line, paragraphs split on blank
lines, or on lines when there are none; language by py3langid) so that this benchmark
measures the cross-lingual stage alone, independent of ingest/segment.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import py3langid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provenance.crosslingual import find_translations  # noqa: E402
from provenance.embeddings import MemoryEmbeddingCache, load_embedder  # noqa: E402
from provenance.models import Article, Paragraph  # noqa: E402


def load_article(path: Path, article_id: str) -> Article:
    text = path.read_text(encoding="utf-8")
    separator = "\n\n" if "\n\n" in text.strip() else "\n"
    paragraphs: list[Paragraph] = []
    offset = 0
    for chunk in text.split(separator):
        start = text.index(chunk, offset)
        offset = start + len(chunk)
        stripped = chunk.strip()
        if not stripped:
            continue
        lead = start + chunk.index(stripped)
        language = py3langid.classify(stripped)[0]
        paragraphs.append(Paragraph(len(paragraphs), lead, lead + len(stripped), stripped, language))
    language = py3langid.classify(text)[0]
    title = paragraphs[0].text if paragraphs else None
    return Article(id=article_id, source=str(path), text=text, title=title,
                   language=language, paragraphs=paragraphs)


def load_folder(folder: Path, prefix: str) -> list[Article]:
    return [load_article(p, f"{prefix}/{p.name}") for p in sorted(folder.glob("*.txt"))]


def quality(root: Path, use_embeddings: bool) -> None:
    gold = json.loads((root / "gold.json").read_text())["stories"]
    embedder = load_embedder() if use_embeddings else None
    for name, story in gold.items():
        articles = load_folder(root / name, name)
        t0 = time.perf_counter()
        matches = find_translations(articles, embedder=embedder, cache=MemoryEmbeddingCache())
        elapsed = time.perf_counter() - t0
        truth = {frozenset((k, v["parent"])): (v["parent"], k)
                 for k, v in story["articles"].items() if v.get("kind") == "translation"}
        found = {frozenset((m.a, m.b)): m for m in matches}
        tp = [p for p in found if p in truth]
        precision = len(tp) / len(found) if found else 1.0
        recall = len(tp) / len(truth) if truth else 1.0
        decided = [p for p in tp if found[p].direction is not None]
        right = [p for p in decided if found[p].direction == truth[p]]
        print(f"{name}: {len(articles)} articles, gold pairs {len(truth)}, found {len(found)}, "
              f"precision {precision:.3f} recall {recall:.3f}; direction decided {len(decided)}/{len(tp)}, "
              f"correct {len(right)}/{len(decided)}; method {matches[0].method if matches else '-'}; "
              f"{elapsed:.1f}s")
        for p in found:
            if p not in truth:
                m = found[p]
                print(f"  false pair {m.a} ~ {m.b} score {m.score} cov {m.a_coverage}/{m.b_coverage}")
        for p in truth:
            if p not in found:
                print(f"  missed {sorted(p)}")


def seeds(folder: Path, use_embeddings: bool) -> None:
    articles = load_folder(folder, folder.name)
    embedder = load_embedder() if use_embeddings else None
    t0 = time.perf_counter()
    matches = find_translations(articles, embedder=embedder, cache=MemoryEmbeddingCache())
    print(f"{len(matches)} translation matches in {time.perf_counter() - t0:.2f}s, "
          f"{getattr(embedder, 'embedded', 0)} paragraphs embedded")
    for m in matches:
        print(f"{m.a} ~ {m.b}: score {m.score}, method {m.method}, direction {m.direction} "
              f"({m.direction_confidence})")
        for line in m.evidence:
            print("   ", line)


def load_json_folder(folder: Path, prefix: str, limit: int) -> list[Article]:
    """COUNTER-style JSON ({"title", "text"}) documents, paragraphs on newlines."""
    articles = []
    for path in sorted(folder.glob("*.json"))[:limit]:
        data = json.loads(path.read_text(encoding="utf-8"))
        text = f"{data.get('title', '')}\n\n" + "\n\n".join(
            line.strip() for line in data.get("text", "").split("\n") if line.strip())
        article = _article_from_text(text, f"{prefix}/{path.name}", str(path))
        articles.append(article)
    return articles


def _article_from_text(text: str, article_id: str, source: str) -> Article:
    paragraphs: list[Paragraph] = []
    offset = 0
    for chunk in text.split("\n\n"):
        start = text.index(chunk, offset)
        offset = start + len(chunk)
        if chunk.strip():
            paragraphs.append(Paragraph(len(paragraphs), start, start + len(chunk), chunk,
                                        py3langid.classify(chunk)[0]))
    return Article(id=article_id, source=source, text=text, language=py3langid.classify(text)[0],
                   paragraphs=paragraphs, title=paragraphs[0].text if paragraphs else None)


def speed(root: Path, extra_json: int) -> None:
    """Throughput on a few hundred distinct articles: the WMT folders (ru, en, de, fr, zh),
    PolNeAR's English texts and the first ``extra_json`` COUNTER Urdu documents, all read
    from bench-data (nothing copied)."""
    articles = []
    for folder in sorted(p for p in (root / "wmt22-dev").iterdir() if p.is_dir()):
        articles += load_folder(folder, folder.name)
    articles += load_folder(root / "polnear-dev" / "text", "polnear")
    articles += load_json_folder(root / "counter-dev" / "corpus", "counter", extra_json)
    n = len(articles)
    t0 = time.perf_counter()
    found = find_translations(articles)
    anchors_only = time.perf_counter() - t0
    print(f"anchors only: {n} articles in {anchors_only:.2f}s = {n / anchors_only:.1f} articles/s, "
          f"{len(found)} translation matches")
    embedder = load_embedder()
    if embedder is None:
        print("no embedder installed (pip install .[crosslingual])")
        return
    t0 = time.perf_counter()
    found = find_translations(articles, embedder=embedder, cache=MemoryEmbeddingCache())
    elapsed = time.perf_counter() - t0
    embedded = getattr(embedder, "embedded", 0)
    print(f"with embeddings (cold cache): {n} articles in {elapsed:.2f}s = {n / elapsed:.1f} articles/s, "
          f"{embedded} paragraphs embedded = {embedded / elapsed:.1f} paragraphs/s overall, "
          f"{len(found)} translation matches")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["quality", "seeds", "speed"])
    parser.add_argument("path", type=Path)
    parser.add_argument("--no-embed", action="store_true", help="anchors only")
    parser.add_argument("--json-docs", type=int, default=200, help="COUNTER documents in the speed corpus")
    args = parser.parse_args()
    if args.mode == "quality":
        quality(args.path, not args.no_embed)
    elif args.mode == "seeds":
        seeds(args.path, not args.no_embed)
    else:
        speed(args.path, args.json_docs)


if __name__ == "__main__":
    main()
