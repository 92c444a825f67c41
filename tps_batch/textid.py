"""One text identity for matching what clerks type against what the plan and spec say.

Thai text that looks the same can differ in code points: ำ typed as ํ + า (U+0E4D U+0E32),
zero-width spaces from copy and paste, odd spaces, Thai digits. Codes, group names and
choices are matched through :func:`match_key`; what is stored is the plan's (or the
spec's) own spelling, never the key.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# nikhahit + (tone mark) + sara aa, typed as two characters: the composed sara am
_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def match_key(text: str, *, code: bool = False) -> str:
    """NFC, ำ composed, zero-width characters removed, whitespace collapsed, case-folded;
    ``code``: Thai digits read as Arabic too (P๒๕๖๗-๐๑ is P2567-01)."""
    text = unicodedata.normalize("NFC", str(text))
    text = _INVISIBLE.sub("", text)
    if "\u0e4d" in text:
        text = _SARA_AM.sub("\\1\u0e33", text)
    if code:
        text = text.translate(_THAI_DIGITS)
    return " ".join(text.split()).casefold()
