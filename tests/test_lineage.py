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
