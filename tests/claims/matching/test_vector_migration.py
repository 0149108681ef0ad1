"""Upgrading a desk: stored vectors of the model's own kind become language-neutral in place (claims/0008)."""

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
AFTER = ("claims", "0008_language_neutral_vectors")
TEXTS = [
    "Germany closed its last three nuclear power plants in April 2023.",
    "A vacina da Covid causa AIDS, segundo estudo britânico.",
    "أبراج الجيل الخامس تسبب الصداع والأرق.",
]


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_old_vectors_are_made_language_neutral_without_embedding_again():
    claims = [ClaimFactory(text=text) for text in TEXTS]
    prepared = [prepare(claim.text, claim.language).text for claim in claims]
    migrate(BEFORE)
    ClaimEmbedding.objects.filter(claim__in=claims).delete()
    ClaimEmbedding.objects.bulk_create(
        ClaimEmbedding(
            claim=claim,
            text_key=claim.text_key,
            model=embeddings.MODEL,
            vector=embeddings.to_bytes(vector),
            matched=True,
        )
        for claim, vector in zip(claims, embeddings.model_vectors(prepared), strict=True)
    )
    migrate(AFTER)

    rows = {row.claim_id: row for row in ClaimEmbedding.objects.filter(claim__in=claims)}
    expected = embeddings.embed(prepared)
    for claim, vector in zip(claims, expected, strict=True):
        row = rows[claim.pk]
        assert (row.model, row.matched, row.text_key) == (embeddings.MODEL_NAME, True, claim.text_key)
        np.testing.assert_allclose(embeddings.from_bytes(row.vector), vector, atol=3e-3)
    assert not matching.claims_unmatched().filter(pk__in=[claim.pk for claim in claims]).exists()  # nothing to redo
