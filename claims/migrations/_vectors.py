"""Shared by the migrations that convert stored claim vectors in place (claims/0008, claims/0009).

A module of the migrations package, not of the app: what it does is frozen with them, whatever
``claims.matching`` becomes later. Django's migration loader skips modules named with a leading
underscore, so this is not a migration itself.
"""

from collections.abc import Callable

import numpy as np
from django.utils import timezone

BATCH = 1_000


def convert_vectors(apps, schema_editor, old_model: str, new_model: str, convert: Callable[[np.ndarray], np.ndarray]):
    """Every ``old_model`` row becomes a ``new_model`` row holding ``convert(vectors)``, normalised; ``matched`` kept."""
    ClaimEmbedding = apps.get_model("claims", "ClaimEmbedding")
    rows = ClaimEmbedding.objects.using(schema_editor.connection.alias).filter(model=old_model)
    last = 0
    while batch := list(rows.filter(pk__gt=last).order_by("pk")[:BATCH]):
        vectors = np.vstack([np.frombuffer(bytes(row.vector), dtype=np.float16).astype(np.float32) for row in batch])
        vectors = convert(vectors)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        now = timezone.now()  # matching processes read the rows changed since their last look
        for row, vector in zip(batch, vectors, strict=True):
            row.vector, row.model, row.updated_at = vector.astype(np.float16).tobytes(), new_model, now
        ClaimEmbedding.objects.using(schema_editor.connection.alias).bulk_update(
            batch, ["vector", "model", "updated_at"], batch_size=BATCH
        )
        last = batch[-1].pk
