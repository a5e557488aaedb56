"""The click layer: parse arguments, call the library, print. Nothing else lives here."""
from __future__ import annotations

import importlib
import json
import sys

import click

from .models import InputError


class _LazyModule:
    """A module imported on first use: `provenance --help` must not pay for the pipeline's
    imports (sqlite-utils pulls pandas, datasketch scipy, ...)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


pipeline = _LazyModule("provenance.pipeline")
report = _LazyModule("provenance.report")

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
        except Exception as exc:
            # Only a command that opened a store can raise StoreError; --help never imports it.
            store = sys.modules.get("provenance.store")
            if store is None or not isinstance(exc, store.StoreError):
                raise
            raise click.ClickException(report.printable(exc)) from exc


@click.group(cls=_Group)
@click.version_option(package_name="provenance")
def main() -> None:
    """Trace where a news story came from."""
    from . import language

    language.warm_up()  # overlaps the language model's load with the command's imports


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


def _open_store(db_path: str | None):
    from .store import Store, default_db_path

    return Store(db_path or default_db_path())


def _warn(error: InputError) -> None:
    """One line on stderr per bad input; names are escaped (a newline in a file name)."""
    click.echo(f"error: {report.printable(error.source)}: {report.printable(error.message)}",
               err=True)


def _emit_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _jobs_option(command):
    """--jobs N and -q, shared by the commands that do the heavy work."""
    import os

    command = click.option(
        "--quiet", "-q", is_flag=True, help="No progress bars on stderr (they show only on a terminal)."
    )(command)
    return click.option(
        "--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="CPU count",
        help="Processes for extraction, language id, credits and verification; the output is the same whatever N is.",
    )(command)


def _progress(quiet: bool):
    from .progress import for_terminal

    return for_terminal(quiet)


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
@_jobs_option
def trace(
    inputs: tuple[str, ...], db_path: str | None, as_json: bool, no_embeddings: bool, jobs: int, quiet: bool
) -> None:
    """Trace where the articles INPUTS came from.

    INPUTS are files (.txt, .html, .json, .jsonl), directories (read recursively), http(s)
    URLs, or - for standard input. Prints the lineage forest: which article derived from
    which, back to the origin, each edge with its evidence. Bad inputs are reported on
    stderr, one line each; the rest is traced and the exit code is 1.
    """
    with _progress(quiet) as progress:
        result = pipeline.trace(
            list(inputs),
            db_path=db_path,
            crosslingual=not no_embeddings,
            stdin=_stdin_for(inputs),
            on_error=_warn,
            jobs=jobs,
            progress=progress,
        )
    if as_json:
        _emit_json(result.to_json())
    else:
        report.print_trace(
            report.make_console(), result.articles, result.outlets, result.edges, result.matches, result.method
        )
    if result.errors:
        sys.exit(1)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@_db_option(True)
@click.option("--json", "as_json", is_flag=True, help="Print what was stored as JSON.")
@_jobs_option
def ingest(inputs: tuple[str, ...], db_path: str | None, as_json: bool, jobs: int, quiet: bool) -> None:
    """Add articles to the database without tracing them (run `provenance tree` after
    `provenance trace --db` to see lineage)."""
    with _open_store(db_path) as store:
        if store.read_only:
            raise click.ClickException(f"{report.printable(store.path)} is read-only: nothing stored")
        with _progress(quiet) as progress:
            outcome = pipeline.ingest(
                list(inputs), store, stdin=_stdin_for(inputs), on_error=_warn, jobs=jobs, progress=progress
            )
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
