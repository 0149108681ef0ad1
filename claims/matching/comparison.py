"""What two claim texts share or contradict: content words, figures, negation and direction of change.

Embeddings see "unemployment rose to 5%" and "unemployment did not rise to 5%" as nearly the
same sentence. These plain features let matching keep such pairs apart: a claim with other
figures, the opposite polarity or the opposite direction is never a *duplicate*.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

FEATURES_CACHED = 4_096  # texts, about 2 KiB each
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Scale words after a figure, folded (``fold``): "3 million", "39 mil" (pt/es), "2 milliards", "3 ملايين".
_SCALES = {
    "thousand": 10**3, "k": 10**3, "mil": 10**3, "mille": 10**3, "tausend": 10**3, "الف": 10**3, "الاف": 10**3,
    "million": 10**6, "millions": 10**6, "m": 10**6, "mn": 10**6, "millon": 10**6, "millones": 10**6,
    "milhao": 10**6, "milhoes": 10**6, "millionen": 10**6, "مليون": 10**6, "ملايين": 10**6,
    "billion": 10**9, "billions": 10**9, "bn": 10**9, "mil millones": 10**9, "bilhao": 10**9, "bilhoes": 10**9,
    "milliard": 10**9, "milliards": 10**9, "milliarde": 10**9, "milliarden": 10**9, "مليار": 10**9, "مليارات": 10**9,
    "trillion": 10**12, "tn": 10**12, "billon": 10**12, "billones": 10**12, "trilhao": 10**12, "trilhoes": 10**12,
    "تريليون": 10**12,
}  # fmt: skip
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)(?:\s*(%|per\s?cent|percent|pct|por\s?ciento|por\s?cento|pour\s?cent|prozent))?"
    r"(?:\s*(" + "|".join(sorted(map(re.escape, _SCALES), key=len, reverse=True)) + r")(?!\w))?",
    re.IGNORECASE,
)
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_FRACTIONS = {"half": Decimal("0.5"), "quarter": Decimal("0.25"), "third": Decimal("0.333")}


def fold(text: str) -> str:
    """Case-, width- and accent-insensitive form of a text."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _wordset(words: str) -> frozenset[str]:
    """Words as ``features`` sees them: folded ("aumentó" is "aumento")."""
    return frozenset(fold(word) for word in words.split())


NEGATIONS = _wordset(
    "not no never none nobody nothing neither nor without cannot isn't aren't wasn't weren't doesn't don't didn't "
    "hasn't haven't hadn't won't wouldn't can't couldn't shouldn't false untrue "
    "pas jamais aucun aucune rien sans "  # fr ("ne … pas" is one negation; "personne" is mostly a person)
    "nunca ningún ninguna ninguno nada tampoco sin "  # es
    "não nenhum nenhuma ninguém sem jamais "  # pt
    "nicht kein keine keinen keiner niemals nie nichts ohne "  # de
    "non nessun nessuna mai niente senza "  # it
    "لا ليس ليست لم لن غير بدون"  # ar
)
_UP = _wordset(
    "rose rise rises rising risen increase increased increases increasing grew grow grows growing growth up higher "
    "more gained gain gains jumped jump soared soar surged surge doubled tripled climbed climb boosted raised "
    "hausse augmenté augmente augmentent doublé grimpé "  # fr
    "aumentó aumento aumentaron subió subieron creció duplicó "  # es
    "aumentou aumentaram subiu cresceu dobrou "  # pt
    "gestiegen stieg steigt erhöht verdoppelt "  # de
    "ارتفع ارتفعت زاد زادت تضاعف"  # ar
)
_DOWN = _wordset(
    "fell fall falls falling fallen decrease decreased decreases decreasing shrank shrink shrinks declined decline "
    "declines declining down lower less fewer dropped drop drops dropping plunged plunge slumped cut cuts halved "
    "reduced reduce "
    "baisse diminué diminue diminuent chuté "  # fr
    "disminuyó disminuyeron cayó cayeron redujo "  # es ("bajó" folds to "bajo", under)
    "caiu caíram diminuiu diminuíram reduziu "  # pt
    "gesunken sank sinkt gefallen halbiert "  # de
    "انخفض انخفضت تراجع تراجعت"  # ar
)
STOP_WORDS = _wordset(
    "a an the of in on at to for by with from and or but is are was were be been being has have had do does did "
    "that this these those it its as than then there their they he she his her we our you your i me my "
    "le la les un une des de du et ou est sont en au aux qui que pour par dans sur avec ce se "  # fr
    "el los las y o es son del al lo unos unas por para con "  # es
    "os as um uma do da dos das em no na nos nas e é são foi ao aos à pelo pela com "  # pt
    "die der das und oder ist sind ein eine den dem des zu im mit von auf für sich es "  # de
    "il gli di che per "  # it
    "في من على إلى الى عن أن ان او هذا هذه ذلك التي الذي مع"  # ar
)


def _decimal(raw: str) -> Decimal | None:
    digits = re.sub(r"[\u202f\u00a0 ]", "", raw)
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):
        digits = digits.replace(",", "")
    elif re.fullmatch(r"\d+,\d{1,2}", digits):  # a decimal comma: "3,5 %"
        digits = digits.replace(",", ".")
    else:
        digits = digits.replace(",", "")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _word_numbers(words: list[str]) -> list[Decimal]:
    """Numbers spelled out in English: "five million", "twenty-three", "half a million"."""
    found: list[Decimal] = []
    current: Decimal | None = None
    total = Decimal(0)
    for word in [*words, ""]:
        parts = word.split("-") if "-" in word else [word]
        value_parts = [_UNITS.get(p, _TENS.get(p)) for p in parts]
        if word and all(v is not None for v in value_parts):
            current = (current or Decimal(0)) + sum(Decimal(v) for v in value_parts)
            continue
        if word in _WORD_SCALES and (current is not None or total):
            scale = _WORD_SCALES[word]
            if scale == 100:
                current = (current or Decimal(1)) * 100
            else:
                total += (current or Decimal(1)) * scale
                current = None
            continue
        if word == "a" and current is not None and current < 1:  # "half a million"
            continue
        if word == "and" and current is not None and current >= 100:  # "two hundred and five"
            continue
        if current is not None or total:
            found.append(total + (current or Decimal(0)))
        current, total = _FRACTIONS.get(word), Decimal(0)
    return found


def numbers(text: str) -> frozenset[Decimal]:
    """Every figure in a text, written any way: "5,000,000", "5 million", "five million" are one number."""
    folded = fold(text)
    return _numbers_in(folded, _WORD.findall(folded))


def _numbers_in(folded: str, words: list[str]) -> frozenset[Decimal]:
    """The figures of a folded text, given its words (``_WORD`` over it)."""
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(folded):
        value = _decimal(match.group(1))
        if value is None:
            continue
        scale = match.group(3)
        if scale:
            value *= _SCALES[scale.lower()]
        found.add(value.normalize())
    found.update(value.normalize() for value in _word_numbers(words))
    return frozenset(found)


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)", re.UNICODE)


def names(text: str) -> frozenset[str]:
    """Capitalised words not opening a sentence: the people, places and bodies a claim is about.

    A text written mostly in capitals ("THE VACCINE CONTAINS MICROCHIPS!!!") says nothing by its
    casing: it names nobody this way.
    """
    words = _WORD.findall(text)
    if sum(word.isupper() and len(word) > 1 for word in words) * 2 > len(words):
        return frozenset()
    found = set()
    for match in _NAME.finditer(text.strip()):
        for word in match.group(1).split():
            folded = fold(word).removesuffix("'s")
            if folded not in STOP_WORDS and len(folded) > 1:
                found.add(folded)
    return frozenset(found)


@dataclass(frozen=True)
class ClaimFeatures:
    words: frozenset[str]
    numbers: frozenset[Decimal]
    names: frozenset[str]
    negated: bool | None  # None: several sentences, no one polarity (``of_passage``)
    direction: int  # +1 up, -1 down, 0 neither or both

    def of_passage(self) -> ClaimFeatures:
        """These features for a text of several sentences: its words and figures, but no one polarity or direction.

        "I don't usually share these things. 5G masts spread the virus." is not a negated claim;
        its sentences, compared one by one, carry their own.
        """
        return dataclasses.replace(self, negated=None, direction=0)

    @property
    def size(self) -> int:
        return len(self.words) + len(self.numbers)


@functools.lru_cache(maxsize=FEATURES_CACHED)
def features(text: str) -> ClaimFeatures:
    """What matching compares beyond meaning; cached, as the same stored claims are candidates again and again."""
    folded = fold(text)
    tokens = [token.removesuffix("'s") for token in _WORD.findall(folded)]  # "Khan's party" names Khan
    negations = sum(token in NEGATIONS or token.endswith("n't") for token in tokens)
    up = any(token in _UP for token in tokens)
    down = any(token in _DOWN for token in tokens)
    return ClaimFeatures(
        words=frozenset(t for t in tokens if t not in STOP_WORDS and not t.isdigit()),
        numbers=_numbers_in(folded, tokens),
        names=names(text),
        negated=negations % 2 == 1,
        direction=(1 if up else 0) - (1 if down else 0),
    )


def word_overlap(a: ClaimFeatures, b: ClaimFeatures) -> float:
    """Dice coefficient of content words and figures (0–1)."""
    total = a.size + b.size
    if not total:
        return 0.0
    shared = len(a.words & b.words) + len(a.numbers & b.numbers)
    return 2 * shared / total


def _unmentioned(names: frozenset[str], words: frozenset[str]) -> bool:
    """Whether one of ``names`` is not among ``words``, even spelt as another language spells it.

    "Maldivas" is "Maldives" and "Indonésia" is "Indonesia": a name counts as mentioned by a word that
    starts with the same three quarters of it (at least five letters); "Austria" is not "Australia".
    """
    for name in names - words:
        stem = max(5, -(-3 * len(name) // 4))
        if len(name) < stem or not any(
            word[:stem] == name[:stem] and abs(len(word) - len(name)) <= 2 for word in words
        ):
            return True
    return False


def contradictions(a: ClaimFeatures, b: ClaimFeatures) -> list[str]:
    """Why two close texts cannot be the same claim: other figures, names, polarity or direction."""
    reasons = []
    # Each names someone or somewhere the other never mentions: "crime rose in Paris" is not "in London".
    if _unmentioned(a.names, b.words) and _unmentioned(b.names, a.words):
        reasons.append("names")
    if a.numbers and b.numbers and a.numbers != b.numbers and not (a.numbers <= b.numbers or b.numbers <= a.numbers):
        reasons.append("numbers")
    if a.negated is not None and b.negated is not None and a.negated != b.negated:
        reasons.append("negation")
    if a.direction and b.direction and a.direction != b.direction:
        reasons.append("direction")
    return reasons
