"""Run every dev evaluation and print one summary table: the figures and the seconds each took.

    python bench/evaluate_all.py [BENCH_DATA] [--only counter wmt22-ru-en ...] [--json OUT]
                                 [--no-crosslingual]

BENCH_DATA is the bench-data folder: the argument, else $PROVENANCE_BENCH_DATA, else
../shared/bench-data relative to the repository. The data is read where it is (licences: it is never
copied). Each corpus is traced as ``provenance evaluate`` does it (see provenance/evaluate.py for the
metric definitions). A corpus that fails (even a tracer crash) gets an error row and the others still
run; the exit code is then 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich import box  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from provenance.evaluate import EvaluationError, evaluate_corpus, registry_resolver  # noqa: E402
from provenance.polnear import PolnearError  # noqa: E402


@dataclass(frozen=True)
class DevCorpus:
    name: str
    folder: str  # relative to the bench-data folder
    gold: str | None  # None: a brat folder scored from its own annotations


DEV_CORPORA = (
    DevCorpus("counter", "counter-dev/corpus", "counter-dev/gold.json"),
    DevCorpus("wmt22-ru-en", "wmt22-dev/ru-en", "wmt22-dev/gold.json"),
    DevCorpus("wmt22-de-fr", "wmt22-dev/de-fr", "wmt22-dev/gold.json"),
    DevCorpus("wmt22-en-zh", "wmt22-dev/en-zh", "wmt22-dev/gold.json"),
    DevCorpus("polnear", "polnear-dev", None),
)
Result = tuple[DevCorpus, dict | None, float, str | None]  # corpus, metrics, seconds, error


def bench_data_dir(argument: str | None) -> Path:
    if argument:
        return Path(argument)
    if os.environ.get("PROVENANCE_BENCH_DATA"):
        return Path(os.environ["PROVENANCE_BENCH_DATA"])
    return REPO.parent / "shared" / "bench-data"


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _prf(prf: dict | None) -> str:
    if not prf or prf.get("f1") is None and prf.get("recall") is None:
        return "–"
    return "/".join(_fmt(prf.get(k)) for k in ("precision", "recall", "f1"))


def summary_table(results: list[Result]) -> Table:
    table = Table(title="provenance dev evaluations", title_justify="left", box=box.SIMPLE_HEAD)
    columns = ("corpus", "articles", "parent acc", "a→a edges P/R/F1", "pair R", "direction",
               "false links", "attribution P/R/F1", "attr. w/o self", "3-class F1", "wire R",
               "seconds")
    for column in columns:
        table.add_column(column, justify="left" if column == "corpus" else "right")
    for corpus, metrics, seconds, error in results:
        if metrics is None:
            table.add_row(corpus.name, *(["error"] + [""] * (len(columns) - 3)), f"{seconds:.1f}")
            continue
        lineage = metrics.get("lineage_annotated", True)
        reuse = metrics.get("reuse_classes")
        attribution = metrics["attribution"]
        table.add_row(
            corpus.name,
            str(metrics["articles"]),
            _fmt(metrics["parent_accuracy"]),
            _prf(metrics["edges"].get("article")) if lineage else "–",
            _fmt(metrics["pair_recall"]),
            _fmt(metrics["direction_accuracy"]),
            str(len(metrics["false_links"])) if lineage else "–",
            _prf(attribution) if attribution.get("annotated") else "–",
            _prf(attribution.get("without_self")),
            _fmt(reuse["macro_f1"]) if reuse else "–",
            _fmt(metrics["wire_credit"]["recall"]) if "wire_credit" in metrics else "–",
            f"{seconds:.1f}",
        )
    return table


def run(data: Path, names: list[str] | None, crosslingual: bool) -> list[Result]:
    resolve = registry_resolver()
    results = []
    for corpus in DEV_CORPORA:
        if names and corpus.name not in names:
            continue
        started = time.perf_counter()
        try:
            gold = data / corpus.gold if corpus.gold else None
            metrics = evaluate_corpus(data / corpus.folder, gold, resolve=resolve, crosslingual=crosslingual)
            results.append((corpus, metrics, time.perf_counter() - started, None))
        except (EvaluationError, PolnearError, OSError) as exc:
            results.append((corpus, None, time.perf_counter() - started, str(exc)))
        except Exception as exc:  # a tracer crash on one corpus must not hide the others' figures
            message = f"tracer crashed: {type(exc).__name__}: {exc}"
            results.append((corpus, None, time.perf_counter() - started, message))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench_data", nargs="?", help="bench-data folder (default: $PROVENANCE_BENCH_DATA "
                        "or ../shared/bench-data next to the repository)")
    parser.add_argument("--only", nargs="+", choices=[c.name for c in DEV_CORPORA], help="corpora to run")
    parser.add_argument("--json", dest="json_out", type=Path, help="also write every metric to this file")
    parser.add_argument("--no-crosslingual", action="store_true", help="trace without the cross-lingual stage")
    args = parser.parse_args(argv)

    data = bench_data_dir(args.bench_data)
    if not data.is_dir():
        print(f"error: bench data folder not found: {data}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = run(data, args.only, crosslingual=not args.no_crosslingual)
    # Wide when piped (closing notes paste it); a terminal keeps its own width.
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(summary_table(results))
    console.print(f"total {time.perf_counter() - started:.1f} s; data: {data}")
    for corpus, metrics, _, error in results:
        if error:
            console.print(f"[red]{corpus.name}: {error}[/red]")
        elif metrics["input_errors"]:
            console.print(f"{corpus.name}: {len(metrics['input_errors'])} input errors, "
                          f"first: {metrics['input_errors'][0]}")
    if args.json_out:
        payload = {c.name: {"seconds": round(s, 2), "error": e, "metrics": m} for c, m, s, e in results}
        args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if any(error for *_, error in results) else 0


if __name__ == "__main__":
    sys.exit(main())
