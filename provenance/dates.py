"""Publication dates read from the article text, with their precision.

Metadata dates are missing for most plain-text articles, and a date-only value is not a
moment. Lineage needs dates as *evidence* of which version came first, so this module
reads what the page itself shows and says how precise it is:

- a page's own stamp line ("Stand: 26.08.2025, 11:42 Uhr", "Updated: Jul 14 2025 11:40 AM
  (IST)", "입력 2025.04.17 14:28", "2025/04/17 11:42 송고") is a ``timestamp``;
- a wire dateline ("LAGOS, May 2 (Reuters) -", "Seúl, 3 mar (EFE).", "新华社北京5月2日电")
  is a ``dateline``, often without a year (precision ``day``);
- any other date is a ``mention`` (running text: "on 12 August 2022"), never the
  publication date.

Month and weekday names come from CLDR via babel; other calendars (Buddhist era in Thai,
Solar Hijri in Persian, Hijri marked "هـ" or named by its months) are converted to the
Gregorian calendar. Native digits (Devanagari, Bengali, Arabic-Indic, Persian, Thai,
full-width) are read as digits. Everything is a handful of compiled regular expressions
per language, so a 3 KB article takes well under a millisecond.

A time without a zone is read in the zone of its language when that language is written
for one zone only (ko, ja, de, pl, ... listed in data/dates/dates.toml); otherwise it stays
local. Values are ISO 8601: "2025-08-26T09:42:00Z" (time and zone known, in UTC),
"2025-08-26T11:42:00" (local time, zone unknown), "2025-08-26" (date), "--08-26" (day and
month without a year).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names, get_month_names

__all__ = ["DateEvidence", "dates_in_text", "publication_date", "order", "days_apart"]

# The languages whose names are loaded when the language of a text is unknown.
SUPPORTED_LANGUAGES = (
    "en", "de", "fr", "es", "pt", "it", "nl", "pl", "uk", "ru", "tr", "id", "ms", "vi",
    "ko", "ja", "zh", "ar", "fa", "ur", "hi", "bn", "ne", "th",
)


@dataclass(frozen=True)
class DateEvidence:
    value: str  # ISO 8601, see the module docstring
    precision: str  # "datetime" | "date" | "day" ("day" = day and month, no year)
    surface: str  # the text as written
    start: int  # offsets into the text given (0, 0 for role "metadata")
    end: int
    # "timestamp" (the page's own published/updated line), "dateline", "mention"
    # (a date in running text); publication_date may also return "metadata" (the
    # metadata value it was given, when the text has nothing better).
    role: str


# --- data ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _data() -> dict:
    raw = resources.files("provenance").joinpath("data/dates/dates.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


def _arabic_script_variants(name: str) -> set[str]:
    """Persian and Arabic spell yeh and kaf differently; pages mix both."""
    variants = {name}
    for a, b in (("ی", "ي"), ("ک", "ك")):
        variants |= {v.replace(a, b) for v in variants} | {v.replace(b, a) for v in variants}
    return variants


def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _base_language(language: str | None) -> str | None:
    return language.replace("_", "-").split("-")[0].lower() if language else None


@dataclass(frozen=True)
class _Names:
    months: dict[str, tuple[int, str]]  # lower-case name -> (month, calendar)
    weekdays: dict[str, int]  # lower-case name -> ISO weekday 1..7


@lru_cache(maxsize=64)
def _names(language: str | None) -> _Names:
    """Month and weekday names of a language (all supported ones when unknown) and English."""
    base = _base_language(language)
    languages = sorted({"en", base} if base else set(SUPPORTED_LANGUAGES))
    months: dict[str, tuple[int, str]] = {}
    weekdays: dict[str, int] = {}
    data = _data()

    def add_month(name: str, number: int, calendar: str) -> None:
        name = name.lower().strip()
        if not name or any(ch.isdigit() for ch in name):
            return  # "7월", "thg 7": numeric month forms have patterns of their own
        for variant in _arabic_script_variants(name):
            months.setdefault(variant, (number, calendar))
            months.setdefault(variant.rstrip(".").rstrip("॰"), (number, calendar))

    for lang in languages:
        locale = _locale(lang)
        if locale is None:
            continue
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    add_month(name, number, "gregorian")
                for number, name in get_day_names(width, context, locale).items():
                    if len(name.rstrip(".")) >= 2:  # one-letter narrow forms would match anything
                        weekdays.setdefault(name.lower().rstrip("."), number + 1)
        for name, number in data["extra_months"].get(lang, {}).items():
            add_month(name, number, "gregorian")
    if base in (None, "fa", "ps", "ur"):
        for name, number in data["solar_hijri_months"].items():
            add_month(name, number, "solar_hijri")
    if base in (None, "ar", "fa", "ur"):
        for name, number in data["hijri_months"].items():
            add_month(name, number, "hijri")
    return _Names(months, weekdays)


def _alternation(names) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


# --- patterns --------------------------------------------------------------------------

_D = r"(?P<d>\d{1,2})"
_Y = r"(?P<y>\d{4})"
# A date never sits inside a longer number or word.
_NOT_BEFORE = r"(?<![\w.,/:-])"
_NOT_AFTER = r"(?![\w]|[.,/-]\d)"
# Markers of non-Gregorian eras, read after the year: Hijri (هـ), Solar Hijri (ش / ه.ش),
# Buddhist (written before the year in Thai: พ.ศ.).
_ERA_AFTER = r"(?:\s*(?P<era>هـ|ه\.ق|ه\.ش|ش\b|ق\b|م\b|AH\b|CE\b|AD\b))?"


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    month_order: str  # "numeric" | "named" | "y-first"


@lru_cache(maxsize=64)
def _patterns(language: str | None) -> tuple[_Pattern, ...]:
    names = _names(language)
    months = _alternation(names.months)
    month = rf"(?P<m>{months})\.?"
    flags = re.IGNORECASE
    raw = [
        # 2025-04-17, 2025/04/17, 2025.4.17. (ISO, Korean, Chinese, Japanese numeric forms)
        (rf"{_NOT_BEFORE}{_Y}(?P<sep>[-/.])(?P<mm>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})\.?(?![\d]|[.,]\d){_ERA_AFTER}",
         "y-first"),
        # 26.08.2025, 07/08/2025, 07-08-2025
        (rf"{_NOT_BEFORE}{_D}(?P<sep>[-/.])(?P<mm>\d{{1,2}})(?P=sep){_Y}(?![\d]|[.,]\d){_ERA_AFTER}",
         "numeric"),
        # 2025年4月17日, 4月17日, 2025년 4월 17일 (day precision when the year is left out)
        (rf"(?<!\d)(?=\d)(?:{_Y}\s*[年년]\s*)?(?P<mm>\d{{1,2}})\s*[月월]\s*(?P<d>\d{{1,2}})\s*[日号일]", "numeric"),
        # ngày 17 tháng 4 năm 2025, 17 tháng 4
        (rf"(?<!\w)(?=ngày|\d)(?:ngày\s+)?{_D}\s+tháng\s+(?P<mm>\d{{1,2}})(?:,?\s+năm\s+{_Y})?(?!\d)", "numeric"),
        # 3 de marzo de 2025, 26. August 2025, jeudi 7 août 2025, 17 เม.ย. 2568, ۱۷ مرداد ۱۴۰۴
        (rf"(?<![\w.]){_D}(?:\.|er|st|nd|rd|th)?\s*(?:de\s+|of\s+|tháng\s+)?{month}"
         rf"(?![^\W\d_])(?:,?\s*(?:de\s+|del\s+|năm\s+)?(?:(?P<be>พ\.ศ\.|ค\.ศ\.)\s*)?{_Y}(?!\d){_ERA_AFTER})?",
         "named"),
        # Jul 14 2025, April 17, 2025, Apr. 17, 2025, Aug 26: any word before a day number,
        # looked up among the month names afterwards (an alternation of a hundred names
        # tried at every position would be the slowest part of the scan)
        (rf"(?<![\w.])(?P<m>[^\W\d_][^\s\d]*+)[^\S\n]*{_D}(?:st|nd|rd|th)?(?![\d:.]\d|\d)"
         rf"(?:,?\s+{_Y}(?!\d))?", "named"),
    ]
    if _base_language(language) in ("vi", "id", "ms", None):
        # "rạng sáng 17/4": Vietnamese writes day/month without a year in running text.
        raw.append((rf"{_NOT_BEFORE}{_D}/(?P<mm>\d{{1,2}})(?![\d/]|[.,]\d)", "numeric"))
    return tuple(_Pattern(re.compile(p, flags), order) for p, order in raw)


@lru_cache(maxsize=64)
def _weekday_before_regex(language: str | None) -> re.Pattern[str]:
    """A weekday name just before a date ("jeudi 7 août", "Thứ năm, 17/4/2025")."""
    weekdays = _alternation(_names(language).weekdays)
    return re.compile(rf"(?<![\w])(?P<wd>{weekdays})\.?,?\s+\Z", re.IGNORECASE)


_AMPM_BEFORE = r"(?P<pre>오전|오후|午前|午後|上午|下午)"
_TIME = (
    rf"(?:{_AMPM_BEFORE}\s*)?"
    r"(?:(?P<h>\d{1,2})(?::|h|H|\.(?=\d\d\s*(?:Uhr|[ap]\.?\s?m)))(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?:[.,]\d+)?"
    r"|(?P<h2>\d{1,2})\s*[시時点點](?:\s*(?P<mi2>\d{1,2})\s*[분分])?)"
    r"(?!\d)(?:\s*(?:Uhr|hrs|horas|heures|น\.))?"
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\.?(?!\w)|ص(?!\w)|م(?!\w)|sáng|chiều|tối|pagi|siang|sore|malam))?"
)
# What may stand between a date and its time: punctuation and short prepositions
# ("à 18h52", "at 8:02 pm", "um", "a las", "o godz.", "lúc", "pukul", "saat", "в").
_TIME_GAP = (
    r"(?:T|[\s,|·•\-–—/]{1,6}(?:(?:à|at|um|o|a las|a la|às|alle|ore|om|saat|lúc|pukul|jam|kl\.|в|о|the)\s+)?"
    r"(?:godz\.\s*)?)"
)
_TIME_AFTER_RE = re.compile(_TIME_GAP + _TIME, re.IGNORECASE)
_TIME_BEFORE_RE = re.compile(_TIME + r"[\s,|·•\-–—]{1,4}$", re.IGNORECASE)
_OFFSET_RE = re.compile(
    r"\s*\(?\s*(?:(?:GMT|UTC)\s*)?(?P<sign>[+-−])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?\s*\)?"
    r"|Z(?![\w])"
)


@lru_cache(maxsize=1)
def _zone_regexes() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = _data()
    abbreviations = re.compile(
        rf"\s*\(?\s*(?P<zone>{_alternation(data['zones'])})(?![\w])(?:\s*(?P<sign>[+-])\s*(?P<oh>\d{{1,2}})(?::?(?P<om>\d{{2}}))?)?\s*\)?"
    )
    named = re.compile(rf"\s*\(?\s*(?P<zone>{_alternation(data['named_zones'])})(?![\w])\s*\)?", re.IGNORECASE)
    offset = re.compile(
        r"\s*\(?\s*(?:(?:GMT|UTC)\s*)(?P<sign>[+\-−])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?\s*\)?"
        r"|\s?(?P<sign2>[+\-−])(?P<oh2>\d{2}):?(?P<om2>\d{2})(?![\d])"
        r"|Z(?![\w])"
    )
    return abbreviations, named, offset


@lru_cache(maxsize=1)
def _label_regex() -> re.Pattern[str]:
    labels = _data()["labels"]
    published = _alternation(labels["published"])
    updated = _alternation(labels["updated"])
    return re.compile(rf"(?<!\w)(?:(?P<updated>{updated})|(?P<published>{published}))(?!\w)", re.IGNORECASE)


_DATELINE_PLACE_RE = re.compile(r"^\s*[^\W\d_][^\n\d()\[\].!?;:\"«»“”]{0,60}?\s*[,،]\s*$")
_DATELINE_AFTER_RE = re.compile(r"^\s*(?:\(|（|\[|-|–|—|:|/|\.(?=\s))")
_CJK_DATELINE_AFTER_RE = re.compile(r"^\s*[电電]")
_WORD_RE = re.compile(r"[^\W\d_]+")


# --- calendars -------------------------------------------------------------------------


def _jalali_to_gregorian(jy: int, jm: int, jd: int) -> date:
    """Solar Hijri to Gregorian (the 2820-year arithmetic of jalaali, exact for 1178–1633 SH)."""
    if not (1 <= jm <= 12 and 1 <= jd <= (31 if jm <= 6 else 30)):
        raise ValueError("no such Solar Hijri date")
    jy += 1595
    days = -355668 + 365 * jy + (jy // 33) * 8 + ((jy % 33) + 3) // 4 + jd
    days += (jm - 1) * 31 if jm < 7 else (jm - 7) * 30 + 186
    return _from_jalali_days(days)


def _from_jalali_days(days: int) -> date:
    gy = 400 * (days // 146097)
    days %= 146097
    if days > 36524:
        days -= 1
        gy += 100 * (days // 36524)
        days %= 36524
        if days >= 365:
            days += 1
    gy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        gy += (days - 1) // 365
        days = (days - 1) % 365
    return date(gy, 1, 1) + timedelta(days=days)


def _hijri_to_gregorian(hy: int, hm: int, hd: int) -> date:
    from hijridate import Hijri  # Umm al-Qura tables; imported only for Hijri dates

    try:
        return Hijri(hy, hm, hd).to_gregorian()
    except (OverflowError, ValueError) as exc:
        raise ValueError(str(exc)) from exc


def _to_gregorian(year: int, month: int, day: int, calendar: str) -> date:
    if calendar == "solar_hijri":
        return _jalali_to_gregorian(year, month, day)
    if calendar == "hijri":
        return _hijri_to_gregorian(year, month, day)
    if calendar == "buddhist":
        year -= 543
    return date(year, month, day)


def _calendar(base: str | None, year: int | None, month_calendar: str, era: str | None, be: str | None) -> str:
    if month_calendar != "gregorian":
        return month_calendar
    if era in ("هـ", "ه.ق", "ق", "AH"):
        return "hijri"
    if era in ("ه.ش", "ش"):
        return "solar_hijri"
    if year is None:
        return "gregorian"
    if be == "พ.ศ." or (base in ("th", "lo", "km", "my", None) and 2400 <= year <= 2700):
        return "buddhist"
    if base in ("fa", "ps") and 1300 <= year <= 1500:
        return "solar_hijri"  # numeric Persian dates ("۱۴۰۴/۰۵/۲۶") are Solar Hijri
    return "gregorian"


# --- reading one date ------------------------------------------------------------------


@dataclass
class _Found:
    start: int
    end: int
    year: int | None
    month: int
    day: int
    weekday: int | None
    hour: int | None = None
    minute: int | None = None
    second: int = 0
    tz: timezone | ZoneInfo | None = None


def _read_time(match: re.Match[str]) -> tuple[int, int, int] | None:
    g = match.groupdict()
    hour = int(g["h"] if g["h"] is not None else g["h2"])
    minute = int(g["mi"] or g["mi2"] or 0)
    second = int(g["s"] or 0)
    marker = (g["ampm"] or "").lower().replace(".", "").replace(" ", "")
    pm = g["pre"] in ("오후", "午後", "下午") or marker in ("pm", "م", "chiều", "tối", "sore", "malam")
    am = g["pre"] in ("오전", "午前", "上午") or marker in ("am", "ص", "sáng", "pagi")
    if pm or am:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if pm else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        return None
    return hour, minute, second


def _read_zone(text: str, pos: int) -> tuple[timezone | ZoneInfo | None, int]:
    abbreviations, named, offset = _zone_regexes()
    m = abbreviations.match(text, pos)
    if m:
        hours = _data()["zones"][m["zone"]]
        if m["sign"]:  # "GMT+7", "UTC+05:30"
            extra = int(m["oh"]) + int(m["om"] or 0) / 60
            hours += extra if m["sign"] == "+" else -extra
        if -14 <= hours <= 14:
            return timezone(timedelta(hours=hours)), m.end()
    m = offset.match(text, pos)
    if m:
        if m.group(0) == "Z":
            return timezone.utc, m.end()
        sign, oh, om = (m["sign"], m["oh"], m["om"]) if m["sign"] else (m["sign2"], m["oh2"], m["om2"])
        hours = int(oh) + int(om or 0) / 60
        if hours <= 14:
            return timezone(timedelta(hours=hours if sign == "+" else -hours)), m.end()
    m = named.match(text, pos)
    if m:
        try:
            return ZoneInfo(_data()["named_zones"][m["zone"].lower()]), m.end()
        except (ZoneInfoNotFoundError, KeyError):
            return None, pos
    return None, pos


def _read_date(match: re.Match[str], pattern: _Pattern, names: _Names, language: str | None) -> _Found | None:
    base = _base_language(language)
    g = match.groupdict()
    year = int(g["y"]) if g.get("y") else None
    day = int(g["d"])
    month_calendar = "gregorian"
    if g.get("m"):
        name = g["m"].lower()
        number, month_calendar = names.months.get(name) or names.months.get(name.rstrip(".")) or (0, "")
        if not number:
            return None
        month = number
    else:
        month = int(g["mm"])
        if pattern.month_order == "numeric" and g.get("sep") in ("/", "-") and base == "en":
            # English: day first unless the first number cannot be a day of the
            # month order; en-US text ("07/14/2025") is read month first only when
            # the reading is unambiguous.
            if month > 12 and day <= 12:
                day, month = month, day
            elif day <= 12 and month <= 12 and day != month:
                return None  # 07/08/2025 in English: July 8 or 7 August? Not evidence.
    start = match.start()
    weekday = None
    before = _weekday_before_regex(language).search(match.string, max(0, start - 24), start)
    if before:
        weekday = names.weekdays.get(before["wd"].lower().rstrip("."))
        start = before.start()
    calendar = _calendar(base, year, month_calendar, g.get("era"), g.get("be"))
    try:
        if year is None:
            date(2024, month, day)  # a leap year: "--02-29" is a possible day
            return _Found(start, match.end(), None, month, day, weekday)
        gregorian = _to_gregorian(year, month, day, calendar)
    except ValueError:
        return None
    if not 1900 <= gregorian.year <= 2100:
        return None
    if weekday is not None and gregorian.isoweekday() != weekday:
        return None  # "Tuesday, 27 August 2025" is not a real day: a typo or not a date
    return _Found(start, match.end(), gregorian.year, gregorian.month, gregorian.day, weekday)


def _attach_time(text: str, found: _Found, line_start: int) -> None:
    m = _TIME_AFTER_RE.match(text, found.end)
    if m is None:
        # "11:42, 26.08.2025": a time written before the date, on the same line
        before = text[max(line_start, found.start - 24):found.start]
        mb = _TIME_BEFORE_RE.search(before)
        if mb:
            read = _read_time(mb)
            if read:
                found.hour, found.minute, found.second = read
                found.start = found.start - len(before) + mb.start()
                tz, _ = _read_zone(text, found.end)
                found.tz = tz
        return
    read = _read_time(m)
    if read is None:
        return
    found.hour, found.minute, found.second = read
    found.end = m.end()
    tz, end = _read_zone(text, found.end)
    if tz is not None:
        found.tz, found.end = tz, end


@lru_cache(maxsize=64)
def _language_zone(base: str | None) -> ZoneInfo | None:
    name = _data()["language_zones"].get(base or "")
    try:
        return ZoneInfo(name) if name else None
    except ZoneInfoNotFoundError:
        return None


def _value(found: _Found) -> tuple[str, str]:
    if found.year is None:
        return f"--{found.month:02d}-{found.day:02d}", "day"
    if found.hour is None:
        return f"{found.year:04d}-{found.month:02d}-{found.day:02d}", "date"
    local = datetime(found.year, found.month, found.day, found.hour, found.minute, found.second)
    if found.tz is None:
        return local.isoformat(), "datetime"
    utc = local.replace(tzinfo=found.tz).astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "datetime"


# --- roles -----------------------------------------------------------------------------


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end == -1 else line_end


def _label_before(text: str, segment_start: int, start: int, end: int, line_end: int) -> str | None:
    """"published"/"updated" when a stamp label stands just before the date (or, for send
    lines like "2025/04/17 11:42 송고", just after it)."""
    window = text[max(segment_start, start - 40):start]
    last = None
    for m in _label_regex().finditer(window):
        last = m
    if last is not None and len(window) - last.end() <= 12:
        return "updated" if last["updated"] else "published"
    after = text[end:min(line_end, end + 12)]
    m = _label_regex().match(after.strip())
    if m and len(after.strip()) - m.end() <= 2:
        return "updated" if m["updated"] else "published"
    return None


def _role(text: str, found: _Found, surface_len: int, segment_start: int) -> tuple[str, str | None]:
    line_start, line_end = _line_bounds(text, found.start, found.end)
    label = _label_before(text, segment_start, found.start, found.end, line_end)
    if label:
        return "timestamp", label
    before = text[line_start:found.start]
    after = text[found.end:line_end]
    if _DATELINE_PLACE_RE.match(before) and _DATELINE_AFTER_RE.match(after):
        return "dateline", None
    if _CJK_DATELINE_AFTER_RE.match(after) and len(before.strip()) <= 16:
        return "dateline", None  # 新华社北京5月2日电
    # A line that is little more than the date ("AFP | jeudi 7 août 2025 - 18:52", a
    # banner "Thursday, April 24, 2025") is a stamp of the page, not running text.
    rest = len(_WORD_RE.findall(before + " " + after))
    if found.year is not None and rest <= 4 and len(before) + len(after) <= 40:
        return "timestamp", None
    return "mention", None


# --- public API ------------------------------------------------------------------------


def dates_in_text(text: str, language: str | None = None) -> list[DateEvidence]:
    """Every full or day-and-month date in ``text``, in order, with its role."""
    return [evidence for evidence, _, _ in _scan(text, language)]


def _scan(text: str, language: str | None) -> list[tuple[DateEvidence, _Found, str | None]]:
    base = _base_language(language)
    names = _names(language)
    candidates: list[tuple[int, int, _Found]] = []
    for pattern in _patterns(language):
        for m in pattern.regex.finditer(text):
            found = _read_date(m, pattern, names, language)
            if found is not None:
                candidates.append((found.start, -(found.end - found.start), found))
    candidates.sort(key=lambda c: (c[0], c[1]))
    results: list[tuple[DateEvidence, _Found, str | None]] = []
    taken_until = 0
    segment_start = 0
    for _, _, found in candidates:
        if found.start < taken_until:
            continue  # overlaps a longer or earlier reading
        line_start, _ = _line_bounds(text, found.start, found.end)
        if found.year is not None:
            _attach_time(text, found, max(line_start, taken_until))
            if found.hour is not None and found.tz is None:
                found.tz = _language_zone(base)  # "입력 2025.04.17 14:28" is Korean time
        if found.start < taken_until:
            found.start = taken_until
        if text[found.end - 1] == "." and found.end - found.start > 1:
            found.end -= 1  # a full stop after "3 March." ends the sentence, not the date
        taken_until = found.end
        role, label = _role(text, found, found.end - found.start, max(segment_start, line_start))
        segment_start = found.end
        value, precision = _value(found)
        results.append((DateEvidence(value, precision, text[found.start:found.end], found.start, found.end, role), found, label))
    return results


def _head_end(text: str, paragraphs: list[tuple[int, int]] | None) -> int:
    """Where the top of the page ends: stamps and datelines stand before it."""
    if paragraphs:
        index = min(len(paragraphs), 6) - 1
        return max(paragraphs[index][1], min(len(text), 600))
    lines = 0
    for m in re.finditer(r"\n\s*", text):
        lines += 1
        if lines >= 10:
            return max(m.end(), min(len(text), 600))
    return len(text)


def _tail_start(text: str, paragraphs: list[tuple[int, int]] | None) -> int:
    if paragraphs:
        return paragraphs[max(0, len(paragraphs) - 3)][0]
    cut = len(text)
    for _ in range(4):
        cut = text.rfind("\n", 0, cut - 1 if cut else 0)
        if cut <= 0:
            return 0
    return cut


def _score(evidence: DateEvidence, label: str | None) -> float:
    if evidence.role == "timestamp":
        if label:
            return (6.0 if label == "published" else 5.0) + (evidence.precision == "datetime")
        # An unlabelled line with only a date is often the site's today-banner: below a
        # dateline, whose year it may still supply.
        return 4.5 if evidence.precision == "datetime" else 2.5
    if evidence.role == "dateline":
        return 4.5 if evidence.precision != "day" else 3.0
    return 0.0


def publication_date(
    text: str,
    language: str | None = None,
    *,
    metadata: str | None = None,
    paragraphs: list[tuple[int, int]] | None = None,
) -> DateEvidence | None:
    """The best evidence of when this page was published, or None.

    A stamp line near the top (labelled "Published", "Stand", "입력"... or a short line that
    is little more than a date and time) or a labelled send line at the bottom wins, then the
    dateline. A dateline without a year takes one from another full date of the text (or
    ``metadata``) that lies within 45 days and agrees with a weekday named in the dateline's
    paragraph. Mentions in running text never count. ``metadata`` (an ISO date from JSON or
    HTML meta) is returned, with role "metadata", when the text has nothing with a year, or
    when it is the same moment told more exactly (a zone where the text has none).
    ``paragraphs`` are (start, end) spans of the text's paragraphs; they tell where the top
    and the bottom of the page are.
    """
    scanned = _scan(text, language)
    head_end, tail_start = _head_end(text, paragraphs), _tail_start(text, paragraphs)
    best: tuple[float, DateEvidence, _Found] | None = None
    for evidence, found, label in scanned:
        in_head = evidence.start < head_end
        in_tail = evidence.start >= tail_start and label is not None
        if evidence.role == "mention" or not (in_head or in_tail):
            continue
        if evidence.role == "dateline" and not in_head:
            continue
        score = _score(evidence, label)
        if in_tail and not in_head:
            score -= 0.5  # a send line is good, a stamp at the top is better
        if best is None or score > best[0]:
            best = (score, evidence, found)
    chosen = best[1] if best else None
    if chosen is not None and chosen.precision == "day":
        chosen = _with_year(text, chosen, best[2], scanned, metadata, paragraphs, language) or chosen
    return _prefer_metadata(chosen, metadata)


def _with_year(text, evidence, found, scanned, metadata, paragraphs, language) -> DateEvidence | None:
    """A day-precision dateline completed with the year of a nearby full date."""
    candidates: list[int] = []
    meta = _parse(metadata) if metadata else None
    if meta is not None and meta[1] != "day":
        candidates.append(meta[0].year)
    for other, _, _ in scanned:
        if other.precision != "day" and other is not evidence:
            candidates.append(int(other.value[:4]))
    weekdays = _weekdays_near(text, evidence, paragraphs, language)
    others = [_parse(o.value)[0].date() for o, _, _ in scanned if o.precision != "day"]
    if meta is not None and meta[1] != "day":
        others.insert(0, meta[0].date())
    for year in dict.fromkeys(candidates):
        try:
            day = date(year, found.month, found.day)
        except ValueError:
            continue
        if not any(abs((day - other).days) <= 45 for other in others if other.year == year or abs(other.year - year) <= 1):
            continue
        if weekdays and day.isoweekday() not in weekdays:
            continue
        return DateEvidence(day.isoformat(), "date", evidence.surface, evidence.start, evidence.end, evidence.role)
    return None


def _weekdays_near(text: str, evidence: DateEvidence, paragraphs, language: str | None) -> set[int]:
    """Weekdays named in the dateline's paragraph ("early Thursday", "am Dienstagmorgen")."""
    end = text.find("\n", evidence.end)
    if paragraphs:
        end = next((e for s, e in paragraphs if s <= evidence.start < e), end)
    names = _names(language)
    return {
        names.weekdays[m["wd"].lower()]
        for m in _weekday_regex(language).finditer(text, evidence.end, len(text) if end == -1 else end)
    }


@lru_cache(maxsize=64)
def _weekday_regex(language: str | None) -> re.Pattern[str]:
    # Full names only (abbreviations like "Mar"/"Sun" are ordinary words too); a name may
    # begin a compound ("Dienstagmorgen").
    full = [n for n in _names(language).weekdays if len(n) >= 5]
    return re.compile(rf"(?<!\w)(?P<wd>{_alternation(full)})", re.IGNORECASE)


def _prefer_metadata(chosen: DateEvidence | None, metadata: str | None) -> DateEvidence | None:
    parsed = _parse(metadata) if metadata else None
    if parsed is None:
        return chosen
    meta_moment, meta_precision, meta_aware = parsed
    meta_value = _format(meta_moment, meta_precision, meta_aware)
    as_metadata = DateEvidence(meta_value, meta_precision, metadata or "", 0, 0, "metadata")
    if chosen is None or chosen.precision == "day" or chosen.role == "dateline":
        # A dateline travels with the wire text into every copy; the page's metadata is
        # its own claim, so it is the better evidence of when *this* page appeared.
        return as_metadata
    if meta_precision == "datetime" and meta_aware and order(chosen.value, meta_value) == 0:
        text_parsed = _parse(chosen.value)
        if text_parsed and not (text_parsed[1] == "datetime" and text_parsed[2]):
            return as_metadata  # same moment, told with its zone
    return chosen


# --- comparing values ------------------------------------------------------------------

_DAY_RE = re.compile(r"--(\d\d)-(\d\d)")


def _parse(value: str | None) -> tuple[datetime, str, bool] | None:
    """(moment, precision, zone known) of an ISO value; day-precision values use year 2000."""
    if not value:
        return None
    value = value.strip()
    m = _DAY_RE.fullmatch(value)
    if m:
        return datetime(2000, int(m[1]), int(m[2])), "day", False
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            return datetime.fromisoformat(value), "date", False
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None), "datetime", True
    return moment, "datetime", False


def _format(moment: datetime, precision: str, aware: bool) -> str:
    if precision == "date":
        return moment.date().isoformat()
    if precision == "day":
        return f"--{moment.month:02d}-{moment.day:02d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if aware else moment.isoformat()


# A local time whose zone is unknown may be this far from UTC.
_MAX_ZONE_HOURS = 14


def order(a: str | None, b: str | None) -> int | None:
    """-1 if ``a`` is earlier than ``b``, 1 if later, 0 if they cannot be told apart.

    None when either is missing or unreadable. Day-precision values ("--08-26") cannot be
    ordered. A date-only value is the whole day: it orders only against another day. A
    local time with no zone orders against a time of the other kind only when they are
    more than 14 hours apart (no zone is further from UTC); two local times likewise, since
    their zones may differ.
    """
    pa, pb = _parse(a), _parse(b)
    if pa is None or pb is None:
        return None
    (ma, prec_a, aware_a), (mb, prec_b, aware_b) = pa, pb
    if "day" in (prec_a, prec_b):
        return 0
    if "date" in (prec_a, prec_b):
        da, db = ma.date(), mb.date()
        return 0 if da == db else (-1 if da < db else 1)
    if aware_a and aware_b:
        return 0 if ma == mb else (-1 if ma < mb else 1)
    if abs((ma - mb).total_seconds()) <= _MAX_ZONE_HOURS * 3600:
        return 0  # at least one zone is unknown: either could be first
    return -1 if ma < mb else 1


def days_apart(a: str | None, b: str | None) -> float | None:
    """Absolute distance in days between two values; None when either is missing or has no
    year. A date-only value counts as its midday (the middle of what it may mean)."""
    pa, pb = _parse(a), _parse(b)
    if pa is None or pb is None or "day" in (pa[1], pb[1]):
        return None
    ma = pa[0] + timedelta(hours=12) if pa[1] == "date" else pa[0]
    mb = pb[0] + timedelta(hours=12) if pb[1] == "date" else pb[0]
    return abs((ma - mb).total_seconds()) / 86400
