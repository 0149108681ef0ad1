"""Upgrading a desk: stored vectors of older kinds become today's in place (claims/0008, claims/0009), no model run."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from claims.matching import embeddings
from claims.matching import services as matching
from claims.matching.posts import prepare
from claims.models import ClaimEmbedding
from tests.factories import ClaimFactory

BEFORE = ("claims", "0007_tip_notifications")
NEUTRAL = ("claims", "0008_language_neutral_vectors")
AFTER = ("claims", "0009_centred_vectors")
TEXTS = [
    "Germany closed its last three nuclear power plants in April 2023.",
    "A vacina da Covid causa AIDS, segundo estudo britânico.",
    "أبراج الجيل الخامس تسبب الصداع والأرق.",
]


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def store_as(before: tuple[str, str], model: str, claims, vectors: np.ndarray) -> None:
    """The desk as it was at migration ``before``: ``claims`` embedded, and matched, by ``model``."""
    migrate(before)
    ClaimEmbedding.objects.filter(claim__in=claims).delete()
    ClaimEmbedding.objects.bulk_create(
        ClaimEmbedding(claim=claim, text_key=claim.text_key, model=model, vector=embeddings.to_bytes(v), matched=True)
        for claim, v in zip(claims, vectors, strict=True)
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["model", "neutral"])
def test_older_vectors_become_todays_without_embedding_again(kind):
    claims = [ClaimFactory(text=text) for text in TEXTS]
    prepared = [prepare(claim.text, claim.language).text for claim in claims]
    raw = embeddings.model_vectors(prepared)
    if kind == "model":  # the model's own vectors, before 0008
        store_as(BEFORE, embeddings.MODEL, claims, raw)
    else:  # language-neutral, not yet centred, before 0009
        neutral = embeddings.matching_vectors(raw, embeddings.language_directions(), None)
        store_as(NEUTRAL, f"{embeddings.MODEL}-neutral32", claims, neutral)
    migrate(AFTER)

    rows = {row.claim_id: row for row in ClaimEmbedding.objects.filter(claim__in=claims)}
    expected = embeddings.embed(prepared)
    for claim, vector in zip(claims, expected, strict=True):
        row = rows[claim.pk]
        assert (row.model, row.matched, row.text_key) == (embeddings.MODEL_NAME, True, claim.text_key)
        np.testing.assert_allclose(embeddings.from_bytes(row.vector), vector, atol=5e-3)
    assert not matching.claims_unmatched().filter(pk__in=[claim.pk for claim in claims]).exists()  # nothing to redo
