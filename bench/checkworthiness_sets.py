"""The labelled check-worthiness sets, read one way for training and for evaluation.

``bench/data/checkworthiness.jsonl`` holds passages (news, speeches, transcripts...) whose
sentences are labelled; ``bench/data/checkworthiness/*.jsonl`` holds more passages
(``sentences``) and single social posts (``text`` and ``label``). Every document carries a
``split``: ``train`` (the model and its regularisation are fitted on it) or ``test`` (never read by
the training script; only ``bench/eval_checkworthiness.py`` looks at it). The first file has no
split field and is all ``train``: the cues' hand-set strengths were tuned on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = (DATA / "checkworthiness.jsonl", *sorted((DATA / "checkworthiness").glob("*.jsonl")))
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Document:
    id: str
    file: str  # the data file it comes from
    genre: str  # "social_post", "transcript", "news", "op_ed", ...
    language: str
    split: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]

    @property
    def is_post(self) -> bool:
        return len(self.texts) == 1


def load(files: Iterable[Path] = FILES) -> list[Document]:
    documents: list[Document] = []
    seen: set[str] = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            where = f"{path.name}:{number}"
            if row["id"] in seen:
                raise SystemExit(f"{where}: id {row['id']} repeats")
            seen.add(row["id"])
            split = row.get("split", "train")
            if split not in SPLITS:
                raise SystemExit(f"{where}: unknown split {split!r}")
            if "sentences" in row:
                texts = tuple(sentence["text"] for sentence in row["sentences"])
                labels = tuple(int(sentence["label"]) for sentence in row["sentences"])
            else:
                texts, labels = (row["text"],), (int(row["label"]),)
            if any(label not in (0, 1) for label in labels):
                raise SystemExit(f"{where}: labels must be 0 or 1")
            documents.append(
                Document(
                    row["id"], path.name, row.get("genre") or "?", row.get("language") or "en", split, texts, labels
                )
            )
    return documents


def group(document: Document) -> str:
    """The three kinds of input a desk scores: social posts, spoken transcripts, written prose."""
    if document.genre == "social_post" or (document.is_post and document.genre != "transcript"):
        return "social"
    if document.genre in {"transcript", "interview_transcript", "podcast_transcript", "tv_debate_transcript"}:
        return "transcript"
    return "prose"
