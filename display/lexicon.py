"""The voice vocabulary: every clip a call announcement can use, per language.

One table serves two readers: ``assets/voice/render.py`` renders each entry
offline with espeak-ng into ``assets/voice/<lang>/<clip>.wav``, and
``display.voice`` composes announcements from the clip names. So a clip
the composer asks for always has a rendering recipe, and the tests check
that every recipe has its file. Pure data, no I/O.

Mandarin is written in pinyin with tone digits for the ``cmn-latn-pinyin``
voice (the plain ``cmn`` voice reads tone digits as English numbers).
Cantonese uses the ``yue`` voice with Chinese characters.

| language | espeak-ng voice | announcement |
|---|---|---|
| ``zh`` Mandarin | ``cmn-latn-pinyin`` | 请 A023 号到 3 号窗口 |
| ``yue`` Cantonese | ``yue`` | 請 A023 號到 3 號窗口 |
| ``en`` English | ``en-us`` | Ticket A023, counter 3 |
| ``es`` Spanish | ``es`` | Número A023, ventanilla 3 |

Clip names: ``word-<w>``, ``digit-<d>``, ``num-<n>`` (whole numbers a
language says as one word), ``letter-<x>`` (lower case).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

SAMPLE_RATE = 16_000  # Hz, mono, signed 16-bit: clear speech, small files
CHIME = "chime"


@dataclass(frozen=True, slots=True)
class Language:
    """How one language is rendered: its espeak-ng voice and clip texts."""

    code: str
    voice: str
    speed: int  # espeak-ng words per minute
    clips: Mapping[str, str]  # clip name -> text given to espeak-ng


def _letters(spoken: Mapping[str, str] | None = None) -> dict[str, str]:
    spoken = spoken or {}
    return {f"letter-{c.lower()}": spoken.get(c, c) for c in string.ascii_uppercase}


def _digits(words: list[str]) -> dict[str, str]:
    return {f"digit-{i}": w for i, w in enumerate(words)}


_ZH_DIGITS = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]
_YUE_DIGITS = list("零一二三四五六七八九")
_EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_ES_DIGITS = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]

_EN_NUMS = {
    10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen",
    16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty",
    30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty",
    90: "ninety",
}  # fmt: skip
_ES_NUMS = {
    10: "diez", 11: "once", 12: "doce", 13: "trece", 14: "catorce", 15: "quince",
    16: "dieciséis", 17: "diecisiete", 18: "dieciocho", 19: "diecinueve", 20: "veinte",
    21: "veintiuno", 22: "veintidós", 23: "veintitrés", 24: "veinticuatro",
    25: "veinticinco", 26: "veintiséis", 27: "veintisiete", 28: "veintiocho",
    29: "veintinueve", 30: "treinta", 40: "cuarenta", 50: "cincuenta", 60: "sesenta",
    70: "setenta", 80: "ochenta", 90: "noventa",
}  # fmt: skip

LANGUAGES: Mapping[str, Language] = {
    "zh": Language(
        "zh",
        "cmn-latn-pinyin",
        150,
        {
            "word-qing": "qing3",
            "word-hao": "hao4",
            "word-dao": "dao4",
            "word-chuangkou": "chuang1 kou3",
            "word-shi": "shi2",
            **_digits(_ZH_DIGITS),
            **_letters(),
        },
    ),
    "yue": Language(
        "yue",
        "yue",
        150,
        {
            "word-qing": "請",
            "word-hao": "號",
            "word-dao": "到",
            "word-chuangkou": "窗口",
            "word-shi": "十",
            **_digits(_YUE_DIGITS),
            **_letters(),
        },
    ),
    "en": Language(
        "en",
        "en-us",
        160,
        {
            "word-ticket": "ticket",
            "word-counter": "counter",
            **_digits(_EN_DIGITS),
            **{f"num-{n}": w for n, w in _EN_NUMS.items()},
            **_letters(),
        },
    ),
    "es": Language(
        "es",
        "es",
        155,
        {
            "word-numero": "número",
            "word-ventanilla": "ventanilla",
            "word-y": "y",
            **_digits(_ES_DIGITS),
            **{f"num-{n}": w for n, w in _ES_NUMS.items()},
            **_letters(),
        },
    ),
}
