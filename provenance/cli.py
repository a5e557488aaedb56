"""The click layer: parse arguments, call the library, print. Nothing else lives here."""
from __future__ import annotations

import importlib
import json
import os
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

from .export import FILE_FORMATS, FORMATS, ExportError  # noqa: E402  (light: no networkx until used)

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


def _incidental_option(command):
    return click.option(
        "--incidental", is_flag=True,
        help="Also list incidental matches (a few phrases in common, no sign of copying).",
    )(command)


def _verbosity_options(command):
    """-q (the forest only) and -v (every evidence line, every pair that shares text)."""
    command = click.option("-v", "--verbose", is_flag=True, help="Every line of evidence, the runners-up and every pair that shares text.")(command)
    return click.option("-q", "--quiet", is_flag=True, help="The forest only: no reasons, no list of other shared text.")(command)


def _verbosity(quiet: bool, verbose: bool) -> int:
    if quiet and verbose:
        raise click.UsageError("-q and -v contradict each other: give one")
    return report.QUIET if quiet else report.VERBOSE if verbose else report.NORMAL


def _open_store(db_path: str | None):
    from .store import Store, default_db_path

    return Store(db_path or default_db_path())


def _warn(error: InputError) -> None:
    """One line on stderr per bad input; names are escaped (a newline in a file name)."""
    click.echo(f"error: {report.printable(error.source)}: {report.printable(error.message)}",
               err=True)


def _note(message: str) -> None:
    """Something passed over on purpose (a directory's README): said, not an error."""
    click.echo(f"note: {report.printable(message)}", err=True)


_from_file_option = click.option(
    "--from-file", "from_file", type=click.Path(dir_okay=False, allow_dash=True), default=None,
    help="Read more INPUTS from this file, one path or URL a line ('-': standard input; "
    "blank lines and # comments are skipped).",
)


def _inputs(inputs: tuple[str, ...], from_file: str | None) -> list[str]:
    """INPUTS plus those listed in --from-file; at least one is needed."""
    from .ingest import read_input_list

    names = list(inputs)
    if from_file is not None:
        if from_file == "-" and "-" in inputs:
            raise click.UsageError("standard input cannot be both an input and --from-file -")
        try:
            names += read_input_list(from_file)
        except OSError as exc:
            raise click.ClickException(
                f"cannot read --from-file {report.printable(from_file)}: {exc.strerror or exc}"
            ) from exc
    if not names:
        raise click.UsageError("no inputs: name files, directories or URLs, or use --from-file")
    return names


def _emit_json(data: dict) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _quiet_option(command):
    return click.option(
        "--quiet", "-q", is_flag=True, help="No progress bars on stderr (they show only on a terminal)."
    )(command)


def _jobs_option(command):
    """--jobs N, shared by the commands that do the heavy work."""
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
@click.argument("inputs", nargs=-1)
@_from_file_option
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
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write the report as one self-contained HTML page (graph, evidence, texts side by side).",
)
@click.option("--format", "export_format", type=click.Choice(FORMATS), default=None,
              help="Also write the result in this format (see docs/formats.md).")
@click.option("-o", "--output", "output", type=click.Path(), default=None,
              help="Where --format writes: a folder for csv/parquet, a file otherwise.")
@_incidental_option
@_verbosity_options
@_jobs_option
def trace(inputs: tuple[str, ...], from_file: str | None, db_path: str | None, as_json: bool,
          no_embeddings: bool, html_path: str | None, export_format: str | None, output: str | None,
          incidental: bool, quiet: bool, verbose: bool, jobs: int, engine: str, master: str | None,
          window: str | None) -> None:
    """Trace where the articles INPUTS came from.

    INPUTS are files (.txt, .html, .json, .jsonl, .warc, .warc.gz), directories (read
    recursively), http(s) URLs, or - for standard input; --from-file adds a list of them. Prints the lineage forest: which article derived from
    which, back to the origin, each edge with its evidence. Bad inputs are reported on
    stderr, one line each; the rest is traced and the exit code is 1.
    """
    verbosity = _verbosity(quiet, verbose)
    export_format = export_format or _format_of(output)
    if export_format and not output and as_json:
        raise click.UsageError(f"--json and --format {export_format} would both go to stdout: add -o PATH")
    names = _inputs(inputs, from_file)
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
        with _progress(quiet) as progress:
            result = pipeline.trace(
                names,
                db_path=db_path,
                crosslingual=not no_embeddings,
                stdin=_stdin_for(tuple(names)),
                on_error=_warn,
                on_note=_note,
                incidental=incidental,
                jobs=jobs,
                progress=progress,
                engine=chosen,
                window_days=_window_days(window),
            )
    except candidates.EngineUnavailable as exc:  # an engine's optional extra is not installed
        raise click.ClickException(str(exc)) from exc
    finally:
        if isinstance(chosen, candidates.CandidateEngine):
            chosen.close()
    if export_format:
        _export(result, export_format, output)
    if as_json:
        _emit_json(result.to_json())
    elif not (export_format in FILE_FORMATS and output is None):  # stdout is not taken
        report.print_trace(
            report.make_console(), result.articles, result.outlets, result.edges, result.matches, result.method,
            verbosity=verbosity,
        )
    if html_path:  # after the output: a page that cannot be written costs the page only
        _write_html(result, html_path)
    if result.errors:
        sys.exit(1)


def _write_html(result: pipeline.TraceResult, html_path: str) -> None:
    from .htmlreport import write_report

    try:
        write_report(result, html_path)
    except OSError as exc:
        raise click.ClickException(f"cannot write {report.printable(html_path)}: {report.printable(exc.strerror or exc)}") from exc
    click.echo(f"report written to {report.printable(html_path)}", err=True)


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


@main.command("search-index")
@_db_option(True)
@click.option("--on/--off", "on", default=None,
              help="Keep (build) or drop the full-text index. Without either: say whether it is kept.")
def search_index(db_path: str | None, on: bool | None) -> None:
    """The full-text index of titles and texts (what Datasette's search box uses).

    It finds any run of 3 or more characters in every script, and takes about 2.3 times
    the text, so a new database goes without it: --on builds it from every stored article
    and keeps it in step with later writes, --off drops it and shrinks the file.
    """
    with _open_store(db_path) as store:
        if on is None:
            click.echo(f"full-text index: {'kept' if store.full_text else 'dropped'} — {report.printable(store.path)}")
            return
        if store.read_only:
            raise click.ClickException(f"{report.printable(store.path)} is read-only: nothing changed")
        changed = store.set_full_text(on)
        if changed and not on:
            store.vacuum()
    state = "kept" if on else "dropped"
    click.echo(f"full-text index {state if changed else 'already ' + state} — {report.printable(store.path)}")


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
@click.argument("inputs", nargs=-1)
@_from_file_option
@_db_option(True)
@click.option("--json", "as_json", is_flag=True, help="Print what was stored as JSON.")
@_jobs_option
@_quiet_option
def ingest(inputs: tuple[str, ...], from_file: str | None, db_path: str | None, as_json: bool, jobs: int,
           quiet: bool) -> None:
    """Add articles to the database without tracing them (run `provenance tree` after
    `provenance trace --db` to see lineage)."""
    with _open_store(db_path) as store:
        if store.read_only:
            raise click.ClickException(f"{report.printable(store.path)} is read-only: nothing stored")
        names = _inputs(inputs, from_file)
        with _progress(quiet) as progress:
            outcome = pipeline.ingest(names, store, stdin=_stdin_for(tuple(names)), on_error=_warn,
                                      on_note=_note, jobs=jobs, progress=progress)
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
@_incidental_option
@_verbosity_options
@_jobs_option
def tree(db_path: str | None, as_json: bool, refresh: bool, incidental: bool, quiet: bool, verbose: bool,
         jobs: int) -> None:
    """Print the lineage forest stored in the database."""
    verbosity = _verbosity(quiet, verbose)
    result = _stored_result(db_path, refresh, jobs)
    result.matches = pipeline.significant(result.matches, incidental)
    if as_json:
        _emit_json(result.to_json())
    else:
        report.print_trace(report.make_console(), result.articles, result.outlets, result.edges, result.matches,
                           verbosity=verbosity)


@main.command("report")
@_db_option(True)
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Write the stored lineage as one self-contained HTML page to this file.")
@click.option("--refresh", is_flag=True, help="Re-run the analysis over everything stored first.")
@_jobs_option
def report_command(db_path: str | None, html_path: str, refresh: bool, jobs: int) -> None:
    """Write the lineage stored in the database as an HTML report: the graph, each edge's
    evidence in plain words, and the two texts side by side with the shared text marked."""
    _write_html(_stored_result(db_path, refresh, jobs), html_path)


def _stored_result(db_path: str | None, refresh: bool, jobs: int = 1) -> pipeline.TraceResult:
    """Everything stored, analysed first when asked or when it never was."""
    with _open_store(db_path) as stored:
        method = None
        # A read-only database is analysed in a copy in memory: read, never written.
        store = stored.in_memory_copy() if stored.read_only else stored
        with store:
            edges, matches = ([], []) if refresh else (store.edges(), store.matches())
            if refresh or (store.article_count() and not edges and not matches):
                _, _, _, method = pipeline.analyse(store, jobs=jobs)
                edges, matches = store.edges(), store.matches()
            # Read after the analysis: an archive's articles are not held while it runs.
            result = pipeline.TraceResult(
                articles=stored.articles(),
                outlets=store.outlets(),
                attributions=store.attributions(),
                matches=matches,
                edges=edges,
                method=method or "as stored",
            )
    return result


@main.command()
@click.argument("a")
@click.argument("b")
@_db_option(True)
@click.option("--json", "as_json", is_flag=True, help="Print the match (aligned pairs and spans) as JSON.")
@click.option("--no-embeddings", is_flag=True, help="Two files across languages: align by anchors only.")
@_verbosity_options
def show(a: str, b: str, db_path: str | None, as_json: bool, no_embeddings: bool, quiet: bool,
         verbose: bool) -> None:
    """Show articles A and B side by side: aligned paragraphs, shared spans highlighted.

    A and B are article ids as stored (as `provenance tree` prints them), or, without
    --db, two files: they are then compared in memory and nothing is stored. Spans in
    reverse video are shared text; blue italics are shared words inside quotation marks.
    Paragraphs are numbered from 1.
    """
    verbosity = _verbosity(quiet, verbose)
    if db_path is None and os.path.isfile(a) and os.path.isfile(b):
        result = pipeline.trace([a, b], crosslingual=not no_embeddings, on_error=_warn)
        if result.errors:
            sys.exit(1)
        found = {x.id: x for x in result.articles}
        matches = result.matches
    else:
        with _open_store(db_path) as store:
            found = {x.id: x for x in store.articles([a, b])}
            missing = [x for x in (a, b) if x not in found]
            if missing:
                shown = ", ".join(report.printable(x) for x in missing)
                raise click.ClickException(f"not in the database: {shown}")
            matches = store.matches()
    match = next((m for m in matches if {m.a, m.b} == {a, b}), None)
    if match is None:
        raise click.ClickException(
            f"{report.printable(a)} and {report.printable(b)} share no text that was found"
        )
    if as_json:
        _emit_json(pipeline.match_json(match))
    else:
        report.make_console().print(report.side_by_side(found[a], found[b], match, verbosity))


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


def _format_of(output: str | None) -> str | None:
    """The format a bare -o names by its extension (out.gexf, lineage.dot...)."""
    if output is None:
        return None
    suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if suffix in FORMATS:
        return suffix
    raise click.UsageError(f"-o {report.printable(output)}: say which --format ({', '.join(FORMATS)})")


def _export(result: pipeline.TraceResult, fmt: str, output: str | None) -> None:
    """Write ``result`` as ``fmt``; a file format without ``output`` goes to stdout."""
    from . import export

    try:
        written = export.write(result, fmt, output, stdout=sys.stdout)
    except (ExportError, OSError) as exc:
        raise click.ClickException(report.printable(exc)) from exc
    if written:
        where = written[0].parent if fmt in export.FOLDER_FORMATS else written[0]
        click.echo(f"wrote {fmt} ({len(written)} file(s)) to {report.printable(where)}", err=True)


@main.command("export")
@_db_option(True)
@click.option("--format", "export_format", type=click.Choice(FORMATS), required=True,
              help="csv or parquet: a folder of one file per table; jsonl, graphml, gexf, dot: one file.")
@click.option("-o", "--output", "output", type=click.Path(), default=None,
              help="Folder (csv, parquet; default ./provenance-export) or file (default: stdout).")
@click.option("--refresh", is_flag=True, help="Re-run the analysis over everything stored first.")
def export_command(db_path: str | None, export_format: str, output: str | None, refresh: bool) -> None:
    """Export what the database holds: articles, outlets, lineage edges, matches with their
    shared spans, and attributions (columns: docs/formats.md)."""
    with _open_store(db_path) as stored:
        # As `tree`: analyse first when nothing was analysed yet; a read-only file in a copy.
        store = stored.in_memory_copy() if stored.read_only else stored
        with store:
            method = "as stored"
            if refresh or (store.articles() and not store.edges() and not store.matches()):
                _, _, _, method = pipeline.analyse(store)
            result = pipeline.TraceResult.from_store(store, method=method)
    _export(result, export_format, output)


@main.command("datasette-metadata")
@_db_option(True)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, allow_dash=True),
              default="-", help="Where to write the JSON (default: stdout).")
def datasette_metadata(db_path: str | None, output: str) -> None:
    """Write a Datasette metadata file for the database: what every table, view and column
    holds. Then: datasette DB -m metadata.json"""
    with _open_store(db_path) as store:
        metadata = store.datasette_metadata()
    text = json.dumps(metadata, ensure_ascii=False, indent=2) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"wrote {report.printable(output)}", err=True)
