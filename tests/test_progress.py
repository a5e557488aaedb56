"""Progress bars: on a terminal only, never in piped output, -q silences them."""
from __future__ import annotations

import io
import sys
import threading

import numpy as np
from click.testing import CliRunner

from provenance import progress
from provenance.cli import main


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_only_on_a_terminal_and_not_when_quiet(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.for_terminal() is progress.SILENT
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress.for_terminal(quiet=True) is progress.SILENT
    threads_before = threading.active_count()
    bars = progress.for_terminal()
    assert bars is not progress.SILENT
    with bars:
        assert list(bars.track(iter(range(5)), "count", total=5)) == [0, 1, 2, 3, 4]
        assert list(bars.track([], "nothing")) == []
        # No refresh thread: the stages fork workers while a bar is shown.
        assert threading.active_count() == threads_before


def test_tracked_embedder_gives_the_same_vectors_in_batches():
    class Embedder:
        name = "fake"
        batch_size = 3
        calls: list[int] = []

        def embed(self, texts):
            self.calls.append(len(texts))
            return np.array([[len(t), i] for i, t in enumerate(texts)], dtype=np.float32)

    inner = Embedder()
    tracked = progress.TrackedEmbedder(inner, progress.SILENT)
    texts = ["a", "bb", "ccc", "dddd", "eeeee", "f", "gg"]
    vectors = tracked.embed(texts)
    assert tracked.name == "fake"
    assert inner.calls == [3, 3, 1]
    np.testing.assert_array_equal(vectors[:, 0], [len(t) for t in texts])


def test_piped_trace_prints_no_bar_and_quiet_is_accepted(tmp_path):
    (tmp_path / "a.txt").write_text("Title\n\nA short report about the harbour and its workers today.", encoding="utf-8")
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    for args in (["trace", str(tmp_path), "--no-embeddings", "--json"],
                 ["trace", str(tmp_path), "--no-embeddings", "--json", "-q", "--jobs", "1"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
