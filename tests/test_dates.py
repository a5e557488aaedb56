"""Dates read from article text: stamps, datelines, calendars, precision and ordering."""
import pytest

from provenance.dates import dates_in_text, days_apart, order, publication_date


def only(text, language=None):
    found = dates_in_text(text, language)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, language, value, role", [
    ("Stand: 03.02.2024, 09:05 Uhr", "de", "2024-02-03T08:05:00Z", "timestamp"),  # CET in winter
    ("Updated: Mar 5 2024 10:30 PM (IST)", "en", "2024-03-05T17:00:00Z", "timestamp"),
    ("Publié le 05/03/2024 à 18h52", "fr", "2024-03-05T18:52:00", "timestamp"),  # fr: zone unknown
    ("2024-11-02 09:12 KST", "en", "2024-11-02T00:12:00Z", "timestamp"),
    ("입력 2024.11.02 10:31", "ko", "2024-11-02T01:31:00Z", "timestamp"),  # Korean time
    ("2024年11月2日 午後3時05分", "ja", "2024-11-02T06:05:00Z", "timestamp"),
    ("Thứ bảy, 2/11/2024, 15:20 (GMT+7)", "vi", "2024-11-02T08:20:00Z", "timestamp"),
    ("Opublikowano: 2 listopada 2024 o godz. 14:10", "pl", "2024-11-02T13:10:00Z", "timestamp"),
])
def test_timestamps_in_several_languages(text, language, value, role):
    evidence = only(text, language)
    assert (evidence.value, evidence.role, evidence.precision) == (value, role, "datetime")
    assert text[evidence.start:evidence.end] == evidence.surface


@pytest.mark.parametrize("text, language, value", [
    ("NAIROBI, Feb 3 (Reuters) - Rain fell.", "en", "--02-03"),
    ("Lima, 3 feb (EFE).- Llovió mucho.", "es", "--02-03"),
    ("Kyiv, 3 лютого (Reuters) - Йшов дощ.", "uk", "--02-03"),
    ("ڈھاکہ، 3 فروری (اے پی) بارش ہوئی۔", "ur", "--02-03"),
    ("पटना, ३ फ़रवरी (भाषा) बारिश हुई।", "hi", "--02-03"),
    ("新华社上海2月3日电 今天下雨。", "zh", "--02-03"),
])
def test_datelines_have_day_precision(text, language, value):
    evidence = only(text, language)
    assert (evidence.value, evidence.precision, evidence.role) == (value, "day", "dateline")


@pytest.mark.parametrize("text, language, value", [
    ("ตำรวจแถลงข่าวเมื่อวันที่ 3 ก.พ. 2567 ว่ามีผู้บาดเจ็บหลายคนในกรุงเทพ เมื่อคืนนี้", "th", "2024-02-03"),  # Buddhist era
    ("وزارت کشور روز ۱۴ بهمن ۱۴۰۲ اعلام کرد که انتخابات در موعد مقرر برگزار می‌شود", "fa", "2024-02-03"),  # Solar Hijri, Persian digits
    ("صدر القرار يوم السبت 22 رجب 1445 هـ عن الوزارة بعد اجتماع طويل مع الخبراء", "ar", "2024-02-03"),  # Hijri (Umm al-Qura)
    ("সরকারি রিপোর্টটি ৩ ফেব্রুয়ারি ২০২৪ প্রকাশ করা হয় এবং তাতে অনেক তথ্য ছিল", "bn", "2024-02-03"),
    ("Il 3 febbraio 2024 la città ha votato il nuovo piano del traffico urbano", "it", "2024-02-03"),
    ("Em 3 de fevereiro de 2024 a cidade votou o novo plano de trânsito urbano", "pt", "2024-02-03"),
])
def test_calendars_and_native_digits(text, language, value):
    evidence = only(text, language)
    assert (evidence.value, evidence.precision, evidence.role) == (value, "date", "mention")


@pytest.mark.parametrize("text, language", [
    ("On 31.02.2024 nothing happened.", "de"),  # no 31 February
    ("Report of 30 Esfand 1403", "en"),  # not a month name in English
    ("It was 07/08/2024 when we met.", "en"),  # English: July 8 or 7 August, not evidence
    ("Dienstag, 4. März 2024", "de"),  # 4 March 2024 was a Monday
])
def test_impossible_or_ambiguous_dates_are_rejected(text, language):
    assert dates_in_text(text, language) == []


def test_english_slash_date_read_month_first_only_when_unambiguous():
    assert only("Posted 07/14/2024", "en").value == "2024-07-14"
    assert only("Posted 14/07/2024", "en").value == "2024-07-14"


def test_publication_date_prefers_the_stamp_over_banner_and_mentions():
    text = (
        "Montag, 10. Juni 2024\n"
        "Flut am Fluss: Pegel steigt\n"
        "Stand: 03.06.2024, 07:30 Uhr\n"
        "Bonn (dpa) - Der Pegel stieg am Montag, wie am 12. August 2022 schon einmal.\n"
    )
    evidence = publication_date(text, "de")
    assert (evidence.value, evidence.role) == ("2024-06-03T05:30:00Z", "timestamp")


def test_published_label_wins_over_updated_label_on_one_line():
    text = "Title\nPublié le 05/03/2024 à 08:15, mis à jour le 06/03/2024 à 10:02\nTexte."
    assert publication_date(text, "fr").value == "2024-03-05T08:15:00"


def test_wire_send_line_at_the_bottom_counts():
    text = "제목\n(서울=연합뉴스) 기자 = 3일 비가 내렸다.\n\n" + "본문입니다.\n" * 12 + "2024/02/03 11:42 송고"
    evidence = publication_date(text, "ko")
    assert (evidence.value, evidence.role) == ("2024-02-03T02:42:00Z", "timestamp")


def test_dateline_takes_its_year_only_from_a_date_that_fits():
    fits = "NAIROBI, Feb 3 (Reuters) - Rain fell early Saturday.\nA 3 February 2024 report said so."
    assert publication_date(fits, "en").value == "2024-02-03"  # 3 Feb 2024 was a Saturday
    wrong_weekday = "NAIROBI, Feb 3 (Reuters) - Rain fell on Tuesday.\nA photo from January 20, 2024."
    assert publication_date(wrong_weekday, "en").value == "--02-03"
    too_far = "NAIROBI, Feb 3 (Reuters) - Rain fell.\nThe last flood was on 12 August 2022."
    assert publication_date(too_far, "en").precision == "day"


def test_running_text_mentions_are_not_the_publication_date():
    assert publication_date("The record dates from 12 October 2018, officials said on Tuesday.", "en") is None


def test_metadata_beats_a_copied_dateline_and_fills_what_text_lacks():
    text = "Shimla, Jul 14 (PTI) A landslide blocked the road."
    evidence = publication_date(text, "en", metadata="2024-07-15T04:00:00Z")
    assert (evidence.value, evidence.role) == ("2024-07-15T04:00:00Z", "metadata")
    assert publication_date("No date here.", "en", metadata="2024-07-15").value == "2024-07-15"


def test_order_and_precision():
    assert order("2024-02-03T09:00:00Z", "2024-02-03T10:00:00Z") == -1
    assert order("2024-02-04", "2024-02-03T23:00:00Z") == 1
    assert order("2024-02-03", "2024-02-03T10:00:00Z") == 0  # same day, one date-only
    assert order("--02-03", "2024-02-04") == 0  # no year: cannot be ordered
    assert order("2024-02-03T11:00:00", "2024-02-03T02:00:00Z") == 0  # local vs UTC, 9 h apart
    assert order("2024-02-03T23:00:00", "2024-02-03T02:00:00Z") == 1  # 21 h apart
    assert order(None, "2024-02-03") is None


def test_days_apart():
    assert days_apart("2024-02-03", "2024-02-05") == 2.0
    assert days_apart("2024-02-03T00:00:00Z", "2024-02-03T12:00:00Z") == 0.5
    assert days_apart("--02-03", "2024-02-05") is None
    assert days_apart(None, "2024-02-05") is None
