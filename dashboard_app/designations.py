"""Minor-planet designations as people type them: parse, normalise, pack and unpack.

The forms accepted (any case where the format is unambiguous, any spacing, ``_`` or ``+`` for a space,
percent-encoded as in a URL):

- unpacked provisional ``2024 YR4`` (also ``2024YR4``, ``2024 yr4``) ↔ packed ``K24Y04R``; cycle counts
  of 620 and more use the MPC's extended packed form (``2026 CA620`` ↔ ``_QC0000``);
- survey designations ``2040 P-L``, ``3138 T-1`` ↔ ``PLS2040``, ``T1S3138``;
- numbers ``99942``, ``(99942)``, ``(99942) Apophis`` and packed numbers ``A0345`` (100345), ``~0000`` (620000).

Packed forms (MPC, "Packed Provisional and Permanent Designations"): the century letter
(I = 18, J = 19, K = 20), two year digits, the half-month letter, the cycle count in two
characters (a letter for tens above 99, upper case then lower case: ``a0`` = 360), the order
letter. The cycle code is case-sensitive (``K07Tf8A`` is 2007 TA418, ``K07TF8A`` 2007 TA158), so
it keeps the case typed; every other letter of a designation is upper case by definition.

The synthetic sky (``dashboard_app.sky.designations``) writes designations with the same
alphabets, imported from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

HALF_MONTH_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXY"
"""Half-month letters: A = Jan 1–15, B = Jan 16–31, … Y = Dec 16–31 (no I)."""
ORDER_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
"""Order letters within a half-month (no I): 25 per cycle."""
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""Digits of the packed cycle count, packed numbers and the extended packed form."""
CENTURY_LETTERS = {18: "I", 19: "J", 20: "K"}
"""Century letter of a packed provisional designation (years 1800–2099)."""
CENTURY_OF_LETTER = {v: k for k, v in CENTURY_LETTERS.items()}
SURVEYS = {"P-L": "PL", "T-1": "T1", "T-2": "T2", "T-3": "T3"}
"""Palomar–Leiden and Trojan survey suffixes → their packed prefixes."""
SURVEY_OF_PREFIX = {v: k for k, v in SURVEYS.items()}
STANDARD_MAX_CYCLE = 619
"""The largest cycle count of the 7-character packed form; larger ones use the extended form."""
EXTENDED_MAX = 62**4 - 1
MAX_NUMBER = 620_000 + 62**4 - 1
"""The largest number a 5-character packed number can hold (15,396,335)."""
MAX_INPUT_CHARS = 64
"""Longer input is no designation (and is not worth parsing)."""

Kind = Literal["provisional", "survey", "number"]


class DesignationError(ValueError):
    """Text that is not a designation in any accepted form; the message says what was expected."""


@dataclass(frozen=True)
class Designation:
    """A parsed designation: its kind, canonical unpacked text and packed form.

    ``text`` is ``"2024 YR4"``, ``"2040 P-L"`` or ``"99942"``; ``packed`` is ``"K24Y04R"``,
    ``"PLS2040"`` or ``"99942"``; ``number`` is set for numbers only.
    """

    kind: Kind
    text: str
    packed: str
    number: int | None = None


# --- provisional designations ------------------------------------------------------------------


def unpacked_provisional(year: int, half_month: int, order: int) -> str:
    """``unpacked_provisional(2024, 23, 17 + 4 * 25) == '2024 YR4'`` (half-month 0..23, order from 0)."""
    cycle, letter = divmod(order, 25)
    return f"{year} {HALF_MONTH_LETTERS[half_month]}{ORDER_LETTERS[letter]}{cycle if cycle else ''}"


def packed_provisional(year: int, half_month: int, order: int) -> str:
    """The packed form of the same designation: 7 characters, or the extended ``_`` form past cycle 619."""
    cycle, letter = divmod(order, 25)
    if cycle <= STANDARD_MAX_CYCLE:
        if year // 100 not in CENTURY_LETTERS:
            raise DesignationError(f"year {year} has no packed form (1800–2099)")
        code = f"{cycle:02d}" if cycle < 100 else f"{BASE62[cycle // 10]}{cycle % 10}"
        head = f"{CENTURY_LETTERS[year // 100]}{year % 100:02d}{HALF_MONTH_LETTERS[half_month]}"
        return f"{head}{code}{ORDER_LETTERS[letter]}"
    value = order - (STANDARD_MAX_CYCLE + 1) * 25
    if not 2000 <= year < 2062 or value > EXTENDED_MAX:
        raise DesignationError(f"{unpacked_provisional(year, half_month, order)} has no packed form")
    return f"_{BASE62[year - 2000]}{HALF_MONTH_LETTERS[half_month]}{_base62(value, 4)}"


def _base62(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, d = divmod(value, 62)
        digits.append(BASE62[d])
    return "".join(reversed(digits))


def _from_base62(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 62 + BASE62.index(ch)
    return value


_UNPACKED = re.compile(r"(\d{4}) ?([A-Z])([A-Z]) ?(\d{0,6})")
_PACKED = re.compile(r"([IJK])(\d\d)([A-Z])([0-9A-Za-z])(\d)([A-Z])")
_EXTENDED = re.compile(r"_([0-9A-Za-z])([A-Z])([0-9A-Za-z]{4})")


def _provisional(year: int, half_letter: str, order_letter: str, cycle: int) -> Designation:
    if half_letter not in HALF_MONTH_LETTERS:
        raise DesignationError(f"{half_letter!r} is no half-month letter (A–Y without I)")
    if order_letter not in ORDER_LETTERS:
        raise DesignationError(f"{order_letter!r} is no order letter (A–Z without I)")
    half, order = HALF_MONTH_LETTERS.index(half_letter), cycle * 25 + ORDER_LETTERS.index(order_letter)
    text = unpacked_provisional(year, half, order)
    return Designation("provisional", text, packed_provisional(year, half, order))


# --- numbers -------------------------------------------------------------------------------------


def packed_number(number: int) -> str:
    """The 5-character packed number: ``00433``, ``G4060`` (164060), ``~0000`` (620000)."""
    if not 1 <= number <= MAX_NUMBER:
        raise DesignationError(f"{number} is outside the numbers that can be packed (1–{MAX_NUMBER})")
    if number < 100_000:
        return f"{number:05d}"
    if number < 620_000:
        return f"{BASE62[number // 10_000]}{number % 10_000:04d}"
    return "~" + _base62(number - 620_000, 4)


def _number(number: int) -> Designation:
    return Designation("number", str(number), packed_number(number), number)


_NUMBER = re.compile(r"\(? ?(\d{1,8}) ?\)?")
_NUMBER_NAMED = re.compile(r"\( ?(\d{1,8}) ?\) ?(.*)")
_NUMBER_NAME = re.compile(r"(\d{1,8}) ([^\W\d_][^\d]*)")
_PACKED_NUMBER = re.compile(r"([A-Za-z])(\d{4})|~([0-9A-Za-z]{4})")

# --- survey designations -------------------------------------------------------------------------

_SURVEY = re.compile(r"(\d{4}) ?(P-L|T-[123])")
_SURVEY_PACKED = re.compile(r"(PL|T[123])S(\d{4})")


# --- parsing -------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Input as a designation is written: URL-decoded, ``_``/``+`` as spaces, single spaces, trimmed."""
    text = unquote(str(text)).replace("_", " ").replace("+", " ")
    return " ".join(text.split())


def parse(text: str) -> Designation:
    """The designation ``text`` names, in any accepted form (see the module docstring).

    Raises :class:`DesignationError` for anything else, including a name without a number.
    """
    plain = unquote(str(text)[: MAX_INPUT_CHARS * 3]).strip()  # generous room for percent-encoding
    if m := _EXTENDED.fullmatch(plain[:2] + plain[2:3].upper() + plain[3:]):  # '_' is part of this form
        value = (STANDARD_MAX_CYCLE + 1) * 25 + _from_base62(m.group(3))
        cycle, letter = divmod(value, 25)
        return _provisional(2000 + BASE62.index(m.group(1)), m.group(2), ORDER_LETTERS[letter], cycle)
    raw = clean(plain)
    if not raw or len(raw) > MAX_INPUT_CHARS:
        raise DesignationError("empty, or too long for a designation")
    upper = raw.upper()
    if m := _NUMBER.fullmatch(raw):
        return _number(int(m.group(1)))
    if m := _NUMBER_NAMED.fullmatch(raw):  # '(99942) Apophis', '(99942) 2004 MN4'
        return _number(int(m.group(1)))
    if m := _PACKED_NUMBER.fullmatch(raw):
        if m.group(3):
            return _number(620_000 + _from_base62(m.group(3)))
        return _number(BASE62.index(m.group(1)) * 10_000 + int(m.group(2)))
    if m := _UNPACKED.fullmatch(upper):
        return _provisional(int(m.group(1)), m.group(2), m.group(3), int(m.group(4) or 0))
    if m := _SURVEY.fullmatch(upper):
        return Designation("survey", f"{m.group(1)} {m.group(2)}", f"{SURVEYS[m.group(2)]}S{m.group(1)}")
    if m := _SURVEY_PACKED.fullmatch(upper):
        return Designation("survey", f"{m.group(2)} {SURVEY_OF_PREFIX[m.group(1)]}", f"{m.group(1)}S{m.group(2)}")
    # Packed: every letter upper case except the cycle code's (columns 5-6), whose case is meaningful.
    cased = raw[0].upper() + raw[1:3] + raw[3].upper() + raw[4:6] + raw[6].upper() if len(raw) == 7 else ""
    if m := _PACKED.fullmatch(cased):
        year = CENTURY_OF_LETTER[m.group(1)] * 100 + int(m.group(2))
        cycle = BASE62.index(m.group(4)) * 10 + int(m.group(5))
        return _provisional(year, m.group(3), m.group(6), cycle)
    if m := _NUMBER_NAME.fullmatch(raw):  # '433 Eros', after every provisional form
        return _number(int(m.group(1)))
    raise DesignationError(
        f"{raw!r} is not a designation: expected e.g. '2024 YR4', 'K24Y04R', '99942', '(99942)' or '2040 P-L'"
    )


SEARCH_IGNORED = r"[\s()_+]"
"""Characters a search key leaves out (spacing, brackets, the URL's stand-ins for a space)."""


def search_key(text: str) -> str:
    """The text a suggestion index compares: no spaces, brackets, ``_``/``+`` or case (``2024yr`` → ``2024YR``)."""
    return re.sub(SEARCH_IGNORED, "", unquote(str(text))).upper()


def url_slug(designation: str) -> str:
    """The path segment of an object page: spaces as ``_`` (``2024 YR4`` → ``2024_YR4``, ``99942`` unchanged)."""
    return designation.replace(" ", "_")
