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


HANDLES = [
    "truthseeker_77",
    "mama_bear_uk",
    "dailypatriot",
    "naija_gist",
    "kwame_speaks",
    "freedom4all",
    "the_real_dave",
    "newsflash247",
    "lola_b",
    "jp_martins",
    "ana.sousa",
    "citizen_k",
    "aussie_mick",
    "deshi_voice",
    "maria_g_",
    "wakeup_world",
    "stevo_88",
    "ines_lx",
    "fatima.news",
    "ravi_k_s",
    "biglad_fc",
    "la_verite_fr",
    "klartext_de",
    "brasil_acorda",
    "sara_m",
    "oldschool_tom",
]
SOCIAL = {"tweet", "facebook", "whatsapp", "telegram"}
LONG_SHARE = 0.36


def _context() -> dict[tuple[str, str], list[str]]:
    """Hand-written context sentences by (language, '*' or 'transcript')."""
    pool: dict[tuple[str, str], list[str]] = {}
    for language, kind, sentence in _rows("context.txt"):
        pool.setdefault((language, kind), []).append(sentence)
    return pool


def _lengthen(rng: random.Random, text: str, language: str, kind: str, pool: dict) -> str:
    """Surround the claim with a few context sentences, aiming at 42-95 words."""
    key = (language, "transcript" if kind == "transcript" else "*")
    if key not in pool:
        key = (language, "*")
    sentences = rng.sample(pool[key], k=len(pool[key]))
    target = rng.randint(42, 95)
    before: list[str] = []
    after: list[str] = []
    sep = "\n" if kind in {"transcript", "whatsapp", "telegram"} else " "
    if text[-1].isalnum():
        text += "."
    cap = 6 if language == "en" else 5
    while len((" ".join([*before, text, *after])).split()) < target and len(before) + len(after) < cap:
        (before if rng.random() < 0.4 else after).append(sentences.pop())
    return sep.join([*before, text, *after])


def _noise(rng: random.Random, text: str, kind: str) -> str:
    """Retweet and reply prefixes, truncation: what a tweet carries when it is collected."""
    if kind != "tweet":
        return text
    roll = rng.random()
    if roll < 0.15 and not text.startswith("RT @"):
        text = f"RT @{rng.choice(HANDLES)}: {text}"
    elif roll < 0.25:
        text = f"@{rng.choice(HANDLES)} @{rng.choice(HANDLES)} {text}"
    if len(text) > 200 and rng.random() < 0.3:
        text = text[: rng.randint(150, 200)].rsplit(" ", 1)[0] + "…"
    return text


def posts(fc_split: dict[str, str]) -> list[dict]:
    """posts.jsonl: noisy new texts, most restating one fact-check, some restating none."""
    rng = random.Random(SEED)
    pool = _context()
    raw = []
    for path in sorted(SRC.glob("posts_*.txt")):
        for ref, language, kind, text in _rows(path.name):
            raw.append((ref, language, kind, text.strip()))
    rng.shuffle(raw)
    objects = []
    for number, (ref, language, kind, text) in enumerate(raw, 1):
        words = len(text.split())
        if kind in SOCIAL | {"transcript"} and words <= 40 and (rng.random() < LONG_SHARE or words < 8):
            text = _lengthen(rng, text, language, kind, pool)
            if kind == "tweet" and len(text) > 280:
                kind = rng.choice(["facebook", "facebook", "telegram"])
        text = _noise(rng, text, kind).replace("\\n", "\n")
        obj = {"id": f"p-{number:04d}", "text": text, "language": language, "kind": kind}
        if ref[0].isdigit():
            obj["factcheck_id"] = f"fc-{ref}"
            obj["split"] = fc_split[obj["factcheck_id"]]
        else:
            obj["factcheck_id"] = None
            if ref == "-":
                obj["null_kind"] = "unrelated"
                obj["split"] = "dev" if rng.random() < DEV_SHARE else "test"
            else:
                obj["null_kind"] = "different" if ref[0] == "!" else "similar"
                obj["near_factcheck_id"] = f"fc-{ref[1:]}"
                obj["split"] = fc_split[obj["near_factcheck_id"]]
        objects.append(obj)
    return objects


PAIRS = 600


def pairs(fcs: list[dict], ps: list[dict], fc_split: dict[str, str]) -> list[dict]:
    """pairs.jsonl: (stored claim, new text) with duplicate / similar / different labels.

    Hand-written pairs (src/pairs.txt), siblings (different), posts that restate no fact-check against the
    fact-check they are close to, chatter against a random claim, and enough restating posts (duplicate) to
    reach PAIRS, drawn so that 40% of the pairs are dev. A pair takes the split of its fact-check, so no
    stored claim is in both dev and test.
    """
    rng = random.Random(SEED + 1)
    by_id = {fc["id"]: fc for fc in fcs}
    out: list[dict] = []

    def add(fc_id: str, b: str, label: str, kind: str, language: str, source: str) -> None:
        fc = by_id[fc_id]
        out.append(
            {
                "a": fc["text"],
                "b": b,
                "label": label,
                "kind": kind,
                "a_id": fc_id,
                "a_language": fc["language"],
                "b_language": language,
                "b_source": source,
                "split": fc_split[fc_id],
            }
        )

    for num, label, language, text in _rows("pairs.txt"):
        fc_id = f"fc-{num}"
        if label == "duplicate":
            kind = "translation" if language != by_id[fc_id]["language"] else "paraphrase"
        else:
            kind = {"similar": "same_subject", "different": "changed_detail"}[label]
        add(fc_id, text.strip(), label, kind, language, "hand")
    for fc in fcs:
        if "sibling_of" in fc:
            add(fc["sibling_of"], fc["text"], "different", "sibling", fc["language"], fc["id"])
    chatter = [p for p in ps if p.get("null_kind") == "unrelated"]
    for p in ps:
        if p.get("null_kind") in {"different", "similar"}:
            label = p["null_kind"]
            kind = "changed_detail_post" if label == "different" else "same_subject_post"
            add(p["near_factcheck_id"], p["text"], label, kind, p["language"], p["id"])
    for p in chatter:
        add(rng.choice(fcs)["id"], p["text"], "different", "unrelated", p["language"], p["id"])
    restating = [p for p in ps if p["factcheck_id"]]
    rng.shuffle(restating)
    need = PAIRS - len(out)
    need_dev = round(PAIRS * DEV_SHARE) - sum(pair["split"] == "dev" for pair in out)
    chosen: list[dict] = []
    for split, count in (("dev", need_dev), ("test", need - need_dev)):
        pool = [p for p in restating if p["split"] == split]
        cross = [p for p in pool if p["language"] != by_id[p["factcheck_id"]]["language"]]
        same = [p for p in pool if p["language"] == by_id[p["factcheck_id"]]["language"]]
        chosen += cross[: count // 2] + same[: count - count // 2]
    for p in chosen:
        fc_lang = by_id[p["factcheck_id"]]["language"]
        kind = f"cross_language_{p['kind']}" if p["language"] != fc_lang else p["kind"]
        add(p["factcheck_id"], p["text"], "duplicate", kind, p["language"], p["id"])
    rng.shuffle(out)
    return [{"id": f"pr-{n:04d}", **pair} for n, pair in enumerate(out, 1)]


def split_factchecks(fcs: list[dict]) -> dict[str, str]:
    """40% of the fact-checks (and everything about them) are dev, the rest test; fixed seed."""
    ids = [fc["id"] for fc in fcs]
    random.Random(SEED).shuffle(ids)
    cut = round(len(ids) * DEV_SHARE)
    return {fc_id: ("dev" if i < cut else "test") for i, fc_id in enumerate(ids)}


def main() -> None:
    fcs = factchecks()
    fc_split = split_factchecks(fcs)
    _write("factchecks.jsonl", fcs)
    print(f"factchecks: {len(fcs)}")
    ps = posts(fc_split)
    _write("posts.jsonl", ps)
    print(f"posts: {len(ps)}")
    prs = pairs(fcs, ps, fc_split)
    _write("pairs.jsonl", prs)
    print(f"pairs: {len(prs)}")


if __name__ == "__main__":
    main()
