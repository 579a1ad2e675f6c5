"""Domains that look like other domains: Unicode skeletons and mixed-script labels (after UTS #39).

A tenant could claim `acme.de` spelt with a Cyrillic a (U+0430) beside another tenant's `acme.de`: two different
names that a reader cannot tell apart. The skeleton maps every character that looks like an ASCII letter or
digit to that letter or digit, so lookalikes share one skeleton (`skeleton`); a label that mixes scripts, Latin
with Cyrillic say, is refused on its own (`mixed_scripts`).

The table below is generated from Unicode 16.0 `confusables.txt` (as the unicode-security crate 0.1.2 ships it):
every character that IDNA 2008 keeps unchanged in a domain label and whose prototype is one ASCII letter or
digit. Characters that UTS #46 maps already (full-width and mathematical letters, capitals) never reach it.
ASCII-only lookalikes (`rn` and `m`, `0` and `o`) are not compared: they are ordinary names.
"""

from __future__ import annotations

import functools
import unicodedata

import idna

_PROTOTYPES = {
    "2": "\u14bf",
    "3": "\U000118ca\U00016f3b",
    "4": "\u13ce",
    "6": "\u0431\u13ee\U000118d5",
    "7": "\U000118c6",
    "8": "\u0223\u09ea\u0a6a\u0b03\U0001031a",
    "9": "\u09ed\u0a67\u0b68\u0d6d\U000118cc\U000118d6",
    "a": "\u0251\u03b1\u0430",
    "b": "\u13cf\u1472\u15af",
    "c": "\u0441\u1d04\u2ca5\U0001043d",
    "d": "\u0501\u13e7\u146f\ua4d2",
    "e": "\u0435\u04bd\uab32",
    "f": "\u0584\u1e9d\ua799\uab35",
    "g": "\u018d\u0261\u0581\u1d83",
    "h": "\u04bb\u0570\u13c2",
    "i": "\u0131\u0269\u026a\u03b9\u0456\u04cf\u13a5\ua647\U000118c3",
    "j": "\u03f3\u0458",
    "l": "\u01c0\u06f1\u16c1\u2d4f\ua4f2\U0001028a\U00010309\U00016f28",
    "n": "\u0578\u057c",
    "o": (
        "\u03bf\u03c3\u043e\u0585\u06f5\u0966\u0a66\u0ae6\u0be6\u0c02\u0c66\u0c82\u0ce6\u0d02\u0d20\u0d66"
        "\u0d82\u0e50\u0ed0\u101d\u1040\u10ff\u1d0f\u1d11\u2c9f\uab3d\U0001042c\U000104ea\U000118c8\U000118d7"
    ),
    "p": "\u03c1\u0440\u2ca3",
    "q": "\u051b\u0563\u0566",
    "r": "\u0433\u1d26\u2c85\uab47\uab48",
    "s": "\u01bd\u0455\ua731\U00010448\U000118c1",
    "u": "\u028b\u03c5\u057d\u1d1c\ua79f\uab4e\uab52\U000104f6\U000118d8",
    "v": "\u03bd\u0475\u1d20\U00011706\U000118c0",
    "w": "\u026f\u0461\u051d\u0561\u1d21\U0001170a\U0001170e\U0001170f",
    "x": "\u0445\u1541\u157d",
    "y": "\u0263\u028f\u03b3\u0443\u04af\u10e7\u1d8c\u1eff\uab5a\U000118dc",
    "z": "\u1d22\U000118c4",
}
CONFUSABLES: dict[str, str] = {
    char: ascii_char for ascii_char, chars in _PROTOTYPES.items() for char in chars
}
_TO_PROTOTYPE = str.maketrans(CONFUSABLES)

# Scripts that may share a label (UTS #39 "highly restrictive"): Japanese, Chinese and Korean names mix Han with
# their own scripts and Latin. Any other label keeps to one script (digits and hyphens belong to every script).
_ALLOWED_MIXES = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
_SCRIPT_OF_NAME = {"CJK": "Han", "IDEOGRAPHIC": "Han", "ARABIC-INDIC": "Arabic", "EXTENDED": "Arabic"}
_COMMON = frozenset({"DIGIT", "HYPHEN-MINUS", "COMBINING", "KATAKANA-HIRAGANA", "MODIFIER", "FULLWIDTH"})


def unicode_form(domain: str) -> str:
    """A punycode domain as its reader sees it (`xn--cme-5cd.de` -> `acme.de` with a Cyrillic a)."""
    try:
        return idna.decode(domain)
    except idna.IDNAError:  # pragma: no cover - domains are validated before they get here
        return domain


@functools.lru_cache(maxsize=16384)
def skeleton(domain: str) -> str:
    """What `domain` (lowercase punycode) looks like: its Unicode form with every lookalike made ASCII."""
    if "xn--" not in domain:  # an ASCII name is its own skeleton: most domains stop here
        return domain
    decomposed = unicodedata.normalize("NFD", unicode_form(domain))
    return unicodedata.normalize("NFD", decomposed.translate(_TO_PROTOTYPE))


def is_lookalike(domain: str) -> bool:
    """True when `domain` has characters that pass for ASCII ones: it is not its own skeleton."""
    if "xn--" not in domain:
        return False
    return skeleton(domain) != unicodedata.normalize("NFD", unicode_form(domain))


def script_of(char: str) -> str | None:
    """The script of a letter (`Latin`, `Cyrillic`, `Han`...), or None for digits, hyphens and marks."""
    words = unicodedata.name(char, "").split(" ")
    first = words[0]
    if not first or first in _COMMON:
        return None
    return _SCRIPT_OF_NAME.get(first, first.title())


def mixed_scripts(domain: str) -> tuple[str, list[str]] | None:
    """The first label of `domain` that mixes scripts no language mixes, with those scripts; else None."""
    if "xn--" not in domain:  # ASCII: Latin letters, digits and hyphens only
        return None
    for label in unicode_form(domain).split("."):
        scripts = {s for s in map(script_of, label) if s is not None}
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
            return label, sorted(scripts)
    return None
