"""What a social post, a forward or a transcript snippet says, without what it carries.

Real posts restate a fact-checked claim wrapped in links, @handles, hashtags, emoji, "RT",
"Forwarded many times", shouting, speaker tags and several other sentences. The model and the
full-text index both do better on the words that carry the claim: ``prepare`` returns the cleaned
text and, for a long input, its sentences, so that matching can compare each one and keep the best.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from claims.sentences import split_paragraphs, split_sentences

MAX_SEGMENTS = 8  # sentences compared on their own, beside the whole text
MIN_SEGMENT_WORDS = 4  # shorter sentences ("Wow.", "Share!") say nothing to match on their own
LONG_INPUT_WORDS = 18  # from here a text is also matched sentence by sentence

_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:t\.co|bit\.ly|tinyurl\.com|youtu\.be|fb\.me|wa\.me)/\S+|\b[\w-]+\.(?:com|org|net)/\S*",
    re.IGNORECASE,
)
# "RT @someone:", "QT @someone", "via @someone", "cc @someone" and a run of reply handles at the start.
_RETWEET = re.compile(r"(?:^|\s)(?:RT|QT|MT|via|cc)\s*:?\s*@[\w.]+:?", re.IGNORECASE)
_LEADING_HANDLES = re.compile(r"^(?:\s*@[\w.]+[:,]?)+")
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_.]{1,30})")
_HASHTAG = re.compile(r"(?<![\w#])#([^\W_][\w]*)", re.UNICODE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[a-z])(?=\d)")
# What a post or a forward carries about sharing it, not about the claim (several languages).
_SHARE_PHRASES = (
    r"forwarded(?: as received| many times)?",
    r"(?:please |pls |plz )?share (?:before (?:they|it(?:'s| is| gets)?) (?:delete|deleted|removed|taken down|ban)\w*(?: it| this)?"
    r"|this(?: now| widely| everywhere)?(?=\s*(?:[!.,]|$))|(?:it )?with (?:all|every|your)[\w ]{0,20}(?:groups?|friends|family|contacts))",
    r"(?:please|pls|plz) (?:share|forward|repost|rt)",
    r"must (?:watch|read|share)",
    r"copy (?:and|&) paste",
    r"(?:read|see|show) more",
    r"click (?:here|the link|link)",
    r"link in bio",
    r"watch (?:till|until|to) the end",
    r"wake up(?: people| sheeple| everyone)?",
    r"reenviado(?: muchas veces)?",
    r"(?:comparte|compartan|compartir|difunde|difundan)(?:lo|la)?(?: antes de que (?:lo |la )?(?:borren|eliminen))?",
    r"(?:partagez|partager|faites tourner)(?: avant (?:qu'ils|que) (?:ne )?(?:le |la )?(?:suppriment|censurent))?",
    r"transf[ée]r[ée] (?:plusieurs|de nombreuses) fois",
    r"(?:bitte )?(?:teilen|weiterleiten)(?:,? bevor (?:es|sie es) gelöscht wird)?",
    r"encaminhad[ao](?: com frequência| muitas vezes)?",
    r"(?:compartilhe|compartilhem|repasse)(?:m)?(?: antes que (?:apaguem|deletem|removam))?",
    r"تمت? إعادة توجيهه(?:ا)?(?: عدة مرات)?",
    r"انشر(?:وا)?",
    r"شارك(?:وا)?",
)
_SHARE = re.compile(r"(?<!\w)(?:" + "|".join(_SHARE_PHRASES) + r")(?!\w)", re.IGNORECASE)
_ALERT = re.compile(
    r"(?<!\w)(?:breaking(?: news)?|just in|urgent(?:e)?|alert|thread|update|attention|atención|atenção|achtung|عاجل)\s*[:!—–-]+",
    re.IGNORECASE,
)
# Role tags of transcripts; a speaker's name ("BIDEN:") stays, as fact-checks often name who said it.
_SPEAKER_TAG = re.compile(
    r"(?im)^\s*(?:host|guest|moderator|interviewer|presenter|reporter|anchor|speaker(?: \d+)?|caller|q|a|question|answer)\s*:\s*"
)
_STAGE_DIRECTION = re.compile(
    r"\[(?:crosstalk|inaudible|laughter|applause|music|unintelligible)[^\]]*\]|\((?:laughs|applause)\)", re.IGNORECASE
)
_FILLERS = re.compile(r"\b(?:uh+|um+|erm+|er|ah+|hmm+|you know|i mean|like,)\s*,?\s*", re.IGNORECASE)
_NUMBERING = re.compile(r"(?m)(?:^|\s)\(?\d{1,2}\s*/\s*\d{1,2}\)?(?=\s|$)|🧵")
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)
_REPEATED_PUNCTUATION = re.compile(r"([!?.,])\1+")
_ELLIPSIS = re.compile(r"(?:…|\.{3,})\s*$")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class PreparedText:
    """A text cleaned for matching: ``text`` as a whole, ``segments`` its sentences worth matching alone."""

    text: str
    segments: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        """The whole text first, then each segment: what matching embeds and compares."""
        return (self.text, *self.segments)


def _is_pictograph(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "So" or category == "Cs" or category == "Co":
        return True
    code = ord(ch)
    # Variation selectors, zero-width joiner, skin tones, tags, keycap: the glue of emoji sequences.
    return code in (0x200D, 0x20E3, 0xFE0E, 0xFE0F) or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F


def _hashtag_words(match: re.Match) -> str:
    tag = match.group(1)
    if tag.isupper() or tag.islower():
        return tag
    return _CAMEL.sub(" ", tag)


def _handle_words(match: re.Match) -> str:
    name = match.group(1).strip("._")
    name = re.sub(r"\d+$", "", name).replace("_", " ").replace(".", " ")
    return _CAMEL.sub(" ", name)


_SHOUTED_RUN = re.compile(r"(?<!\w)(?:[^\W\d_a-z]{2,}[\s,;:!?.'’-]+){3,}[^\W\d_a-z]{2,}(?!\w)")


def _unshout(text: str) -> str:
    """A text (or a run of four words and more) in capitals, in lower case: shouting tokenises into rare word pieces."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 12 and sum(1 for ch in letters if ch.isupper()) / len(letters) >= 0.6:
        return text.lower()
    return _SHOUTED_RUN.sub(lambda match: match.group(0).lower(), text)


def clean_post(text: str) -> str:
    """The words of a post that can carry a claim: no links, handles as names, hashtags as words, no emoji."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _URL.sub(" ", text)
    text = _RETWEET.sub(" ", text)
    text = _LEADING_HANDLES.sub(" ", text)
    text = _HANDLE.sub(_handle_words, text)
    text = _HASHTAG.sub(_hashtag_words, text)
    text = "".join(" " if _is_pictograph(ch) else ch for ch in text)
    text = _STAGE_DIRECTION.sub(" ", text)
    text = _SPEAKER_TAG.sub("", text)
    text = _FILLERS.sub("", text)
    text = _NUMBERING.sub(" ", text)
    text = _SHARE.sub(" ", text)
    text = _ALERT.sub(" ", text)
    text = _ELLIPSIS.sub("", text.rstrip())
    text = _ELONGATION.sub(r"\1\1", text)
    text = _REPEATED_PUNCTUATION.sub(r"\1", text)
    text = _unshout(text)
    lines = [_SPACES.sub(" ", line).strip(" -–—:|•*>").lstrip(".,;!? ") for line in text.splitlines()]
    return "\n".join(line for line in lines if _WORD.search(line))


def prepare(text: str, language: str | None = None) -> PreparedText:
    """The cleaned text and, when it is long, its sentences of at least a few words (at most ``MAX_SEGMENTS``)."""
    cleaned = clean_post(text)
    whole = " ".join(cleaned.split())
    if not whole:
        # Nothing left once the links and emoji are gone: match what was sent rather than nothing.
        whole = " ".join((text or "").split())
        return PreparedText(whole)
    if len(_WORD.findall(whole)) < LONG_INPUT_WORDS:
        return PreparedText(whole)
    segments: list[str] = []
    for paragraph in split_paragraphs(cleaned):
        for sentence in split_sentences(paragraph, language or "en", join_lowercase=False):
            sentence = sentence.strip()
            if len(_WORD.findall(sentence)) >= MIN_SEGMENT_WORDS and sentence != whole and sentence not in segments:
                segments.append(sentence)
    if len(segments) < 2:
        return PreparedText(whole)
    if len(segments) > MAX_SEGMENTS:
        # The longest sentences carry the most to match on; keep them in reading order.
        keep = set(sorted(range(len(segments)), key=lambda i: -len(segments[i]))[:MAX_SEGMENTS])
        segments = [segment for i, segment in enumerate(segments) if i in keep]
    return PreparedText(whole, tuple(segments))
