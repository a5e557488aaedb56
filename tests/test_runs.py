"""provenance.runs gives difflib's matching blocks of two or more tokens, faster."""
from __future__ import annotations

import difflib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.runs import shared_runs


def difflib_runs(a: list[int], b: list[int]) -> list[tuple[int, int, int]]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [tuple(m) for m in matcher.get_matching_blocks() if m.size >= 2]


def ours(a: list[int], b: list[int]) -> list[tuple[int, int, int]]:
    return [tuple(m) for m in shared_runs(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))]


@pytest.mark.parametrize("alphabet", [2, 3, 5, 12, 60])
def test_equals_difflib_on_random_repetitive_sequences(alphabet):
    rng = random.Random(alphabet)
    for _ in range(300):
        a = [rng.randrange(alphabet) for _ in range(rng.randint(0, 80))]
        if rng.random() < 0.5:  # b derived from a: runs kept, edits in between
            b = [x if rng.random() < 0.85 else rng.randrange(alphabet) for x in a]
            if b and rng.random() < 0.5:
                cut = rng.randrange(len(b))
                b = b[cut:] + b[:cut]
        else:
            b = [rng.randrange(alphabet) for _ in range(rng.randint(0, 80))]
        assert ours(a, b) == difflib_runs(a, b), (a, b)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=40), st.lists(st.integers(0, 4), max_size=40))
def test_equals_difflib_hypothesis(a, b):
    assert ours(a, b) == difflib_runs(a, b)


def test_news_like_copy_with_edits():
    rng = random.Random(3)
    words = [rng.choice(range(40)) if rng.random() < 0.5 else rng.randrange(40, 5000) for _ in range(700)]
    copy = words[:200] + [9999] + words[230:600] + [rng.randrange(5000) for _ in range(50)]
    assert ours(words, copy) == difflib_runs(words, copy)
    assert ours(words, copy)[0] == (0, 0, 200)


def test_nothing_shared_and_short_inputs():
    assert ours([1, 2, 3], [4, 5, 6]) == []
    assert ours([1], [1]) == []
    assert ours([], [1, 2]) == []
    assert ours([1, 2], [1, 2]) == [(0, 0, 2)]


def test_too_many_shared_positions_asks_for_difflib(monkeypatch):
    import provenance.runs as runs

    monkeypatch.setattr(runs, "MAX_BIGRAM_PAIRS", 10)
    assert runs.shared_runs(np.zeros(20, dtype=np.int64), np.zeros(20, dtype=np.int64)) is None
