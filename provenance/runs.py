"""Shared runs of two token sequences: difflib's matching blocks of two or more tokens, fast.

``difflib.SequenceMatcher.get_matching_blocks`` finds the longest common run in the whole
range, then recurses left and right of it. Its cost grows with how often each word of one
side occurs in the other (every "the" against every "the"), about 3 ms per pair of news
articles in pure Python. Here the same blocks of size >= 2 come from the bigrams the two
sides share:

1. every position pair (i, j) where a[i:i+2] == b[j:j+2], found with a sort (numpy);
2. those pairs grouped into maximal diagonal runs;
3. runs of 3+ tokens chosen greedily, longest first (ties: smaller i, then smaller j),
   each clipped to the gap between the blocks already chosen: what the recursion
   picks, since gaps never interact once cut;
4. in every gap left, which holds no common run longer than 2 by then, the bigrams in
   (i, j) order, each one after the last taken: the recursion's choice among equal
   lengths.

The result equals difflib's blocks with ``autojunk=False`` and no junk, minus the blocks
of one token (tests/test_runs.py checks it against difflib on repetitive sequences).
"""
from __future__ import annotations

import heapq
from bisect import bisect_right
from difflib import Match

import numpy as np

# A pair of sides sharing more bigram positions than this (a text repeating one phrase
# hundreds of times) is aligned by difflib itself, whose cost is then bounded by the caller.
MAX_BIGRAM_PAIRS = 2_000_000


def shared_runs(a: np.ndarray, b: np.ndarray) -> list[Match] | None:
    """The matching blocks of size >= 2 of token-id sequences ``a`` and ``b`` (int arrays),
    sorted, as difflib.Match; None when the two share too many bigram positions
    (MAX_BIGRAM_PAIRS) and the caller should fall back to difflib."""
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return []
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ca = (a[:-1] << 31) | a[1:]  # ids are < 2**31
    cb = (b[:-1] << 31) | b[1:]
    order = np.argsort(cb, kind="stable")
    sorted_b = cb[order]
    lo = np.searchsorted(sorted_b, ca, "left")
    hi = np.searchsorted(sorted_b, ca, "right")
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return []
    if total > MAX_BIGRAM_PAIRS:
        return None
    # All (i, j) with equal bigrams, i ascending and j ascending within one i.
    pi = np.repeat(np.arange(na - 1, dtype=np.int64), counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    pj = order[starts + np.arange(total, dtype=np.int64)].astype(np.int64)
    # (i, j) lexicographic: j within one i comes from a stable sort of b's positions per
    # bigram, already ascending.
    # Maximal diagonal runs: sort by diagonal, then by i.
    diagonal = pi - pj
    by_diagonal = np.lexsort((pi, diagonal))
    di, dj, dd = pi[by_diagonal], pj[by_diagonal], diagonal[by_diagonal]
    new_run = np.ones(total, dtype=bool)
    new_run[1:] = (dd[1:] != dd[:-1]) | (di[1:] != di[:-1] + 1)
    run_starts = np.flatnonzero(new_run)
    run_lengths = np.diff(np.append(run_starts, total)) + 1  # in tokens: bigrams + 1
    ri, rj = di[run_starts], dj[run_starts]

    chosen = _long_runs(ri[run_lengths >= 3], rj[run_lengths >= 3], run_lengths[run_lengths >= 3], na, nb)
    chosen += _bigram_chain(pi, pj, chosen, na, nb)
    chosen.sort()
    return [Match(i, j, k) for i, j, k in _collapse(chosen)]


def _gaps(chosen: list[tuple[int, int, int]], na: int, nb: int):
    """The rectangles between chosen blocks (sorted by i): (alo, ahi, blo, bhi) each."""
    previous_a = previous_b = 0
    for i, j, k in chosen:
        yield previous_a, i, previous_b, j
        previous_a, previous_b = i + k, j + k
    yield previous_a, na, previous_b, nb


def _long_runs(ri, rj, rl, na: int, nb: int) -> list[tuple[int, int, int]]:
    """Step 3: runs of 3+ tokens, longest first, clipped to the gaps between those chosen."""
    heap = [(-int(k), int(i), int(j)) for i, j, k in zip(ri, rj, rl)]
    heapq.heapify(heap)
    chosen: list[tuple[int, int, int]] = []  # sorted by i (and so by j: blocks are monotone)
    chosen_a: list[int] = []
    while heap:
        negative, i, j = heapq.heappop(heap)
        k = -negative
        pieces = _clip(i, j, k, chosen, chosen_a, na, nb)
        if len(pieces) == 1 and pieces[0] == (i, j, k):
            at = bisect_right(chosen_a, i)
            chosen.insert(at, (i, j, k))
            chosen_a.insert(at, i)
            continue
        for pi, pj, pk in pieces:  # cut by a block chosen since: back in line, shorter
            if pk >= 3:
                heapq.heappush(heap, (-pk, pi, pj))
    return chosen


def _clip(i: int, j: int, k: int, chosen, chosen_a, na: int, nb: int) -> list[tuple[int, int, int]]:
    """The parts of diagonal run (i, j, k) lying inside the gaps between chosen blocks."""
    # The gaps whose a-interval meets [i, i + k): from the one holding i onwards.
    first = max(0, bisect_right(chosen_a, i) - 1)
    pieces = []
    for g in range(first, len(chosen) + 1):
        alo = chosen[g - 1][0] + chosen[g - 1][2] if g else 0
        blo = chosen[g - 1][1] + chosen[g - 1][2] if g else 0
        ahi = chosen[g][0] if g < len(chosen) else na
        bhi = chosen[g][1] if g < len(chosen) else nb
        if alo >= i + k:
            break
        t0 = max(0, alo - i, blo - j)
        t1 = min(k, ahi - i, bhi - j)
        if t1 - t0 >= 2:
            pieces.append((i + t0, j + t0, t1 - t0))
    return pieces


def _bigram_chain(pi, pj, chosen, na: int, nb: int) -> list[tuple[int, int, int]]:
    """Step 4: in each gap, equal bigrams in (i, j) order, each after the last one taken."""
    if not len(pi):
        return []
    # The gap of each bigram: the one whose a-interval holds i (gaps follow the blocks).
    bounds = [(alo, ahi, blo, bhi) for alo, ahi, blo, bhi in _gaps(chosen, na, nb)]
    block_starts = np.array([c[0] for c in chosen], dtype=np.int64)
    gap = np.searchsorted(block_starts, pi, "right")
    alo = np.array([g[0] for g in bounds], dtype=np.int64)[gap]
    ahi = np.array([g[1] for g in bounds], dtype=np.int64)[gap]
    blo = np.array([g[2] for g in bounds], dtype=np.int64)[gap]
    bhi = np.array([g[3] for g in bounds], dtype=np.int64)[gap]
    inside = (pi >= alo) & (pi + 2 <= ahi) & (pj >= blo) & (pj + 2 <= bhi)
    out = []
    next_a = next_b = -1
    current_gap = -1
    for g, i, j in zip(gap[inside].tolist(), pi[inside].tolist(), pj[inside].tolist()):
        if g != current_gap:
            current_gap, next_a, next_b = g, -1, -1
        if i >= next_a and j >= next_b:
            out.append((i, j, 2))
            next_a, next_b = i + 2, j + 2
    return out


def _collapse(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Adjacent blocks joined into one, as difflib does at the end."""
    out: list[tuple[int, int, int]] = []
    for i, j, k in blocks:
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            pi, pj, pk = out[-1]
            out[-1] = (pi, pj, pk + k)
        else:
            out.append((i, j, k))
    return out
