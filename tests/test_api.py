"""The public Python API: its documentation is run as doctests, plus what prose cannot show."""
import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import provenance

ROOT = Path(__file__).resolve().parent.parent


def test_docs_api_examples_run():
    pytest.importorskip("pandas", reason="docs/api.md shows to_pandas(); pandas is in the test extra")
    failures, tried = doctest.testfile(
        str(ROOT / "docs" / "api.md"), module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert tried > 15
    assert failures == 0


def test_module_docstring_examples_run():
    import provenance.ingest

    failures, _ = doctest.testmod(provenance.ingest)
    assert failures == 0


def test_import_is_cheap_and_names_load_on_use():
    code = ("import sys, provenance; assert 'provenance.pipeline' not in sys.modules; "
            "provenance.trace; assert 'provenance.pipeline' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert set(provenance.__all__) <= set(dir(provenance))
    with pytest.raises(AttributeError):
        provenance.no_such_name  # noqa: B018


def test_inputs_of_every_kind_mix_and_bad_ones_become_errors(tmp_path):
    (tmp_path / "a.txt").write_text(
        "Flood warning for the valley\n\nHeavy rain is expected over the valley towns this weekend, "
        "and the river authority has issued a flood warning for low-lying streets.\n",
        encoding="utf-8")
    article = provenance.Article(id="mine", source="here", text="A quiet day in the harbour town.")
    result = provenance.trace(
        [str(tmp_path / "a.txt"), {"text": "Market stalls reopened after the storm."},
         {"url": "https://paper.example/x", "html": "<p>The ferry ran late again today.</p>"},
         article, {"title": "no text"}, 42],
        crosslingual=False,
    )
    ids = [a.id for a in result.articles]
    assert ids == [str(tmp_path / "a.txt"), "item#2", "https://paper.example/x", "mine"]
    assert [e.source for e in result.errors] == ["item#5", "item#6"]
    assert article.paragraphs == []  # the caller's object was not changed
    clash = provenance.trace([{"id": "x", "text": "One."}, {"id": "x", "text": "Two."}], crosslingual=False)
    assert [a.id for a in clash.articles] == ["x"] and "id clash" in clash.errors[0].message


def test_to_pandas_without_pandas_says_how_to_get_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        provenance.TraceResult([], [], [], [], []).to_pandas()
