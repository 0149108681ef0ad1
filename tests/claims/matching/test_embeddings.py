"""The embedding engine: one thread per process runs every encode, whoever asks and from wherever."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from claims.matching import embeddings

TEXTS = [f"Rainfall in region {n} fell by {n * 7}% last year, the lowest since {1950 + n}." for n in range(8)]


def test_embedding_soon_gives_what_embedding_gives():
    pending = embeddings.embed_soon(TEXTS[:2])
    np.testing.assert_array_equal(pending.result(timeout=120), embeddings.embed(TEXTS[:2]))


def test_texts_embedded_from_many_threads_at_once_each_get_their_own_vector():
    alone = np.vstack([embeddings.embed([text]) for text in TEXTS])
    with ThreadPoolExecutor(len(TEXTS)) as pool:
        together = np.vstack(list(pool.map(lambda text: embeddings.embed([text]), TEXTS)))
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert np.all(alone @ alone.T - np.eye(len(TEXTS)) < 0.999)  # distinct texts, distinct vectors


def test_nothing_to_embed_is_an_empty_matrix():
    assert embeddings.embed([]).shape == (0, embeddings.DIMENSIONS)
