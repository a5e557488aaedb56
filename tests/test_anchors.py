"""Language-independent anchors: numbers, dates and names compared across languages."""
from decimal import Decimal

import pytest

from provenance.anchors import (
    AnchorError,
    extract_anchors,
    names_match,
    normalise_name,
    parse_number,
    shared_anchors,
)


def keys(text: str, language: str, kind: str | None = None) -> list[str]:
    return [a.key for a in extract_anchors(text, language) if kind is None or a.kind == kind]


@pytest.mark.parametrize(
    ("raw", "language", "value"),
    [
        ("3,7", "vi", Decimal("3.7")),
        ("100.000", "vi", Decimal("100000")),
        ("100,000", "en", Decimal("100000")),
        ("3.7", "en", Decimal("3.7")),
        ("1.234,5", "de", Decimal("1234.5")),
        ("1,234.5", "en", Decimal("1234.5")),
        ("12,345,678", "en", Decimal("12345678")),
    ],
)
def test_parse_number_follows_the_languages_separators(raw, language, value):
    assert parse_number(raw, language) == value


def test_parse_number_rejects_malformed_grouping():
    with pytest.raises(AnchorError):
        parse_number("1.23.4", "de")


def test_scale_words_resolve_to_the_same_value_across_languages():
    vi = keys("thâm hụt tăng từ 3,7 tỷ euro lên 845,44 triệu USD", "vi", "number")
    ko = keys("적자는 37억 유로 8억 4,544만 달러", "ko", "number")
    zh = keys("投资8.4544亿美元，赤字3.7亿", "zh", "number")
    assert vi == ["num:3700000000", "num:845440000"]
    assert ko == ["num:3700000000", "num:845440000"]
    assert "num:845440000" in zh and "num:370000000" in zh


def test_space_grouped_thousands_and_latin_scale_words():
    assert keys("около 100 000 человек и 1,5 млн рублей", "ru", "number") == ["num:100000", "num:1500000"]
    assert keys("3,7 Mrd. Euro", "de", "number") == ["num:3700000000"]
    assert keys("450 millones de euros", "es", "number") == ["num:450000000"]


def test_small_bare_numbers_are_not_anchors():
    assert keys("two of the 3 cases", "en", "number") == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("on July 7, 2023 it opened", "en"),
        ("le 7 juillet 2023", "fr"),
        ("am 7. Juli 2023", "de"),
        ("7 июля 2023 года", "ru"),
        ("Ngày 7/7/2023", "vi"),
        ("2023년 7월 7일", "ko"),
        ("2023年7月7日", "zh"),
    ],
)
def test_dates_with_cldr_month_names_and_numerals(text, language):
    anchors = extract_anchors(text, language)
    assert "date:07-07" in [a.key for a in anchors]
    assert "num:2023" in [a.key for a in anchors]


def test_month_without_day_keeps_the_year_and_a_fraction_is_not_a_date():
    assert keys("Vào tháng 7/2023, chỉ 1/5 số hàng", "vi", "date") == ["date:2023-07"]


def test_names_skip_sentence_initial_words_and_month_names():
    names = keys("The board met in March. Later the board and Okafor spoke.", "en", "name")
    assert names == [f"name:{normalise_name('Okafor')}"]


def test_transliterated_names_match_across_scripts():
    latin = extract_anchors("Alibaba and Cainiao, said Holslag.", "en")
    korean = extract_anchors("알리바바의 카이냐오는 홀슬라그는", "ko")
    matched = {(x.surface, y.surface) for x, y in shared_anchors(latin, korean)}
    assert ("Cainiao", "카이냐오는") in matched
    assert ("Holslag", "홀슬라그는") in matched
    assert normalise_name("Абуталимов") == normalise_name("Abutalimov")


def test_unrelated_words_do_not_match_names():
    name = next(a for a in extract_anchors("met Okafor there", "en") if a.kind == "name")
    for term in extract_anchors("정부는 새로운 법을 도입했다", "ko"):
        assert not names_match(name, term)


def test_shared_anchors_use_each_anchor_once():
    a = extract_anchors("2,500 and 2,500 workers", "en")
    b = extract_anchors("2.500 trabajadores", "es")
    assert len(shared_anchors(a, b)) == 1
