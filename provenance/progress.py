"""Progress bars on stderr for the long stages (ingest, align, embed).

The stages take a ``Progress`` and call ``progress.track(items, "what")``; the default
(``SILENT``) hands the items back untouched, so library callers and tests see nothing.
``for_terminal`` gives rich bars on stderr when stderr is a terminal and not ``quiet``;
piped or redirected stderr stays clean.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Progress:
    """No bars: ``track`` yields the items as they come."""

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        yield from items

    def close(self) -> None:
        pass

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


SILENT = Progress()


class _RichProgress(Progress):
    """One rich bar per tracked stage, on stderr, removed when the command ends.

    Redrawn from the tracked loop (at most every REFRESH_SECONDS), not by rich's refresh
    thread: the stages fork worker processes, and a fork must not copy a thread's locks.
    """

    REFRESH_SECONDS = 0.1

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars, TextColumn, TimeElapsedColumn

        self._bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            auto_refresh=False,
        )
        self._bars.start()
        self._drawn = 0.0

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        task = self._bars.add_task(description, total=total)
        try:
            for item in items:
                yield item
                self._bars.advance(task)
                now = time.monotonic()
                if now - self._drawn >= self.REFRESH_SECONDS:
                    self._bars.refresh()
                    self._drawn = now
        finally:
            self._bars.update(task, visible=False)

    def close(self) -> None:
        self._bars.stop()


def for_terminal(quiet: bool = False) -> Progress:
    """Rich bars on stderr when it is a terminal and ``quiet`` is not set; else silent."""
    if quiet or not sys.stderr.isatty():
        return SILENT
    return _RichProgress()


class TrackedEmbedder:
    """An embedder whose batches advance an "embed" bar (same vectors, same order)."""

    def __init__(self, embedder, progress: Progress) -> None:
        self._embedder = embedder
        self._progress = progress
        self.batch_size = getattr(embedder, "batch_size", 32)

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)

    def embed(self, texts: list[str]):
        import numpy as np

        starts = range(0, len(texts), self.batch_size)
        parts = [
            self._embedder.embed(texts[start : start + self.batch_size])
            for start in self._progress.track(starts, "embed (batches)", total=len(starts))
        ]
        return np.vstack(parts) if parts else self._embedder.embed(texts)
