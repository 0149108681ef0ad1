"""Build the retrieval evaluation files (JSONL) from the hand-written sources in src/.

Deterministic: fixed seeds, no network. Run: python bench/data/retrieval/build.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
SEED = 9
DEV_SHARE = 0.4


def _rows(name: str) -> list[list[str]]:
    """Non-comment, non-empty lines of src/<name>, split on '|'."""
    rows = []
    for line in (SRC / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("|"))
    return rows


def _write(name: str, objects: list[dict]) -> None:
    with (HERE / name).open("w", encoding="utf-8") as out:
        for obj in objects:
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def factchecks() -> list[dict]:
    """factchecks.jsonl: the stored fact-checked claims."""
    objects = []
    for num, language, topic, sibling_of, text in _rows("factchecks.txt"):
        obj = {"id": f"fc-{num}", "text": text.strip(), "language": language, "topic": topic}
        if sibling_of:
            obj["sibling_of"] = f"fc-{sibling_of}"
        objects.append(obj)
    return objects


def main() -> None:
    fcs = factchecks()
    _write("factchecks.jsonl", fcs)
    print(f"factchecks: {len(fcs)}")


if __name__ == "__main__":
    main()
