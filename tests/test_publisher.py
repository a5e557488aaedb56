"""Publisher inference: metadata first, then the text's own cues; credits to the
publisher become self-credits."""
from provenance.attribution import extract_attributions
from provenance.models import Article
from provenance.outlets import default_registry
from provenance.pipeline import prepare
from provenance.publisher import apply_publisher, infer_publisher


def _traced(text: str, **meta) -> Article:
    article = prepare(Article(id="t.txt", source="t.txt", text=text, **meta))
    registry = default_registry()
    credits = extract_attributions(article, registry)
    apply_publisher(article, infer_publisher(article, credits, registry), credits)
    article._credits = credits  # for the assertions below
    return article


BODY_EN = ("A storm closed the coastal road near the harbour on Monday, leaving dozens of lorries "
           "waiting on both sides while crews cleared fallen trees, officials said.")
BODY_DE = ("Ein Sturm hat am Montag die Küstenstraße am Hafen gesperrt, Dutzende Lastwagen warteten "
           "auf beiden Seiten, während Einsatzkräfte umgestürzte Bäume räumten, teilte die Stadt mit.")


def test_agency_dateline_makes_the_agency_publisher_and_its_credit_self():
    article = _traced(f"Storm shuts coast road\n\nOSLO, March 3 (Reuters) - {BODY_EN}\n\nMore follows here.")
    assert article.outlet == "outlet:reuters"
    assert any("dateline" in e for e in article.publisher_evidence)
    assert all(c.self for c in article._credits if c.outlet == "outlet:reuters")


def test_german_copyright_footer_names_the_agency():
    article = _traced(f"Sturm sperrt Küstenstraße\n\n{BODY_DE}\n\nWeiterer Text folgt.\n\n© dpa-infocom, dpa:250101-99-1/2")
    assert article.outlet == "outlet:deutsche-presse-agentur"
    assert any("copyright" in e for e in article.publisher_evidence)


def test_masthead_of_another_site_turns_the_agency_dateline_into_a_credit():
    text = (f"Business Standard\nHome | Markets | Economy | Companies\n"
            f"OSLO, March 3 (PTI) {BODY_EN}\n(Only the headline may have been reworked.)")
    article = _traced(text)
    assert article.outlet == "outlet:business-standard"
    pti = [c for c in article._credits if c.outlet == "outlet:press-trust-of-india"]
    assert pti and not any(c.self for c in pti)


def test_dateline_of_an_agency_in_a_language_it_does_not_publish_is_not_authorship():
    # PTI publishes in English; a German text with its dateline is someone's translation.
    article = _traced(f"Sturm sperrt Küstenstraße\n\nOslo, 3. März (PTI) {BODY_DE}\n\nWeiterer Text.")
    assert article.outlet != "outlet:press-trust-of-india"


def test_metadata_wins_over_the_text():
    article = _traced(f"OSLO, March 3 (Reuters) - {BODY_EN}", outlet="outlet:korea-herald", outlet_name="The Korea Herald")
    assert article.outlet == "outlet:korea-herald"
    assert article.publisher_evidence[0].startswith("metadata")


def test_with_material_byline_is_not_authorship():
    article = _traced(f"Sturm sperrt Küstenstraße\nVon Anna Beispiel mit Material von dpa\n{BODY_DE}\n\nMehr.")
    assert article.outlet != "outlet:deutsche-presse-agentur"


def test_nothing_to_tell_leaves_the_publisher_unknown():
    article = _traced(f"Storm shuts coast road\n\n{BODY_EN}")
    assert article.outlet is None and article.publisher_evidence == []


import pytest  # noqa: E402


@pytest.mark.parametrize("byline, dateline, body, outlet", [
    ("Jana Novak | 03.03.2025 - 07:35", "OSLO, March 3 (Reuters) - ", BODY_EN, "outlet:reuters"),
    ("Jonas Reinhardt · 3. März 2025, 11:42 Uhr", "Kiel (dpa) - ", BODY_DE, "outlet:deutsche-presse-agentur"),
])
def test_a_reporter_with_a_timestamp_is_a_byline_not_a_masthead(byline, dateline, body, outlet):
    article = _traced(f"Storm shuts coast road\n\n{byline}\n\n{dateline}{body}\n\nMore follows here.")
    assert article.outlet == outlet


@pytest.mark.parametrize("crumbs", ["Home > Region > Coast", "Startseite › Region › Küste"])
def test_a_breadcrumb_trail_does_not_name_the_outlet(crumbs):
    article = _traced(f"{crumbs}\n\nStorm shuts coast road\n\n{BODY_EN}\n\nMore follows here.")
    assert article.outlet not in ("outlet:home", "outlet:startseite")


@pytest.mark.parametrize("nav, outlet", [("Reuters > World", "outlet:reuters"), ("Bloomberg › Märkte", "outlet:bloomberg")])
def test_a_registered_outlet_opens_a_short_navigation_line(nav, outlet):
    article = _traced(f"{nav}\n\nStorm shuts coast road\n\n{BODY_DE}\n\nWeiterer Text folgt.")
    assert article.outlet == outlet
    assert any("header line" in e for e in article.publisher_evidence)


@pytest.mark.parametrize("text", [
    # A scraped copy keeps the agency's dateline and its "told" phrase: not the agency's page.
    f"Storm shuts coast road\n\nOSLO, March 3 (Reuters) - {BODY_EN} [ads_1]\n\nA driver told Reuters he waited hours.",
    f"Sturm sperrt Küstenstraße\n\nKiel (dpa) - {BODY_DE} [werbung_2]\n\nWeiterer Text folgt.",
])
def test_a_page_with_a_copying_pipelines_placeholder_is_not_the_agencys(text):
    article = _traced(text)
    assert article.outlet is None
    assert not any(c.self for c in article._credits)


def test_told_an_agency_in_a_language_it_does_not_publish_in_is_a_credit():
    text = ("Tempestade fecha estrada costeira\n\nUma tempestade fechou a estrada costeira perto do porto "
            "na segunda-feira, deixando dezenas de caminhões à espera dos dois lados, enquanto equipes "
            "removiam árvores caídas.\n\nUm motorista disse à Yonhap que esperou horas.")
    article = _traced(text, language="pt")
    assert article.outlet != "outlet:yonhap"
