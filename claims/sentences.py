"""Paragraph and sentence splitting for articles, posts and transcripts.

Sentence boundaries come from sentencex (Wikimedia's maintained rule-based segmenter,
~300 languages, no model, no download). A small repair pass then rejoins the few
splits it gets wrong in news text: after a title ("M. Dupont", "Sra. Pérez"),
after "e.g."/"vs.", after an abbreviated month before a number ("janv. 2023"),
and before a piece that starts in lower case (a sentence never does).
"""

from __future__ import annotations

import re

import sentencex

# Abbreviations after which a split is never a sentence end (compared case-sensitively).
_NEVER_FINAL_TEXT = """
    Mr. Mrs. Ms. Mx. Dr. Prof. St. Sen. Rep. Gov. Gen. Lt. Col. Capt. Sgt. Rev. Hon. Pres. Supt. Insp.
    e.g. i.e. vs. cf. approx. Nos. Art. Fig.
    M. MM. Mme. Mmes. Mlle. Mgr. Pr.
    Sr. Sra. Srta. Sres. Dña. Dra. Lic. Ing.
    Hr. Fr. Frau. Hrn. z.B. u.a. bzw. ca. vgl. Nr. Abs.
"""
_NEVER_FINAL = frozenset(_NEVER_FINAL_TEXT.split())
# Abbreviated months: a split after one is wrong when a number follows ("Jan. 2020", "janv. 2023").
_MONTH_ABBREVIATIONS_TEXT = """
    Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.
    janv. févr. avr. juil. sept. oct. nov. déc.
    ene. feb. abr. ago. sep. oct. dic.
    Febr. Aug. Okt. Dez.
"""
_MONTH_ABBREVIATIONS = frozenset(_MONTH_ABBREVIATIONS_TEXT.split())
_LAST_WORD = re.compile(r"(\S+)\s*$")
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*")


def split_paragraphs(text: str) -> list[str]:
    """Blocks separated by line breaks (blank or not), stripped, with empty ones dropped.

    Extracted article text puts one paragraph per line, so any newline is a boundary.
    """
    return [block.strip() for block in _PARAGRAPH_BREAK.split(text or "") if block.strip()]


def _base_language(language: str) -> str:
    base = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    return base if base.isalpha() else "en"


def _should_join(previous: str, following: str, join_lowercase: bool = True) -> bool:
    match = _LAST_WORD.search(previous)
    last = match.group(1) if match else ""
    first = following.lstrip()[:1]
    if not first:
        return False
    if first.islower() and join_lowercase:
        return True
    if last in _NEVER_FINAL:
        return True
    return last in _MONTH_ABBREVIATIONS and first.isdigit()


def split_sentences(paragraph: str, language: str = "en", *, join_lowercase: bool = True) -> list[str]:
    """The sentences of one paragraph, stripped, in order; never an empty string.

    Edited text never starts a sentence in lower case, so such a split is rejoined; posts often
    do (``join_lowercase=False``).
    """
    if not paragraph or not paragraph.strip():
        return []
    pieces = [piece.strip() for piece in sentencex.segment(_base_language(language), paragraph)]
    sentences: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if sentences and _should_join(sentences[-1], piece, join_lowercase):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences
