"""Attribution extraction: every kind, every pattern language, non-credits, offsets, seeds."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from provenance.attribution import KINDS, PatternError, extract_attributions, load_patterns
from provenance.models import Article, Paragraph
from provenance.outlets import OutletRegistry, default_registry

FIXTURES = Path(__file__).parent / "fixtures" / "attribution"
SEEDS = Path(__file__).parent.parent / "seeds"
CASES = tomllib.loads((FIXTURES / "cases.toml").read_text(encoding="utf-8"))["case"]


def make_article(
    text: str, language: str | None = "en", boilerplate: dict[int, str] | None = None, article_id: str = "a"
) -> Article:
    """Stand-in for the segmenter: one paragraph per non-empty line."""
    paragraphs, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            index = len(paragraphs)
            paragraphs.append(
                Paragraph(
                    index=index,
                    start=pos,
                    end=pos + len(line),
                    text=line,
                    language=language,
                    boilerplate=(boilerplate or {}).get(index),
                )
            )
        pos += len(line) + 1
    return Article(id=article_id, source=article_id, text=text, language=language, paragraphs=paragraphs)


def summarize(article: Article) -> list[str]:
    return [f"{a.kind} | {a.outlet} | {a.surface}" for a in extract_attributions(article, default_registry())]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['language']}-{i}" for i, c in enumerate(CASES)])
def test_fixture_case(case):
    article = make_article(case["text"], case["language"])
    found = extract_attributions(article, default_registry())
    assert [f"{a.kind} | {a.outlet} | {a.surface}" for a in found] == case["expect"]
    if "phrases" in case:
        assert [a.phrase for a in found] == case["phrases"]
    for a in found:
        assert article.text[a.start : a.end] == a.phrase
        assert a.surface in a.phrase
        assert a.language == case["language"]


def test_fixtures_cover_every_kind_and_language():
    kinds = {e.split(" | ")[0] for c in CASES for e in c["expect"]}
    assert kinds == set(KINDS)
    languages = {c["language"] for c in CASES}
    files = set(load_patterns().languages)
    assert files - {"*"} <= languages  # every language file has cases
    # Cases in a language without a file test the common patterns alone.
    assert languages - files == {"cs"}


def test_offsets_point_into_the_whole_article():
    text = "Headline here\n\nFirst paragraph without credit.\nPrices fell, according to Reuters.\n(AFP)"
    article = make_article(text)
    found = extract_attributions(article, default_registry())
    assert [(a.kind, a.paragraph) for a in found] == [("according_to", 2), ("credit", 3)]
    assert [text[a.start : a.end] for a in found] == ["according to Reuters", "(AFP)"]


def test_comments_and_related_are_skipped_other_boilerplate_is_scanned():
    text = "Body text.\nAccording to Reuters, a reader wrote.\nRead more via Bloomberg\nSource: AFP"
    article = make_article(text, boilerplate={1: "comments", 2: "related", 3: "chrome"})
    assert summarize(article) == ["source_footer | outlet:agence-france-presse | AFP"]


def test_caption_paragraphs_become_photo_credits():
    text = "Workers at the plant, according to AFP\nThe plant closed on Monday."
    found = extract_attributions(make_article(text, boilerplate={0: "caption"}), default_registry())
    assert [(a.kind, a.text_source) for a in found] == [("photo_credit", False)]


def test_caption_line_with_bracketed_outlet_is_a_photo_credit():
    text = "Cargo terminal at dawn (via Reuters)\nThe airport handled more parcels last year."
    found = extract_attributions(make_article(text), default_registry())
    assert [(a.kind, a.outlet, a.text_source, a.phrase) for a in found] == [
        ("photo_credit", "outlet:reuters", False, "Cargo terminal at dawn (via Reuters)")
    ]


def test_longest_phrase_wins_for_one_mention():
    found = extract_attributions(make_article("(Theo Reuters)", "vi"), default_registry())
    assert [(a.kind, a.phrase) for a in found] == [("source_footer", "(Theo Reuters)")]


def test_unknown_language_uses_every_file():
    found = extract_attributions(make_article("FT에 따르면 수출이 줄었다.", None), default_registry())
    assert [(a.kind, a.outlet) for a in found] == [("according_to", "outlet:financial-times")]


def test_name_tail_is_not_mistaken_for_a_registry_alias():
    found = extract_attributions(make_article("The mayor told the Zorbville Times on Monday."), default_registry())
    assert [(a.outlet, a.surface) for a in found] == [("outlet:zorbville-times", "Zorbville Times")]


def test_outlets_added_to_the_registry_are_matched(tmp_path):
    registry = OutletRegistry.from_dict(
        {"outlet": [{"name": "Zorbian Courier", "aliases": ["ZC", "조르비안"], "domains": ["zorb.example"]}]}
    )
    found = extract_attributions(make_article("조르비안에 따르면 다리가 무너졌다.", "ko"), registry)
    assert [(a.outlet, a.surface) for a in found] == [("outlet:zorbian-courier", "조르비안")]


def test_a_language_added_as_a_file_is_used(tmp_path):
    (tmp_path / "nl.toml").write_text(
        'language = "nl"\n[[pattern]]\nkind = "according_to"\ntemplate = "volgens {outlet}"\n',
        encoding="utf-8",
    )
    patterns = load_patterns(tmp_path)
    found = extract_attributions(make_article("Volgens Reuters is de deal rond.", "nl"), default_registry(), patterns)
    assert [(a.kind, a.outlet, a.phrase) for a in found] == [("according_to", "outlet:reuters", "Volgens Reuters")]


@pytest.mark.parametrize(
    "body, message",
    [
        ('language = "xx"\n[[pattern]]\nkind = "rumour"\ntemplate = "per {outlet}"\n', "unknown kind"),
        ('language = "xx"\n[[pattern]]\nkind = "credit"\ntemplate = "per nobody"\n', "slot"),
        ('[[pattern]]\nkind = "credit"\ntemplate = "per {outlet}"\n', "language"),
        ('language = "xx"\n[[pattern]]\nkind = "credit"\nregex = "per ({outlet}"\n', "pattern"),
    ],
)
def test_malformed_pattern_files_raise(tmp_path, body, message):
    (tmp_path / "xx.toml").write_text(body, encoding="utf-8")
    with pytest.raises(PatternError, match=message):
        patterns = load_patterns(tmp_path)
        extract_attributions(make_article("per Reuters", "xx"), default_registry(), patterns)


# ------------------------------------------------------------------------------- seeds
SEED_LANGUAGES = {"000": "ko", "001": "vi", "002": "en", "003": "en", "004": "id"}


def seed_article(prefix: str) -> Article:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    article = make_article(text, SEED_LANGUAGES[prefix], article_id=str(path))
    # What the segmenter labels: Slashdot's comment thread (003) is boilerplate.
    in_comments = False
    for p in article.paragraphs:
        in_comments = in_comments or p.text.startswith("This discussion has been archived")
        if in_comments:
            p.boilerplate = "comments"
    return article


def seed_found(prefix: str) -> set[tuple[str, str, str]]:
    article = seed_article(prefix)
    found = extract_attributions(article, default_registry())
    for a in found:
        assert article.text[a.start : a.end] == a.phrase
    return {(a.kind, a.outlet, a.phrase) for a in found}


FT = "outlet:financial-times"


def test_seed_000_korean():
    found = seed_found("000")
    assert {o for _, o, _ in found} == {FT}
    assert ("source_footer", FT, "(FT에 따르면)") in found
    assert ("according_to", FT, "FT에 따르면") in found
    assert any(k == "told" and "파이낸셜 타임스" in p for k, _, p in found)


def test_seed_001_vietnamese():
    found = seed_found("001")
    assert {o for _, o, _ in found} == {FT}
    assert {("source_footer", FT, "(Theo FT)"), ("according_to", FT, "Theo FT"), ("told", FT, "nói với FT")} <= found
    assert any("Nguồn tin của FT" in p for _, _, p in found)


def test_seed_002_spanish_wire_in_english():
    found = seed_found("002")
    assert ("credit", "outlet:reuters", "(With information from Reuters and EFE)") in found
    assert ("credit", "outlet:efe", "(With information from Reuters and EFE)") in found
    assert any(k == "first_reported" and o == FT for k, o, _ in found)
    photo = {p for k, o, p in found if k == "photo_credit" and o == "outlet:reuters"}
    assert photo == {"Alibaba logo in Beijing (Reuters)", "Liège cargo airport, Belgium (via Reuters)"}
    assert {o for _, o, _ in found} == {FT, "outlet:reuters", "outlet:efe"}


def test_seed_003_slashdot():
    found = seed_found("003")
    assert {o for _, o, _ in found} == {FT}
    kinds = {k for k, _, _ in found}
    assert {"quotes_report", "told", "via"} <= kinds
    assert ("via", FT, "(ft.com)") in found
    assert ("quotes_report", FT, "reports the FT") in found


def test_seed_004_indonesian_spin():
    found = seed_found("004")
    assert any(k == "first_reported" and o == FT for k, o, _ in found)
    # Only the FT and, at most, the spun outlet name the text credits as a told-to addressee.
    assert {o for _, o, _ in found} - {FT} <= {"outlet:hot-news"}
    assert all(k == "told" for k, o, _ in found if o != FT)


@pytest.mark.parametrize(
    "text, language",
    [
        # A sentence ends (danda, Urdu full stop) before the bracketed domain: not a caption.
        ("सड़क पर मलबा गिरा और यातायात रुक गया। पूरी खबर पहले एनडीटीवी पर छपी (ndtv.com)", "hi"),
        ("شاہراہ پر ملبہ گرنے سے ٹریفک رک گئی۔ یہ خبر پہلے ڈان پر شائع ہوئی (dawn.com)", "ur"),
    ],
)
def test_a_line_with_a_sentence_end_in_any_script_is_not_a_caption(text, language):
    found = extract_attributions(make_article(text, language), default_registry())
    assert found and all(a.kind != "photo_credit" and a.text_source for a in found)
