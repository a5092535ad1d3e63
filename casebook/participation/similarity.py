"""How alike two short Chinese texts are, for "类似建议" (pure: no Flask, no database).

A proposal is compared by its title and problem together. Both are normalized — Unicode NFKC (so
full-width letters, digits and punctuation become their ordinary forms), lower case, and every
character that is not a letter or a digit removed (punctuation, symbols, spaces) — and cut into
their sets of *character bigrams* (each pair of neighbouring characters: 加装电梯 → 加装, 装电, 电梯).
Chinese has no spaces to split words on, and bigrams are what people's word choices share.

The similarity is the **Dice coefficient** of the two sets, 2·|A∩B| / (|A| + |B|): 1 for the same
set, 0 for nothing shared. A text of a single character has that character as its only "bigram";
an empty text is similar to nothing. Proposals of the same street are shown to the proposer as
类似建议 at ``THRESHOLD`` (0.6) or above.
"""

from __future__ import annotations

import unicodedata

THRESHOLD = 0.6


def normalized(text: str) -> str:
    """NFKC, lower case, letters and digits only."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in ("L", "N"))


def bigrams(text: str) -> frozenset[str]:
    """The set of neighbouring-character pairs of the normalized text (one character: itself)."""
    plain = normalized(text)
    if len(plain) == 1:
        return frozenset({plain})
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """2·|A∩B| / (|A| + |B|); 0 when both are empty."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(first: str, second: str) -> float:
    """The Dice coefficient of the two texts' bigram sets."""
    return dice(bigrams(first), bigrams(second))
