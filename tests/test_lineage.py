import pytest

from provenance.lineage import build_forest
from provenance.models import Article, Attribution, Match, Paragraph
from provenance.outlets import OutletRegistry

REGISTRY = OutletRegistry.from_dict({"outlet": [
    {"name": "Wire Agency", "aliases": ["WA"], "wire": True},
    {"name": "Daily Paper"},
    {"name": "Evening Paper"},
]})


def article(aid, outlet=None, published=None):
    return Article(id=aid, source=aid, text="x" * 100, outlet=outlet, published=published,
                   paragraphs=[Paragraph(0, 0, 100, "x" * 100)])


def credit(article_id, outlet, kind="according_to", text_source=True):
    return Attribution(article_id, outlet, "WA", f"according to {outlet}", kind, 0, 0, 10,
                       text_source=text_source)


def rewrite(a, b, score=0.4, a_cov=0.5, b_cov=0.5):
    return Match(a=a, b=b, kind="rewrite", score=score, a_coverage=a_cov, b_coverage=b_cov,
                 evidence=["shared text"])


def parents(edges):
    return {e.child: e.parent for e in edges}


def test_earlier_article_is_the_parent_whatever_the_order():
    early = article("z-early", "outlet:daily-paper", "2024-01-01")
    late = article("a-late", "outlet:evening-paper", "2024-01-02")
    for order in ([early, late], [late, early]):
        edges, _ = build_forest(order, [rewrite("a-late", "z-early")], [], REGISTRY)
        assert parents(edges) == {"a-late": "z-early"}
        assert any("published" in line for line in edges[0].evidence)


def test_crediting_the_other_article_outlet_argues_direction():
    paper = article("p", "outlet:daily-paper")
    wire = article("w", "outlet:wire-agency")
    edges, _ = build_forest([paper, wire], [rewrite("p", "w")], [credit("p", "outlet:wire-agency")], REGISTRY)
    assert parents(edges) == {"p": "w"}
    assert edges[0].kind == "rewrite"


def test_undecided_text_match_under_a_shared_credit_gives_siblings():
    one, two = article("one"), article("two")
    credits = [credit("one", "outlet:wire-agency", "credit"), credit("two", "outlet:wire-agency", "credit")]
    edges, outlets = build_forest([one, two], [rewrite("one", "two")], credits, REGISTRY)
    assert parents(edges) == {"one": "outlet:wire-agency", "two": "outlet:wire-agency"}
    assert all(e.kind == "attributed" for e in edges)
    wire = next(o for o in outlets if o.id == "outlet:wire-agency")
    assert wire.name == "Wire Agency" and wire.in_corpus is False


def test_undecided_match_alone_still_says_it_is_undecided():
    edges, _ = build_forest([article("a"), article("b")], [rewrite("a", "b")], [], REGISTRY)
    assert len(edges) == 1
    assert edges[0].confidence < 0.7
    assert any("undecided" in line for line in edges[0].evidence)


def test_self_credits_photo_credits_and_mentions_make_no_edge():
    own = article("w", "outlet:wire-agency")
    credits = [credit("w", "outlet:wire-agency", "dateline"),
               credit("w", "outlet:daily-paper", "photo_credit", text_source=False)]
    edges, _ = build_forest([own], [], credits, REGISTRY)
    assert edges == []


def test_strongest_credit_kind_wins():
    a = article("a")
    credits = [credit("a", "outlet:daily-paper", "first_reported"),
               credit("a", "outlet:daily-paper", "according_to"),
               credit("a", "outlet:wire-agency", "credit")]
    edges, _ = build_forest([a], [], credits, REGISTRY)
    assert parents(edges) == {"a": "outlet:wire-agency"}
    assert edges[0].alternatives[0]["parent"] == "outlet:daily-paper"


def test_result_is_a_forest_even_with_contradictory_evidence():
    arts = [article(x, published=d) for x, d in (("a", "2024-01-01"), ("b", "2024-01-02"), ("c", "2024-01-03"))]
    matches = [rewrite("a", "b"), rewrite("b", "c"), rewrite("a", "c"),
               Match(a="c", b="a", kind="copy", score=0.9, direction=("c", "a"), direction_confidence=0.9)]
    edges, _ = build_forest(arts, matches, [], REGISTRY)
    children = [e.child for e in edges]
    assert len(children) == len(set(children))
    parent_of = parents(edges)
    for start in parent_of:  # no cycles
        seen, node = set(), start
        while node in parent_of:
            assert node not in seen
            seen.add(node)
            node = parent_of[node]


def test_reuse_weeks_later_is_weaker_and_says_why():
    near = build_forest([article("a", published="2024-01-01"), article("b", published="2024-01-02")],
                        [rewrite("a", "b")], [], REGISTRY)[0]
    far = build_forest([article("a", published="2024-01-01"), article("b", published="2024-03-01")],
                       [rewrite("a", "b", score=0.5)], [], REGISTRY)[0]
    assert far and far[0].confidence < near[0].confidence
    assert any("days apart" in line for line in far[0].evidence)


def test_the_edge_takes_the_kind_of_the_child_side():
    early = article("early", "outlet:daily-paper", "2024-01-01")
    late = article("late", "outlet:evening-paper", "2024-01-02")
    # The early article is wholly inside the late one; the late one adds much of its own.
    match = Match(a="early", b="late", kind="copy", score=0.9, a_score=0.9, b_score=0.3,
                  a_kind="copy", b_kind="rewrite", evidence=["shared text"])
    edges, _ = build_forest([early, late], [match], [], REGISTRY)
    assert parents(edges) == {"late": "early"}
    assert edges[0].kind == "rewrite"


def test_no_edge_when_the_child_side_shows_no_derivation():
    early = article("early", "outlet:daily-paper", "2024-01-01")
    late = article("late", "outlet:evening-paper", "2024-01-02")
    # Only the earlier article reads as a copy, but the dates say it came first.
    match = Match(a="early", b="late", kind="copy", score=0.9, a_score=0.9, b_score=0.1,
                  a_kind="copy", b_kind=None, evidence=["shared text"])
    edges, _ = build_forest([early, late], [match], [], REGISTRY)
    assert edges == []


def test_one_outlets_reports_months_apart_are_template_not_copy():
    old = article("bulletin-2023", "outlet:wire-agency", "2023-07-25")
    new = article("bulletin-2025", "outlet:wire-agency", "2025-07-14")
    edges, _ = build_forest([old, new], [rewrite("bulletin-2023", "bulletin-2025", score=0.6)], [], REGISTRY)
    assert parents(edges) == {}
    # Two outlets that far apart may still reuse text (the edge is only weakened).
    other = article("paper-2025", "outlet:daily-paper", "2025-07-14")
    edges, _ = build_forest([old, other], [rewrite("bulletin-2023", "paper-2025", score=0.6)], [], REGISTRY)
    assert parents(edges) == {"paper-2025": "bulletin-2023"}


# --- who may be whose parent: agencies, services, stamps, placeholders, credits ---------

WIRES = OutletRegistry.from_dict({"outlet": [
    {"name": "North Wire", "wire": True, "languages": ["ko", "en"]},
    {"name": "South Wire", "wire": True, "languages": ["fr", "en", "es"]},
    {"name": "South Wire Hindi", "wire": True, "languages": ["hi"], "part_of": "South Wire"},
    {"name": "Daily Paper"},
    {"name": "Big Broadcaster"},
]})


def text_article(aid, text, language, outlet=None, published=None, publisher=True):
    a = Article(id=aid, source=aid, text=text, language=language, outlet=outlet, published=published,
                paragraphs=[Paragraph(0, 0, len(text), text, language=language)])
    if publisher and outlet:
        a.publisher_evidence = ["dateline of its own"]
    return a


def translation(a, b, a_cov=0.85, b_cov=0.85, score=0.8):
    return Match(a=a, b=b, kind="translation", score=score, a_coverage=a_cov, b_coverage=b_cov,
                 evidence=["paragraphs aligned"])


def test_an_agency_report_takes_another_outlets_text_only_with_a_credit():
    # Two agencies report one event in French and English: shared facts, no credit.
    fr = text_article("fr", "MARSEILLE, 2 juil (SW) - Le feu a brûlé 300 hectares.", "fr", "outlet:south-wire")
    en = text_article("en", "SEOUL, July 2 (North Wire) - The fire burned 300 hectares.", "en", "outlet:north-wire")
    edges, _ = build_forest([fr, en], [translation("fr", "en")], [], WIRES)
    assert [e for e in edges if not e.parent.startswith("outlet:")] == []
    # The same English report crediting the French agency is its translation.
    edges, _ = build_forest([fr, en], [translation("fr", "en")], [credit("en", "outlet:south-wire")], WIRES)
    assert parents(edges) == {"en": "fr"}


@pytest.mark.parametrize("home, other, outlet", [("ko", "en", "outlet:north-wire"), ("fr", "es", "outlet:south-wire")])
def test_an_agencys_home_service_is_the_original_of_its_other_services(home, other, outlet):
    original = text_article("z-home", "home-language text", home, outlet)
    version = text_article("a-other", "other-language text", other, outlet)
    edges, _ = build_forest([version, original], [translation("a-other", "z-home")], [], WIRES)
    assert parents(edges) == {"a-other": "z-home"}
    assert any("home service" in line for line in edges[0].evidence)


@pytest.mark.parametrize("dateline, language", [
    ("FRANKFURT, Aug 26 (Reuters) - River levels fell again.", "en"),
    ("ФРАНКФУРТ, 26 серпня (Reuters) - Рівень води знову впав.", "uk"),
])
def test_a_stamp_before_the_articles_own_dateline_is_not_evidence(dateline, language):
    from provenance.lineage import trusted_date

    backdated = text_article("copy", dateline, language, published="2025-08-25T05:14:00Z")
    assert trusted_date(backdated) is None
    honest = text_article("copy", dateline, language, published="2025-08-26T15:00:00Z")
    assert trusted_date(honest) == "2025-08-26T15:00:00Z"


def test_a_backdated_copy_does_not_become_its_originals_parent():
    original = text_article("orig", "Warsaw, Aug 26 - Prices of barge freight rose.", "en", "outlet:daily-paper",
                            "2025-08-26T13:20:00Z", publisher=False)
    copy = text_article("copy", "Варшава, 26 серпня - Ціни на фрахт зросли.", "uk", None, "2025-08-25T05:14:00Z")
    edges, _ = build_forest([original, copy], [translation("orig", "copy")],
                            [credit("copy", "outlet:daily-paper")], WIRES)
    assert parents(edges) == {"copy": "orig"}


@pytest.mark.parametrize("placeholder, language", [("[광고_1]", "ko"), ("[iklan_2]", "id")])
def test_a_copying_pipelines_placeholder_outweighs_a_same_day_stamp(placeholder, language):
    source = text_article("source", "The landslide closed the highway.", "en", "outlet:daily-paper",
                          "2025-07-14T08:40:00Z", publisher=False)
    farm = text_article("farm", f"text of the copy {placeholder} more text", language, None, "2025-07-14T04:35:00Z")
    edges, _ = build_forest([source, farm], [translation("source", "farm")], [], WIRES)
    assert parents(edges) == {"farm": "source"}
    assert any("placeholder" in line for line in edges[0].evidence)


@pytest.mark.parametrize("coverage, parent", [(0.7, "outlet:big-broadcaster"), (0.95, "paper")])
def test_a_credit_to_a_news_outlet_overrules_a_partial_text_parent(coverage, parent):
    # The child says where its text is from; a paper that is not that outlet and does not
    # credit it shares only part of the child: the credit wins, unless the paper covers it all.
    paper = text_article("paper", "Landslide blocks highway, tourists stranded.", "hi", "outlet:daily-paper",
                         "2025-07-14T08:40:00Z", publisher=False)
    child = text_article("child", "पहिरोले राजमार्ग अवरुद्ध", "ne", None, "2025-07-14T10:35:00Z")
    match = translation("paper", "child", a_cov=0.4, b_cov=coverage)
    edges, _ = build_forest([paper, child], [match], [credit("child", "outlet:big-broadcaster")], WIRES)
    assert parents(edges)["child"] == parent
    if parent.startswith("outlet:"):
        assert any("chosen over paper" in line and "neither is it nor credits it" in line for line in edges[-1].evidence)


def test_a_credit_to_an_agencys_service_argues_for_the_agencys_own_article():
    wire = text_article("wire", "SHIMLA, July 14 (SW) - A landslide blocked the highway.", "en", "outlet:south-wire")
    paper = text_article("paper", "शिमला, 14 जुलाई (SW Hindi) भूस्खलन से राजमार्ग बंद", "hi", "outlet:daily-paper",
                         publisher=False)
    edges, _ = build_forest([wire, paper], [translation("wire", "paper")],
                            [credit("paper", "outlet:south-wire-hindi", "according_to")], WIRES)
    assert parents(edges) == {"paper": "wire"}
    assert WIRES.same_family("outlet:south-wire-hindi", "outlet:south-wire")
    assert not WIRES.same_family("outlet:north-wire", "outlet:south-wire")


def test_the_text_direction_model_votes_below_a_date(monkeypatch):
    from provenance import lineage
    from provenance.direction import DirectionVote

    monkeypatch.setattr(lineage, "translation_direction", lambda *args: DirectionVote("a", 0.9, "model"))
    a = text_article("a", "text one", "de", "outlet:daily-paper", publisher=False)
    b = text_article("b", "text two", "en", "outlet:big-broadcaster", publisher=False)
    edges, _ = build_forest([a, b], [translation("a", "b")], [], WIRES)
    assert parents(edges) == {"b": "a"}
    assert any("a reads as the original: written in de" in line for line in edges[0].evidence)
    # A date the other way wins over the model.
    a.published, b.published = "2025-03-02", "2025-03-01"
    edges, _ = build_forest([a, b], [translation("a", "b")], [], WIRES)
    assert parents(edges) == {"a": "b"}


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_copys_credit_for_an_added_line_does_not_overrule_its_text_parent(language):
    source = text_article("source", "Dock workers walked out.", language, "outlet:daily-paper", "2024-03-04",
                          publisher=False)
    copy = text_article("copy", "Dock workers walked out. Prices rose, said the broadcaster.", language, None,
                        "2024-03-05")
    match = Match(a="source", b="copy", kind="copy", score=0.8, a_coverage=0.95, b_coverage=0.75,
                  evidence=["shared runs"])
    edges, _ = build_forest([source, copy], [match], [credit("copy", "outlet:big-broadcaster")], WIRES)
    assert parents(edges) == {"copy": "source"}


@pytest.mark.parametrize("child_text, child_lang, middle_text, middle_lang, first_text, first_lang", [
    # Bengali copy of a Hindi version that left Hindi words untranslated.
    ("নদীর জল বেড়েছে बाढ़ का पानी गांवों में घुसा প্রশাসন সতর্ক", "bn",
     "नदी का जलस्तर बढ़ा, बाढ़ का पानी गांवों में घुसा, प्रशासन सतर्क", "hi",
     "The river rose and flood water entered villages; officials are on alert.", "en"),
    # Indonesian copy of a Vietnamese version that kept Vietnamese words.
    ("Air sungai naik, nước lũ tràn vào làng, pejabat siaga", "id",
     "Mực nước sông dâng cao, nước lũ tràn vào làng, chính quyền cảnh giác", "vi",
     "Le fleuve est monté, l'eau a envahi les villages, les autorités sont en alerte.", "fr"),
])
def test_in_a_chain_the_child_takes_the_version_whose_words_it_kept(
    child_text, child_lang, middle_text, middle_lang, first_text, first_lang
):
    first = text_article("first", first_text, first_lang, "outlet:daily-paper", "2025-07-14T06:00:00Z", publisher=False)
    middle = text_article("middle", middle_text, middle_lang, "outlet:big-broadcaster", "2025-07-14T08:00:00Z",
                          publisher=False)
    child = text_article("child", child_text, child_lang, None, "2025-07-14T12:00:00Z")
    # The original's match with the child is the fuller one: only the leftovers tell.
    matches = [translation("first", "middle"), translation("first", "child", score=0.9),
               translation("middle", "child", score=0.7)]
    edges, _ = build_forest([first, middle, child], matches, [], WIRES)
    assert parents(edges) == {"middle": "first", "child": "middle"}
    child_edge = next(e for e in edges if e.child == "child")
    assert any("closest version" in line for line in child_edge.evidence)
    assert child_edge.alternatives[0]["parent"] == "first"
    assert any(line.startswith("chosen over first") and "words only this version has" in line
               for line in child_edge.evidence)


def test_a_same_language_version_beats_leftover_words():
    first = text_article("first", "Dock workers walked out over pay in the port.", "en", "outlet:daily-paper",
                         "2025-07-14T06:00:00Z", publisher=False)
    other = text_article("other", "Hafenarbeiter streikten wegen Lohn im Hafen port workers.", "de",
                         "outlet:big-broadcaster", "2025-07-14T08:00:00Z", publisher=False)
    child = text_article("child", "Dock workers walked out over pay in the port, officials said.", "en", None,
                         "2025-07-14T12:00:00Z")
    matches = [rewrite("first", "child", score=0.6, a_cov=0.9, b_cov=0.8), translation("other", "child", score=0.9)]
    edges, _ = build_forest([first, other, child], matches, [], WIRES)
    assert parents(edges)["child"] == "first"
