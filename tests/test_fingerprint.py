"""Vectorised MinHash: the same signatures as datasketch's affine32 MinHash with our shingle
hash (``hashfunc=fingerprint.shingle_hash32``), bit for bit."""
from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash, MinHashLSH

from provenance import fingerprint as fp


def datasketch_signature(shingle_set: set[str]) -> np.ndarray:
    m = MinHash(num_perm=fp.NUM_PERM, seed=fp.SEED, scheme=fp.SCHEME, hashfunc=fp.shingle_hash32)
    for shingle in shingle_set:
        m.update(shingle.encode("utf-8"))
    return m.hashvalues


def random_sets(seed: int, n: int) -> list[set[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(400)] + ["ñandú", "東京", "Đà", "naïve"]
    return [
        {"\x1f".join(rng.choices(words, k=3)) for _ in range(rng.randint(1, 90))}
        for _ in range(n)
    ]


def test_signatures_equal_datasketch_hashvalues_on_random_shingle_sets():
    sets = random_sets(seed=11, n=200)
    ours = fp.signatures(sets)
    assert ours.shape == (200, fp.NUM_PERM) and ours.dtype == np.uint32
    for row, shingle_set in zip(ours, sets):
        np.testing.assert_array_equal(row, datasketch_signature(shingle_set))


def test_a_set_larger_than_one_chunk_and_an_empty_set_match_datasketch():
    big = {f"token\x1f{i}" for i in range(3 * fp._CHUNK + 17)}  # cut across chunk edges
    sets = [{"a"}, big, set(), {"b", "c"}]
    ours = fp.signatures(sets)
    for row, shingle_set in zip(ours, sets):
        np.testing.assert_array_equal(row, datasketch_signature(shingle_set))
    assert fp.signatures([]).shape == (0, fp.NUM_PERM)


def test_our_signatures_and_datasketch_minhashes_share_one_lsh_index():
    sets = random_sets(seed=3, n=20)
    lsh = MinHashLSH(threshold=0.5, num_perm=fp.NUM_PERM)
    for i, shingle_set in enumerate(sets):
        lsh.insert(i, fp.minhash(shingle_set))
    probe = MinHash(num_perm=fp.NUM_PERM, seed=fp.SEED, scheme=fp.SCHEME, hashfunc=fp.shingle_hash32)
    probe.update_batch([s.encode("utf-8") for s in sets[7]])
    assert 7 in lsh.query(probe)
    assert fp.minhash(sets[7]).jaccard(probe) == 1.0


def test_ingest_fingerprints_equal_the_units_alignment_makes():
    """What ingest stores (align.signatures_and_words) is what align.prepare computes."""
    from pathlib import Path

    import numpy as np

    from provenance import align, pipeline
    from provenance.outlets import default_registry

    seeds = sorted((Path(__file__).resolve().parents[1] / "seeds").iterdir())
    registry = default_registry()
    checked = 0
    for document in pipeline._documents([str(s) for s in seeds], stdin=None, fetch=None, on_note=lambda *a: None):
        article, _, _ = pipeline.read_document(document, registry)
        signatures, words = align.signatures_and_words(article)
        units = align.prepare(article)
        assert sorted(signatures) == [u.paragraph.index for u in units]
        for u in units:
            assert np.array_equal(signatures[u.paragraph.index], u.minhash.hashvalues)
        assert words == {align.token_text(i) for u in units for i in u.ids.tolist()} == align.article_words(article)
        checked += len(units)
    assert checked > 20


WORDS_SAMPLES = [
    "Alibaba's hub in Liège — \"under watch\", says the FT (2023).",
    "Theo FT, trung tâm hậu cần của Alibaba ở Liège đang bị giám sát.",
    "FT에 따르면 벨기에 정보기관은 알리바바의 물류 허브를 감시하고 있다.",
    "比利时安全部门正在监视阿里巴巴的物流中心，据FT报道2023年。",
    "ＦＵＬＬＷＩＤＴＨ ﬁne Straße İstanbul rock'n'roll don’t 9'ab ab'9",
    "ข่าวจากรอยเตอร์ระบุว่า Alibaba ขยายศูนย์ในเบลเยียม",
    "",
]


def test_words_are_the_texts_of_the_tokens():
    for text in WORDS_SAMPLES:
        assert fp.words(text) == [t.text for t in fp.tokenize(text)], text


def test_words_equal_the_tokens_on_random_ascii_text():
    # words() finds ASCII words by a byte translation and a split, not by the pattern.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from([chr(c) for c in range(128)] + ["aa'b", "A'B'c", "9'x", "''", " 'Q"])

    @settings(max_examples=600, deadline=None, derandomize=True)
    @given(st.lists(pieces, max_size=30).map("".join))
    def check(text):
        assert fp.words(text) == [t.text for t in fp.tokenize(text)]

    check()


def test_words_equal_the_tokens_on_random_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list("aZ9' ’-.,\"«»\n") + ["é", "İ", "ß", "ﬁ", "Ａ", "比", "利", "ก", "한", "ー", "ñ", "\u0301"])

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.lists(alphabet, max_size=40).map("".join))
    def check(text):
        assert fp.words(text) == [t.text for t in fp.tokenize(text)]

    check()


def test_signatures_from_words_equal_those_of_the_shingle_strings():
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(300)] + ["東", "京", "都", "ñandú"]
    paragraphs = [rng.choices(vocabulary, k=rng.randint(0, 80)) for _ in range(300)]
    paragraphs += [["東", "京", "都", "庁", "は"] * 3, ["a"], ["a", "b"], []]
    np.testing.assert_array_equal(
        fp.signatures_of_words(paragraphs), fp.signatures([fp.shingles(words) for words in paragraphs])
    )


def test_a_word_hash_cache_cleared_when_full_gives_the_same_signatures(monkeypatch):
    paragraphs = [fp.words("the quick brown fox jumps over the lazy dog again and again")] * 3
    before = fp.signatures_of_words(paragraphs)
    monkeypatch.setattr(fp, "_WORD_HASHES_MAX", 4)
    fp._WORD_HASHES.clear()
    np.testing.assert_array_equal(fp.signatures_of_words(paragraphs), before)
