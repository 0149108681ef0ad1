"""Measure the directions that say which language a text is in, and write ``language_directions.npz``.

multilingual-e5-small puts a sentence and its translation near each other, but not on the same
point: every language moves its vectors by much the same offset, so texts of one language stay
nearer to each other than to what they mean in another (a Portuguese post is nearer to
Portuguese claims on other subjects than to the English fact-check of its claim). The offsets
are measured on parallel text that ships with Django itself: its messages (``django.po`` of
every Django app, BSD licence) and their translations into 50 languages. For each language, the
mean difference between the vector of a translation and the vector of its English message is
that language's offset; the principal directions of the 51 offsets (English's is zero) are
what ``claims.matching.embeddings.embed`` projects out of every vector.

How many directions: 32, chosen on the dev split of ``bench/data/retrieval`` (MAP@5 through
``find_similar`` for 8, 16, 24, 32, 40 and 53 directions; 32 was best and left English as it
was). Nothing here reads the test split, and the messages have nothing to do with claims.

The file also holds the ``centre`` that ``embed`` takes off every vector: the mean language-neutral
vector of the 559 news, transcript and social-media sentences of ``bench/data/checkworthiness.jsonl``
(written for the project, CC0; none of them is in the retrieval set). The mean of any few hundred
such sentences serves: with half of them, or the first 100, the dense-only dev MAP@5 (0.934) moved
by at most 0.003; the mean of Django's messages gave 0.009 less.

    make language-directions    # or: .venv/bin/python bench/language_directions.py

Needs polib (requirements-dev.txt); the app only reads the written file. Changing the file
changes the vectors: bump ``embeddings.MODEL_NAME`` (and convert the stored vectors in a migration,
as ``claims/0008`` and ``claims/0009`` do). Check-worthiness reads the model's own vectors, not these.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

import django  # noqa: E402

django.setup()

import polib  # noqa: E402

from claims.matching import embeddings  # noqa: E402

DIRECTIONS = 32
MESSAGES_PER_LANGUAGE = 300
MIN_MESSAGES = 150  # a language with fewer usable messages is left out (its offset would be noise)
MIN_MESSAGE_CHARS = 21  # "Delete", "Save and add another" say little about a language
CENTRE_SENTENCES = ROOT / "bench" / "data" / "checkworthiness.jsonl"
ENGLISH = ("en", "en_AU", "en_GB")


def catalogues() -> dict[str, dict[str, str]]:
    """Language → {English message: its translation}, from every ``django.po`` shipped with Django."""
    translations: dict[str, dict[str, str]] = {}
    for path in sorted(Path(django.__file__).parent.glob("**/locale/*/LC_MESSAGES/django.po")):
        language = path.parent.parent.name
        if language in ENGLISH:
            continue
        for entry in polib.pofile(str(path)):
            usable = entry.msgstr and not entry.fuzzy and not entry.obsolete and len(entry.msgid) >= MIN_MESSAGE_CHARS
            # Placeholders ("%(name)s", "{count}") are the same in every language: they would dilute the offset.
            if usable and not any(mark in entry.msgid + entry.msgstr for mark in "%{}<>"):
                translations.setdefault(language, {})[entry.msgid] = entry.msgstr
    return {language: found for language, found in sorted(translations.items()) if len(found) >= MIN_MESSAGES}


def centre_of(directions: np.ndarray) -> np.ndarray:
    """The mean language-neutral vector of the sentences of ``CENTRE_SENTENCES``."""
    with CENTRE_SENTENCES.open(encoding="utf-8") as lines:
        sentences = [sentence["text"] for line in lines for sentence in json.loads(line)["sentences"]]
    vectors = embeddings.matching_vectors(embeddings.model_vectors(sentences), directions, None)
    return vectors.mean(axis=0).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--directions", type=int, default=DIRECTIONS)
    parser.add_argument("--output", type=Path, default=embeddings.LANGUAGE_DIRECTIONS_FILE)
    args = parser.parse_args()

    translations = catalogues()
    chosen = {language: sorted(found.items())[:MESSAGES_PER_LANGUAGE] for language, found in translations.items()}
    texts = sorted({text for pairs in chosen.values() for pair in pairs for text in pair})
    print(f"{len(chosen)} languages, {len(texts)} distinct messages to embed", flush=True)
    vectors: dict[str, np.ndarray] = {}
    for start in range(0, len(texts), 64):
        batch = texts[start : start + 64]
        vectors.update(zip(batch, embeddings.model_vectors(batch), strict=True))
    offsets = np.vstack(
        [np.zeros(embeddings.DIMENSIONS)]
        + [
            np.mean([vectors[translated] - vectors[english] for english, translated in pairs], axis=0)
            for pairs in chosen.values()
        ]
    )
    offsets -= offsets.mean(axis=0)
    _, strengths, directions = np.linalg.svd(offsets, full_matrices=False)
    kept = directions[: args.directions].astype(np.float32)
    centre = centre_of(kept)
    np.savez(
        args.output,
        directions=kept,
        centre=centre,
        languages=np.array(["en", *chosen]),
        django_version=np.array(django.get_version()),
    )
    share = float((strengths[: args.directions] ** 2).sum() / (strengths**2).sum())
    print(
        f"wrote {args.output}: {len(kept)} directions, {share:.0%} of the offsets' variance;"
        f" centre of length {np.linalg.norm(centre):.3f}"
    )


if __name__ == "__main__":
    main()
