"""The click layer: parse arguments, call the library, print. Nothing else lives here."""
from __future__ import annotations

import json
import sys

import click

from . import language

language.warm_up()  # overlaps the language model's load with the imports below

from . import pipeline, report  # noqa: E402
from .models import InputError  # noqa: E402
from .store import Store, StoreError, default_db_path  # noqa: E402

DB_HELP = (
    "SQLite database file. Default: $PROVENANCE_DB if set, else provenance.db in the "
    "per-user data folder (click's app dir, e.g. ~/.config/provenance on Linux)."
)

class _Group(click.Group):
    """Database problems (not a database, corrupt, read-only, too new) end any command
    with one line, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise click.ClickException(report.printable(exc)) from exc


@click.group(cls=_Group)
@click.version_option(package_name="provenance")
def main() -> None:
    """Trace where a news story came from."""


def _db_option(required_default: bool):
    if required_default:
        return click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Store the inputs in this SQLite file and trace them against everything already "
        "stored there. Without it, the inputs are traced in memory and nothing is written.",
    )


def _open_store(db_path: str | None) -> Store:
    return Store(db_path or default_db_path())


def _warn(error: InputError) -> None:
    """One line on stderr per bad input; names are escaped (a newline in a file name)."""
    click.echo(f"error: {report.printable(error.source)}: {report.printable(error.message)}",
               err=True)


def _emit_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _stdin_for(inputs: tuple[str, ...]):
    return sys.stdin.buffer if "-" in inputs else None


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@_db_option(False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see docs: trace output contract).")
@click.option(
    "--no-embeddings",
    is_flag=True,
    help="Cross-lingual alignment from anchors (numbers, names) only, without the embedding model.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "memory", "stored", "duckdb", "spark"]),
    default="auto",
    show_default=True,
    help="Candidate engine. auto: in-memory indexes up to 20,000 articles, DuckDB beyond; "
    "with --db, new articles are looked up in the stored index once the archive is traced.",
)
@click.option("--master", default=None, help="Spark master URL for --engine spark (default local[2]; see docs/scale.md).")
@click.option("--window", "window", default=None, metavar="7d",
              help="Only articles published within this window of each other (days: 7d, weeks: 2w) can be parent and child.")
def trace(inputs: tuple[str, ...], db_path: str | None, as_json: bool, no_embeddings: bool,
          engine: str, master: str | None, window: str | None) -> None:
    """Trace where the articles INPUTS came from.

    INPUTS are files (.txt, .html, .json, .jsonl), directories (read recursively), http(s)
    URLs, or - for standard input. Prints the lineage forest: which article derived from
    which, back to the origin, each edge with its evidence. Bad inputs are reported on
    stderr, one line each; the rest is traced and the exit code is 1.
    """
    from . import candidates

    chosen = None if engine == "auto" else engine
    if master is not None:
        if engine != "spark":
            raise click.UsageError("--master goes with --engine spark")
        try:
            chosen = candidates.engine("spark", master=master)
        except candidates.EngineUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        result = pipeline.trace(
            list(inputs),
            db_path=db_path,
            crosslingual=not no_embeddings,
            stdin=_stdin_for(inputs),
            on_error=_warn,
            engine=chosen,
            window_days=_window_days(window),
        )
    except candidates.EngineUnavailable as exc:  # an engine's optional extra is not installed
        raise click.ClickException(str(exc)) from exc
    finally:
        if isinstance(chosen, candidates.CandidateEngine):
            chosen.close()
    if as_json:
        _emit_json(result.to_json())
    else:
        report.print_trace(
            report.make_console(), result.articles, result.outlets, result.edges, result.matches, result.method
        )
    if result.errors:
        sys.exit(1)


def _window_days(window: str | None) -> int | None:
    """'7d' -> 7, '2w' -> 14, '10' -> 10; None stays None."""
    if window is None:
        return None
    text = window.strip().lower()
    unit = {"d": 1, "w": 7}.get(text[-1:], None)
    number = text[:-1] if unit else text
    if not number.isdigit():
        raise click.BadParameter(f"{window!r}: give days or weeks, e.g. 7d or 2w", param_hint="--window")
    return int(number) * (unit or 1)


@main.command()
@_db_option(True)
@click.option("--before", required=True, metavar="DATE", help="Drop index entries of articles published before this day (YYYY-MM-DD).")
def prune(db_path: str | None, before: str) -> None:
    """Drop old entries of the candidate index (band keys), not articles.

    Articles published before DATE stay in the database with their analysis; they are no
    longer candidate parents of articles traced later. Undated articles are kept.
    """
    from datetime import date

    try:
        day = date.fromisoformat(before).isoformat()
    except ValueError as exc:
        raise click.BadParameter(f"{before!r} is not a date (YYYY-MM-DD)", param_hint="--before") from exc
    with _open_store(db_path) as store:
        if store.read_only:
            raise click.ClickException(f"{report.printable(store.path)} is read-only: nothing pruned")
        counts = store.prune_bands(day)
    click.echo(
        f"pruned {counts['keys']} index entries ({counts['paragraphs']} paragraphs of "
        f"{counts['articles']} articles published before {day}); articles kept"
    )


@main.command()
@_db_option(True)
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for signatures/ and bands/ (Parquet, partitioned by day).")
def sign(db_path: str | None, out_dir: str) -> None:
    """Write paragraph signatures and band keys as Parquet partitioned by day, for the
    DuckDB and Spark candidate engines (see docs/scale.md)."""
    from .candidates import EngineUnavailable
    from .candidates.sign import write_signatures

    with _open_store(db_path) as store:
        try:
            done = write_signatures(store, out_dir)
        except EngineUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{done.signatures} paragraph signatures, {done.keys} band keys, {done.days} day(s) "
               f"— {report.printable(out_dir)}")


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@_db_option(True)
@click.option("--json", "as_json", is_flag=True, help="Print what was stored as JSON.")
def ingest(inputs: tuple[str, ...], db_path: str | None, as_json: bool) -> None:
    """Add articles to the database without tracing them (run `provenance tree` after
    `provenance trace --db` to see lineage)."""
    with _open_store(db_path) as store:
        if store.read_only:
            raise click.ClickException(f"{report.printable(store.path)} is read-only: nothing stored")
        outcome = pipeline.ingest(list(inputs), store, stdin=_stdin_for(inputs), on_error=_warn)
        location = store.path
    if as_json:
        _emit_json(
            {
                "db": str(location),
                "added": outcome.added,
                "unchanged": outcome.unchanged,
                "duplicates": outcome.duplicates,
                "errors": [{"input": e.source, "message": e.message} for e in outcome.errors],
            }
        )
    else:
        click.echo(
            f"{len(outcome.added)} added, {len(outcome.unchanged)} already stored, "
            f"{len(outcome.errors)} error(s) — {report.printable(location)}"
        )
        for copy_id, first in outcome.duplicates.items():
            click.echo(f"note: {report.printable(copy_id)} has the same text as "
                       f"{report.printable(first)}")
    if outcome.errors:
        sys.exit(1)


@main.command()
@_db_option(True)
@click.option("--json", "as_json", is_flag=True, help="Print the stored forest as JSON (trace contract).")
@click.option("--refresh", is_flag=True, help="Re-run the analysis over everything stored first.")
def tree(db_path: str | None, as_json: bool, refresh: bool) -> None:
    """Print the lineage forest stored in the database."""
    with _open_store(db_path) as stored:
        method = None
        articles = stored.articles()
        # A read-only database is analysed in a copy in memory: read, never written.
        store = stored.in_memory_copy() if stored.read_only else stored
        with store:
            if refresh or (articles and not store.edges() and not store.matches()):
                _, _, _, method = pipeline.analyse(store)
            result = pipeline.TraceResult(
                articles=articles,
                outlets=store.outlets(),
                attributions=store.attributions(),
                matches=store.matches(),
                edges=store.edges(),
                method=method or "as stored",
            )
    if as_json:
        _emit_json(result.to_json())
    else:
        report.print_trace(report.make_console(), result.articles, result.outlets, result.edges, result.matches)


@main.command()
@click.argument("a")
@click.argument("b")
@_db_option(True)
@click.option("--json", "as_json", is_flag=True, help="Print the match (aligned pairs and spans) as JSON.")
def show(a: str, b: str, db_path: str | None, as_json: bool) -> None:
    """Show articles A and B side by side: aligned paragraphs, shared spans highlighted.

    A and B are article ids as stored (as `provenance tree` prints them). Spans in
    reverse video are shared text; blue italics are shared words inside quotation marks.
    """
    with _open_store(db_path) as store:
        found = {x.id: x for x in store.articles([a, b])}
        missing = [x for x in (a, b) if x not in found]
        if missing:
            shown = ", ".join(report.printable(x) for x in missing)
            raise click.ClickException(f"not in the database: {shown}")
        match = next((m for m in store.matches() if {m.a, m.b} == {a, b}), None)
    if match is None:
        raise click.ClickException(
            f"{report.printable(a)} and {report.printable(b)} share no text that was found"
        )
    if as_json:
        _emit_json(pipeline.match_json(match))
    else:
        report.make_console().print(report.side_by_side(found[a], found[b], match))


@main.command()
@_db_option(True)
@click.option("--article", "article_id", default=None, help="Only this article's credits.")
@click.option("--json", "as_json", is_flag=True, help="Print the credits as JSON.")
def attributions(db_path: str | None, article_id: str | None, as_json: bool) -> None:
    """Table of the credits found: which article credits which outlet, how, and where."""
    with _open_store(db_path) as store:
        credits = store.attributions(article_id)
        outlets = {o.id: o for o in store.outlets()}
    if as_json:
        result = pipeline.TraceResult([], list(outlets.values()), credits, [], [])
        _emit_json({"attributions": result.to_json()["attributions"]})
    else:
        report.make_console().print(report.attributions_table(credits, outlets))


@main.command("evaluate")
@click.argument("corpus_dir", type=click.Path())
@click.option(
    "--gold",
    "gold_path",
    type=click.Path(),
    default=None,
    help="gold.json (bench-data format); its story named like CORPUS_DIR is used. Default: a "
    "brat/PolNeAR folder is scored from its annotations, else gold.json inside or next to CORPUS_DIR.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
def evaluate_command(corpus_dir: str, gold_path: str | None, as_json: bool) -> None:
    """Trace CORPUS_DIR and score the result against gold lineage and attributions."""
    from .evaluate import EvaluationError, evaluate_corpus, format_report
    from .polnear import PolnearError

    try:
        metrics = evaluate_corpus(corpus_dir, gold_path)
    except (EvaluationError, PolnearError) as exc:
        raise click.ClickException(str(exc)) from exc
    for error in metrics["input_errors"]:
        click.echo(f"input error: {report.printable(error)}", err=True)
    if as_json:
        _emit_json(metrics)
    else:
        report.make_console().print(format_report(metrics))
