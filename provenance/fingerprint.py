"""Stage 5a: tokens, shingles and MinHash signatures of paragraphs.

Shingles suit the script: word 3-grams where words are separated by spaces, character
4-grams for scripts written without spaces (Chinese, Japanese, Thai, ...), so that a
Chinese paragraph is not one giant "word".
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import regex
from datasketch import LeanMinHash, MinHash

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


@dataclass(frozen=True)
class Token:
    text: str  # normalised (NFKC, casefolded)
    start: int  # offsets into the text the tokens were taken from
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Normalised tokens with offsets (+ ``offset``): words, or single characters in unspaced scripts."""
    out: list[Token] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if _UNSPACED.search(word):
            # Split the run into characters, keeping Latin/digit runs inside it whole.
            for sub in regex.finditer(
                r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]|[^\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]+",
                word,
            ):
                s = m.start() + sub.start()
                out.append(Token(normalize_token(sub.group()), s + offset, s + len(sub.group()) + offset))
        else:
            out.append(Token(normalize_token(word), m.start() + offset, m.end() + offset))
    return out


def normalize_token(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


def is_unspaced(tokens: list[Token]) -> bool:
    """True when most tokens are single characters of an unspaced script."""
    if not tokens:
        return False
    single = sum(1 for t in tokens if len(t.text) == 1 and _UNSPACED.match(t.text))
    return single >= 0.5 * len(tokens)


def shingles(tokens: list[Token]) -> set[str]:
    """Word 3-grams, or character 4-grams for unspaced scripts; short texts fall back to 1-grams."""
    words = [t.text for t in tokens]
    n = CHAR_SHINGLE if is_unspaced(tokens) else WORD_SHINGLE
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {"\x1f".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def minhash(shingle_set: set[str]) -> LeanMinHash:
    """MinHash signature of a shingle set (datasketch, batched update)."""
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    if shingle_set:
        m.update_batch([s.encode("utf-8") for s in shingle_set])
    return LeanMinHash(m)


def from_hashvalues(hashvalues: np.ndarray) -> LeanMinHash:
    """Rebuild a signature stored in the database."""
    return LeanMinHash(seed=SEED, hashvalues=hashvalues, scheme=SCHEME)
