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
from hashlib import sha1
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


def words(text: str) -> list[str]:
    """The texts of ``tokenize(text)``'s tokens, without their offsets: all that
    signatures, token ids and word counts need, at a fraction of the cost."""
    if text.isascii():  # lower() then match equals matching then lower() on ASCII
        return _ASCII_WORD.findall(text.lower())
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
    single = sum(1 for t in texts if len(t) == 1 and _UNSPACED.match(t))
    return single >= 0.5 * len(texts)


def shingles(tokens: list[Token] | list[str]) -> set[str]:
    """Word 3-grams, or character 4-grams for unspaced scripts; short texts fall back to 1-grams."""
    words = tokens if not tokens or isinstance(tokens[0], str) else [t.text for t in tokens]
    n = CHAR_SHINGLE if is_unspaced(words) else WORD_SHINGLE
    if len(words) < n:
        return {" ".join(words)} if words else set()
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


def _hash32(shingle_set: Iterable[str]) -> bytes:
    """datasketch's sha1_hash32 of each shingle (first 4 bytes of SHA-1, little endian)."""
    return b"".join([sha1(s.encode("utf-8")).digest()[:4] for s in shingle_set])


def signatures(shingle_sets: Sequence[Iterable[str]]) -> np.ndarray:
    """MinHash signatures of many shingle sets at once: a (len, NUM_PERM) uint32 array.

    Row i equals ``datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")``
    updated with set i's shingles (UTF-8): same hash, pre-mix and permutations, but one
    vectorised pass over all shingles instead of a MinHash object per set. An empty set
    gets datasketch's empty signature (all 2^32 - 1).
    """
    return _permuted_minima([_hash32(s) for s in shingle_sets])


def _permuted_minima(digests: list[bytes]) -> np.ndarray:
    """Signatures from each set's concatenated 32-bit shingle hashes (see _hash32)."""
    out = np.full((len(digests), NUM_PERM), _EMPTY, dtype=np.uint32)
    counts = np.fromiter((len(d) // 4 for d in digests), dtype=np.int64, count=len(digests))
    if not counts.sum():
        return out
    mixed = _fmix32(np.frombuffer(b"".join(digests), dtype="<u4").astype(np.uint32))
    owner = np.repeat(np.arange(len(digests), dtype=np.int64), counts)  # set of each shingle
    for lo in range(0, len(mixed), _CHUNK):
        hi = min(lo + _CHUNK, len(mixed))
        # Permutations x shingles; uint32 arithmetic wraps, which is affine32's modulo 2^32.
        permuted = _A[:, None] * mixed[None, lo:hi] + _B[:, None]
        owners = owner[lo:hi]
        firsts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        minima = np.minimum.reduceat(permuted, firsts, axis=1).T
        # A set cut by the chunk edge keeps the smaller of its two halves' minima.
        sets = owners[firsts]
        out[sets] = np.minimum(out[sets], minima)
    return out


def minhash(shingle_set: set[str]) -> LeanMinHash:
    """MinHash signature of one shingle set, as a datasketch LeanMinHash (for LSH indexes)."""
    return from_hashvalues(signatures([shingle_set])[0])


def from_hashvalues(hashvalues: np.ndarray) -> LeanMinHash:
    """A datasketch LeanMinHash over stored or computed hash values (32-bit)."""
    return LeanMinHash(seed=SEED, hashvalues=np.asarray(hashvalues, dtype=np.uint32), scheme=SCHEME)
