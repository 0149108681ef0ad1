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


def test_the_shipped_language_directions_are_orthonormal():
    directions = embeddings.language_directions()
    assert directions.shape == (32, embeddings.DIMENSIONS)
    np.testing.assert_allclose(directions @ directions.T, np.eye(len(directions)), atol=1e-5)


def test_vectors_keep_nothing_along_the_language_directions():
    directions = embeddings.language_directions()
    neutral, raw = embeddings.embed(TEXTS[:4]), embeddings.model_vectors(TEXTS[:4])
    np.testing.assert_allclose(np.linalg.norm(neutral, axis=1), 1.0, atol=1e-5)
    assert np.abs(neutral @ directions.T).max() < 1e-5
    assert np.abs(raw @ directions.T).max() > 0.05  # the model's own vectors do say which language they are in


def test_the_centre_is_taken_off_so_unrelated_claims_are_no_longer_near_each_other():
    centre = embeddings.centre()
    assert abs(np.linalg.norm(centre) - 0.89) < 0.05  # most of a model vector is what all texts share
    assert np.abs(embeddings.language_directions() @ centre).max() < 1e-5
    english = [fact_check for fact_check, _, _ in CROSS_LANGUAGE]
    unrelated, raw = embeddings.embed(english), embeddings.model_vectors(english)
    off_diagonal = ~np.eye(len(unrelated), dtype=bool)
    assert (raw @ raw.T)[off_diagonal].min() > 0.7  # the model's own cosines: every pair looks related
    assert np.abs((unrelated @ unrelated.T)[off_diagonal]).max() < 0.5  # two coronavirus claims: 0.41
    assert np.abs((unrelated @ unrelated.T)[off_diagonal]).mean() < 0.3


# An English fact-check, its restatement in another language, and a claim in that language about something else.
CROSS_LANGUAGE = [
    (
        "Drinking hot water kills the coronavirus in the throat.",
        "Beber água quente mata o coronavírus na garganta.",
        "O governo vai acabar com o décimo terceiro salário no ano que vem.",
    ),
    (
        "5G masts spread the coronavirus.",
        "أبراج الجيل الخامس تنشر فيروس كورونا",
        "العراق سيعطل الدراسة شهراً بسبب الحر.",
    ),
    (
        "Wind turbines kill more birds than cats do.",
        "Las turbinas eólicas matan más pájaros que los gatos.",
        "El precio de la gasolina subirá a tres euros el litro en enero.",
    ),
    (
        "The Maldives will be under water by 2030.",
        "Les Maldives seront sous l'eau d'ici 2030.",
        "La France va interdire les voitures diesel à Paris dès 2030.",
    ),
    (
        "Cows produce more greenhouse gases than all cars, planes and ships combined.",
        "Kühe produzieren mehr Treibhausgase als alle Autos, Flugzeuge und Schiffe zusammen.",
        "Deutschland verbietet ab nächstem Jahr den Verkauf von Benzinautos.",
    ),
]


def test_a_restatement_in_another_language_is_nearer_its_fact_check_than_its_own_language():
    margins = {}
    for vectors_of in (embeddings.model_vectors, embeddings.embed):
        margins[vectors_of.__name__] = []
        for fact_check, restated, other in CROSS_LANGUAGE:
            english, post, unrelated = vectors_of([fact_check, restated, other])
            margins[vectors_of.__name__].append(float(post @ english - post @ unrelated))
    assert all(margin > 0 for margin in margins["embed"])
    # Without the language part, every restatement moves nearer its fact-check than to its own language's claim.
    assert all(after > before for before, after in zip(margins["model_vectors"], margins["embed"], strict=True))
