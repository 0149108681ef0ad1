"""Train the check-worthiness model on the ``train`` split and write ``checkworthiness_model.json``.

The model is a logistic regression over two groups of features (see
``claims/articles/checkworthiness.py``): the cues of ``claims/articles/cues.py`` at their hand-set
strengths, each with a learned factor of at least 0.25 (a cue may count more or less, never
nothing or the other way round), and the sentence's multilingual-e5-small embedding, centred. Classes are
weighted to balance. The L2 penalty on the embedding weights is chosen by cross-validation across
the data files of the train split (each file, written apart from the others, is held out in turn:
the penalty must carry to text the model never saw the like of); the test split is never read here.

    make train-checkworthiness          # or: .venv/bin/python bench/train_checkworthiness.py

Needs scikit-learn and scipy (requirements-dev.txt); the app itself needs neither.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

import django  # noqa: E402

django.setup()

from checkworthiness_sets import FILES, load  # noqa: E402

from claims.articles import checkworthiness  # noqa: E402
from claims.articles.cues import CUE_CODES, detect_cues  # noqa: E402
from claims.matching import embeddings  # noqa: E402

PENALTIES = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # L2 on the embedding weights, tried by cross-validation
CUE_PENALTY = 0.3  # pulls each cue's factor towards 1 (its hand-set strength)
CUE_FLOOR = 0.25  # a cue keeps at least a quarter of its hand-set strength: trusted less, never dropped or reversed


def features(texts: list[str], languages: list[str]) -> tuple[np.ndarray, np.ndarray]:
    cues = np.zeros((len(texts), len(CUE_CODES)), dtype=np.float64)
    for row, (text, language) in enumerate(zip(texts, languages, strict=True)):
        for reason in detect_cues(text, language).reasons:
            cues[row, CUE_CODES.index(reason.code)] += reason.weight
    vectors = embeddings.model_vectors(
        [checkworthiness.embedding_text(text, language) for text, language in zip(texts, languages, strict=True)]
    )
    return cues, vectors.astype(np.float64)


def fit(cues: np.ndarray, vectors: np.ndarray, labels: np.ndarray, penalty: float) -> dict:
    """Weighted logistic loss + penalties, minimised with L-BFGS-B (cue factors bounded at zero)."""
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    n_cues, n_dims = cues.shape[1], vectors.shape[1]
    positives = labels.sum()
    weight = np.where(labels == 1, len(labels) / (2 * positives), len(labels) / (2 * (len(labels) - positives)))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        intercept, factors, w = theta[0], theta[1 : 1 + n_cues], theta[1 + n_cues :]
        logit = intercept + cues @ factors + centred @ w
        p = 1.0 / (1.0 + np.exp(-logit))
        value = np.sum(weight * (np.logaddexp(0, logit) - labels * logit)) / len(labels)
        value += CUE_PENALTY * np.sum((factors - 1) ** 2) / len(labels) + penalty * np.sum(w**2) / len(labels)
        residual = weight * (p - labels) / len(labels)
        grad = np.concatenate(
            [
                [residual.sum()],
                cues.T @ residual + 2 * CUE_PENALTY * (factors - 1) / len(labels),
                centred.T @ residual + 2 * penalty * w / len(labels),
            ]
        )
        return value, grad

    start = np.concatenate([[-1.3], np.ones(n_cues), np.zeros(n_dims)])
    bounds = [(None, None)] + [(CUE_FLOOR, None)] * n_cues + [(None, None)] * n_dims
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000})
    theta = result.x
    return {
        "intercept": float(theta[0]),
        "factors": theta[1 : 1 + n_cues],
        "weights": theta[1 + n_cues :],
        "mean": mean,
    }


def predict(model: dict, cues: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    return model["intercept"] + cues @ model["factors"] + (vectors - model["mean"]) @ model["weights"]


def best_cut(logits: np.ndarray, labels: np.ndarray) -> float:
    """The logit threshold with the best F1 over these predictions."""
    best_f1, best_threshold = -1.0, 0.0
    for threshold in np.unique(np.round(logits, 2)):
        predicted = logits >= threshold
        tp = float(np.sum(predicted & (labels == 1)))
        f1 = 2 * tp / (predicted.sum() + labels.sum()) if tp else 0.0
        if f1 > best_f1:
            best_f1, best_threshold = f1, float(threshold)
    return best_threshold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=checkworthiness.MODEL_PATH)
    args = parser.parse_args()

    documents = [document for document in load() if document.split == "train"]
    texts, languages, labels, groups = [], [], [], []
    files = sorted({document.file for document in documents})
    for document in documents:
        for text, label in zip(document.texts, document.labels, strict=True):
            texts.append(text)
            languages.append(document.language)
            labels.append(label)
            groups.append(files.index(document.file))
    labels_array, groups_array = np.asarray(labels, dtype=np.float64), np.asarray(groups)
    print(f"train split: {len(documents)} documents, {len(texts)} texts, {int(labels_array.sum())} check-worthy")
    cues, vectors = features(texts, languages)

    folds = list(GroupKFold(n_splits=len(files)).split(vectors, labels_array, groups_array))
    scores, out_of_file = {}, {}
    for penalty in PENALTIES:
        per_file = []
        logits = np.zeros(len(texts))
        for train, held in folds:
            model = fit(cues[train], vectors[train], labels_array[train], penalty)
            logits[held] = predict(model, cues[held], vectors[held])
            per_file.append(float(average_precision_score(labels_array[held], logits[held])))
        out_of_file[penalty] = logits
        scores[penalty] = float(np.mean(per_file))
        print(
            f"  penalty {penalty:>6}: AP on each held-out file {' '.join(f'{ap:.3f}' for ap in per_file)}, mean {scores[penalty]:.3f}"
        )
    best = max(scores, key=scores.get)
    model = fit(cues, vectors, labels_array, best)
    # Calibrate the cut: shift the intercept so that a score of 0.5 sits where the held-out files' F1 peaks.
    shift = best_cut(out_of_file[best], labels_array)
    model["intercept"] -= shift

    payload = {
        "model": "logistic regression over cue strengths and a multilingual-e5-small embedding",
        "embedding_model": embeddings.MODEL,
        "trained": dt.date.today().isoformat(),
        "training_data": [str(path.relative_to(ROOT)) for path in FILES],
        "training_split": {"documents": len(documents), "texts": len(texts), "positives": int(labels_array.sum())},
        "l2_penalty": best,
        "cut_shift": round(shift, 4),
        "held_out_file_ap": round(scores[best], 4),
        "intercept": round(model["intercept"], 6),
        "cue_factors": {code: round(float(f), 4) for code, f in zip(CUE_CODES, model["factors"], strict=True)},
        "embedding_mean": [round(float(x), 6) for x in model["mean"]],
        "embedding_weights": [round(float(x), 5) for x in model["weights"]],
    }
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(
        f"penalty {best}: mean AP on held-out files {scores[best]:.3f}; cut shifted by {shift:+.2f}; wrote {args.out.relative_to(ROOT)}"
    )
    print("cue factors: " + ", ".join(f"{code} {factor}" for code, factor in payload["cue_factors"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
