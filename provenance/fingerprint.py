"""Stage 5a: tokens, shingles and MinHash signatures of paragraphs.

Shingles suit the script: word 3-grams where words are separated by spaces, character
4-grams for scripts written without spaces (Chinese, Japanese, Thai, ...), so that a
Chinese paragraph is not one giant "word".
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from hashlib import blake2b
from typing import NamedTuple

import numpy as np
import regex
from datasketch import LeanMinHash

NUM_PERM = 128
SEED = 1
# datasketch >= 2 names its permutation scheme; stored signatures must say which one.
SCHEME = "affine32"
WORD_SHINGLE = 3
CHAR_SHINGLE = 4

# Letters (with their combining marks) and digits; a run of them is a word.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’][\p{L}]+)?")
# Scripts written without spaces between words: every character is a token.
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
# A run of letters cut into its unspaced-script characters and the runs between them.
_UNSPACED_SPLIT = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
    r"|[^\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]+"
)


class Token(NamedTuple):
    """A word (or an unspaced-script character); a named tuple: millions are made per run."""

    text: str  # normalised (NFKC, casefolded)
    start: int  # offsets into the text the tokens were taken from
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Normalised tokens with offsets (+ ``offset``): words, or single characters in unspaced scripts."""
    out: list[Token] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if word.isascii():  # the common case, and no unspaced script in it
            out.append(Token(word.lower(), m.start() + offset, m.end() + offset))
        elif _UNSPACED.search(word):
            # Split the run into characters, keeping Latin/digit runs inside it whole.
            for sub in _UNSPACED_SPLIT.finditer(word):
                s = m.start() + sub.start()
                out.append(Token(normalize_token(sub.group()), s + offset, s + len(sub.group()) + offset))
        else:
            out.append(Token(normalize_token(word), m.start() + offset, m.end() + offset))
    return out


# On ASCII text the word pattern is this one (\p{L} is A-Za-z there, \p{N} 0-9, no \p{M}),
# which the standard library's engine runs several times faster.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
# Every match of that pattern is inside a run of letters, digits and apostrophes, and
# every such run without an apostrophe is one match: one C pass (bytes.translate, which
# lowercases too) and a split find them, the pattern runs only on runs with an apostrophe.
# About half the cost of fingerprinting a paragraph was the pattern's findall.
_ASCII_RUNS = bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or 48 <= c <= 57 or c == 39 else 32 for c in range(256)
)


def words(text: str) -> list[str]:
    """The texts of ``tokenize(text)``'s tokens, without their offsets: all that
    signatures, token ids and word counts need, at a fraction of the cost."""
    if text.isascii():
        runs = text.encode("ascii").translate(_ASCII_RUNS).decode("ascii").split()
        if "'" not in text:
            return runs
        found: list[str] = []
        for run in runs:
            if "'" in run:
                found += _ASCII_WORD.findall(run)
            else:
                found.append(run)
        return found
    out: list[str] = []
    for word in _WORD.findall(text):
        if word.isascii():
            out.append(word.lower())
        elif _UNSPACED.search(word):
            out.extend(normalize_token(sub) for sub in _UNSPACED_SPLIT.findall(word))
        else:
            out.append(normalize_token(word))
    return out


def normalize_token(word: str) -> str:
    if word.isascii():
        return word.lower()  # NFKC leaves ASCII alone, and casefold is lower() on it
    return _normalize_unicode(word)


@lru_cache(maxsize=65536)
def _normalize_unicode(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


def is_unspaced(tokens: list[Token] | list[str]) -> bool:
    """True when most tokens (or their texts) are single characters of an unspaced script."""
    if not tokens:
        return False
    texts = tokens if isinstance(tokens[0], str) else [t.text for t in tokens]
    if "".join(texts).isascii():  # the common case: no unspaced script is ASCII
        return False
    single = sum(1 for t in texts if len(t) == 1 and _UNSPACED.match(t))
    return single >= 0.5 * len(texts)


def shingles(tokens: list[Token] | list[str]) -> set[str]:
    """Word 3-grams, or character 4-grams for unspaced scripts (words joined by U+001F);
    a text shorter than that is one shingle of all its words."""
    words = tokens if not tokens or isinstance(tokens[0], str) else [t.text for t in tokens]
    n = CHAR_SHINGLE if is_unspaced(words) else WORD_SHINGLE
    if len(words) < n:
        return {"\x1f".join(words)} if words else set()
    return {"\x1f".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters for (NUM_PERM, SEED), drawn once.

    The same draws as ``datasketch.MinHash._init_permutations``: odd multipliers ``a`` and
    offsets ``b`` from ``RandomState(SEED)``, so our signatures equal datasketch's.
    """
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()
_EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for a permutation that saw nothing
# Shingles permuted at once: bounds the working memory (4 bytes x NUM_PERM x this, 4 MiB)
# whatever the size of the batch or of one set.
_CHUNK = 8192


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, datasketch's pre-mix for the affine schemes."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


# The shingle hash. Each distinct word is hashed once (BLAKE2b, 64 bits, cached); a
# shingle's hash is mixed from its words' hashes by multiply-xor steps and folded to 32
# bits, in numpy over a whole batch of paragraphs. SHA-1 of every shingle string (what
# datasketch does by default) cost two thirds of fingerprinting. A database records which
# hash its signatures were made with (Store re-signs older ones on open).
HASH = "words-blake2b64-mix"
_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93], dtype=np.uint64)
_WORD_HASHES: dict[str, int] = {}
_WORD_HASHES_MAX = 1 << 21  # some 250 MB at most; cleared when full (values do not change)


def _word_hashes(words: Sequence[str]) -> np.ndarray:
    cache = _WORD_HASHES
    try:  # the common case once a corpus is under way: every word seen before
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))
    except KeyError:
        pass
    missing = set(words).difference(cache)
    if len(cache) + len(missing) > _WORD_HASHES_MAX:
        cache.clear()
        missing = set(words)
    for w in missing:
        cache[w] = int.from_bytes(blake2b(w.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
    return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))


def _mixed(hashes: np.ndarray, width: int) -> np.ndarray:
    """The 32-bit hash of every window of ``width`` consecutive word hashes."""
    count = len(hashes) - width + 1
    key = np.zeros(count, dtype=np.uint64)
    for k in range(width):  # uint64 arithmetic wraps: a hash, not a sum
        key = (key ^ hashes[k : k + count]) * _MIX[k % len(_MIX)]
    return ((key ^ (key >> np.uint64(29))) >> np.uint64(32)).astype(np.uint32)


def shingle_hash32(shingle: bytes | str) -> int:
    """The 32-bit hash of one shingle (its words joined by U+001F, as ``shingles`` makes
    them): ``datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=shingle_hash32)``
    updated with a paragraph's shingles has our signature's values."""
    text = shingle.decode("utf-8", "surrogatepass") if isinstance(shingle, bytes) else shingle
    words = text.split("\x1f")
    return int(_mixed(_word_hashes(words), len(words))[0])


def signatures(shingle_sets: Sequence[Iterable[str]]) -> np.ndarray:
    """MinHash signatures of many shingle sets at once: a (len, NUM_PERM) uint32 array.

    Row i equals ``datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32",
    hashfunc=shingle_hash32)`` updated with set i's shingles: same hash, pre-mix and
    permutations, but one vectorised pass over all shingles instead of a MinHash object
    per set. An empty set gets datasketch's empty signature (all 2^32 - 1). For
    paragraphs, ``signatures_of_words`` gives the same values without shingle strings.
    """
    split = [[s.split("\x1f") for s in shingle_set] for shingle_set in shingle_sets]
    shingle_words = [words for one_set in split for words in one_set]
    owner = np.repeat(np.arange(len(split), dtype=np.int64), [len(one_set) for one_set in split])
    widths = np.fromiter(map(len, shingle_words), dtype=np.int64, count=len(shingle_words))
    hashes = _word_hashes([w for words in shingle_words for w in words])
    starts = np.cumsum(widths) - widths
    values = np.empty(len(shingle_words), dtype=np.uint32)
    for width in np.unique(widths).tolist():  # each shingle is one window of its words
        chosen = np.flatnonzero(widths == width)
        values[chosen] = _mixed(hashes, width)[starts[chosen]]
    return _minima(values, owner, len(split))


def signatures_of_words(paragraphs: Sequence[list[str]], unspaced: Sequence[bool] | None = None) -> np.ndarray:
    """``signatures([shingles(words) for words in paragraphs])``, computed from the word
    hashes in a few numpy passes over the whole batch; ``unspaced``: ``is_unspaced`` of
    each paragraph, if the caller has it."""
    if unspaced is None:
        unspaced = [is_unspaced(words) for words in paragraphs]
    lengths = np.fromiter((len(words) for words in paragraphs), dtype=np.int64, count=len(paragraphs))
    starts = np.cumsum(lengths) - lengths
    widths = np.where(np.asarray(unspaced, dtype=bool), CHAR_SHINGLE, WORD_SHINGLE)
    widths = np.minimum(widths, lengths)  # a short text is one shingle of all its words
    hashes = _word_hashes([w for words in paragraphs for w in words])
    values, owners = [], []
    for width in np.unique(widths[lengths > 0]).tolist():
        chosen = np.flatnonzero((widths == width) & (lengths > 0))
        windows = lengths[chosen] - width + 1
        offsets = np.arange(int(windows.sum())) - np.repeat(np.cumsum(windows) - windows, windows)
        values.append(_mixed(hashes, width)[np.repeat(starts[chosen], windows) + offsets])
        owners.append(np.repeat(chosen, windows))
    if not values:
        return _minima(np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64), len(paragraphs))
    if len(values) == 1:  # one shingle width: owners already ascending
        return _minima(values[0], owners[0], len(paragraphs))
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    return _minima(np.concatenate(values)[order], owner[order], len(paragraphs))


def _minima(values: np.ndarray, owner: np.ndarray, sets: int) -> np.ndarray:
    """(sets, NUM_PERM) minima of the permuted, pre-mixed ``values``; ``owner``: the set of
    each value, ascending."""
    out = np.full((sets, NUM_PERM), _EMPTY, dtype=np.uint32)
    if not len(values):
        return out
    mixed = _fmix32(values.astype(np.uint32))
    buffer = np.empty((NUM_PERM, min(_CHUNK, len(mixed))), dtype=np.uint32)
    for lo in range(0, len(mixed), _CHUNK):
        hi = min(lo + _CHUNK, len(mixed))
        # Permutations x shingles; uint32 arithmetic wraps, which is affine32's modulo 2^32.
        permuted = np.multiply(_A[:, None], mixed[None, lo:hi], out=buffer[:, : hi - lo])
        permuted += _B[:, None]
        owners = owner[lo:hi]
        firsts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        minima = np.minimum.reduceat(permuted, firsts, axis=1).T
        # A set cut by the chunk edge keeps the smaller of its two halves' minima.
        found = owners[firsts]
        out[found] = np.minimum(out[found], minima)
    return out


def minhash(shingle_set: set[str]) -> LeanMinHash:
    """MinHash signature of one shingle set, as a datasketch LeanMinHash (for LSH indexes)."""
    return from_hashvalues(signatures([shingle_set])[0])


def from_hashvalues(hashvalues: np.ndarray) -> LeanMinHash:
    """A datasketch LeanMinHash over stored or computed hash values (32-bit)."""
    return LeanMinHash(seed=SEED, hashvalues=np.asarray(hashvalues, dtype=np.uint32), scheme=SCHEME)
