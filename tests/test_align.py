import random

from provenance.align import find_matches, quote_regions, stopwords
from provenance.fingerprint import shingles, tokenize
from provenance.models import Article
from provenance.pipeline import prepare

SOURCE = """Harbour workers strike over pay

Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union said the strike would continue until the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent last year.

"We will not unload a single container until our members are paid fairly," the union leader Maria Santos told reporters outside the main gate.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""

COPY = """Port strike: dock workers walk out

Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union said the strike would continue until the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent last year.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""

SAME_STORY = """Strike hits port

The harbour came to a standstill this week as its dockers stopped work, the third such action in a decade.

"We will not unload a single container until our members are paid fairly," said Santos, who has led the dockers since 2019.

Economists at the chamber of commerce estimated the cost of each idle day at several million, without giving a precise figure.
"""

UNRELATED = """Museum reopens after renovation

The city museum reopened its doors on Saturday after a two-year renovation that restored the painted ceiling of the great hall and added a new wing for modern art.
"""


def article(aid, text):
    return prepare(Article(id=aid, source=aid, text=text))


def by_pair(matches):
    return {frozenset((m.a, m.b)): m for m in matches}


def test_copy_is_found_with_spans_on_both_sides():
    a, b = article("a", SOURCE), article("b", COPY)
    matches = by_pair(find_matches([a, b, article("c", UNRELATED)]))
    match = matches[frozenset(("a", "b"))]
    assert match.kind == "copy"
    assert len(match.pairs) >= 3
    for pair in match.pairs:
        for span in pair.spans:
            # the span's words are the same on both sides
            assert [t.text for t in tokenize(a.text[span.a_start:span.a_end])] == [
                t.text for t in tokenize(b.text[span.b_start:span.b_end])]
    assert match.b_coverage > 0.8
    assert not any(frozenset(("c", x)) in matches for x in "ab")


def test_a_shared_quote_is_not_derivation():
    matches = by_pair(find_matches([article("a", SOURCE), article("s", SAME_STORY)]))
    match = matches.get(frozenset(("a", "s")))
    assert match is not None and match.kind == "shared_quote"
    assert all(s.quoted for p in match.pairs for s in p.spans if s.a_end - s.a_start > 30)


def test_quoted_paragraph_inside_a_longer_one_is_found():
    quoted = ("A reader writes: " + SOURCE.split("\n\n")[2] + " The rest of this long post is the reader's "
              "own opinion about wages in the shipping sector and the state of the economy in general.")
    matches = by_pair(find_matches([article("a", SOURCE), article("q", quoted)]))
    assert frozenset(("a", "q")) in matches


def test_unspaced_scripts_use_character_shingles():
    tokens = tokenize("比利时安全部门正在监视阿里巴巴的物流中心")
    assert all(len(t.text) == 1 for t in tokens)
    assert all(len(s.split("\x1f")) == 4 for s in shingles(tokens))


def test_chinese_copy_is_found():
    zh = ("比利时安全部门正在监视阿里巴巴在欧洲的主要物流中心，原因是担心中国可能利用其在西方日益增长的经济影响力从事非法活动。"
          "该中心位于列日货运机场，于二零一八年根据阿里巴巴与比利时政府签署的协议设立。")
    copy = "据报道，" + zh
    matches = find_matches([article("zh1", zh), article("zh2", copy)])
    assert matches and matches[0].kind == "copy"


def test_quote_regions_tolerate_a_lost_opening_mark():
    text = 'China intends to use this data.” the agency warned. He said "no comment" twice.'
    regions = quote_regions(text)
    assert regions[0] == (0, text.index("”") + 1)
    assert text[regions[1][0]:regions[1][1]] == '"no comment"'


FILLER_WORDS = ("orchard harvest violin glacier lantern meadow pepper quartz saddle tundra velvet walnut "
                "anchor biscuit canyon dolphin ember falcon garnet hazel igloo jasmine kettle lemon "
                "marble nutmeg olive pebble quiver raven sapphire thistle umber vessel willow yarrow").split()


def filler(seed: int) -> str:
    """A paragraph of words unrelated to the test story, different for each seed."""
    rng = random.Random(seed)
    return f"Filler {seed}\n\n" + " ".join(rng.choice(FILLER_WORDS) for _ in range(60)) + "."


def test_each_side_is_read_as_the_copy():
    short = "\n\n".join(SOURCE.split("\n\n")[:3])
    # The long article quotes the short one whole and goes on with plenty of its own text.
    long = short + "\n\n" + "\n\n".join(filler(i).split("\n\n")[1] for i in range(6))
    match = find_matches([article("short", short), article("long", long)])[0]
    assert (match.a, match.b) == ("long", "short")
    assert match.b_kind == "copy" and match.b_score > 0.9
    assert match.a_kind is None and match.a_score < 0.2
    assert match.kind == "copy" and match.score == match.b_score
    assert any("read as the copy, long" in line and "not derived" in line for line in match.evidence)


def test_small_corpus_does_not_count_shared_vocabulary():
    (match,) = find_matches([article("a", SOURCE), article("b", COPY)])
    assert any("too few to tell rare words" in line for line in match.evidence)


def test_with_enough_articles_rare_shared_words_count():
    # A heavy rewrite: short shared runs, but the story's rare words recur.
    rewrite = """Dockers down tools

Harbour authority talks collapsed over a proposed pay freeze, and dock workers walked off the job on Monday.

Their union wants wages indexed to inflation, six percent last year, and the freeze withdrawn before the strike ends.

Vessels waiting at anchor offshore could mean shortages of fuel and grain for the region, shipping companies warned.
"""
    pair = [article("source", SOURCE), article("rewrite", rewrite)]
    (alone,) = find_matches(pair)
    matches = by_pair(find_matches(pair + [article(f"filler{i}", filler(i)) for i in range(30)]))
    match = matches[frozenset(("source", "rewrite"))]
    assert match.as_copy("rewrite")[0] in ("copy", "rewrite")
    assert match.as_copy("rewrite")[1] > alone.as_copy("rewrite")[1] + 0.2
    assert any("rarity-weighted content words" in line for line in match.evidence)
    assert all(m.kind not in ("copy", "rewrite") for pair, m in matches.items() if "source" not in pair)


def test_stop_words_are_normalised_single_words():
    assert {"the", "and", "of"} <= stopwords("en")
    assert all(" " not in w for w in stopwords("vi"))
    assert stopwords("xx") == frozenset() and stopwords(None) == frozenset()
