"""Stored claim vectors lose what every text shares (the centre), without running the model again.

The matching vectors are now the language-neutral vectors less the ``centre`` of
``claims/matching/language_directions.npz``, normalised again. A vector of the previous kind holds
all it takes, so the conversion is done here and an upgraded desk matches every claim at once.
Claims keep their ``matched`` flag. Going back leaves the rows as they are: older code sees another
model's vectors and embeds those claims again.
"""

from pathlib import Path

import numpy as np
from django.db import migrations
from django.utils import timezone

OLD_MODEL = "multilingual-e5-small-q4-neutral32"
NEW_MODEL = "multilingual-e5-small-q4-neutral32-centred"
SPACE = Path(__file__).resolve().parent.parent / "matching" / "language_directions.npz"
BATCH = 1_000


def centred_vectors(apps, schema_editor):
    ClaimEmbedding = apps.get_model("claims", "ClaimEmbedding")
    rows = ClaimEmbedding.objects.using(schema_editor.connection.alias).filter(model=OLD_MODEL)
    if not rows.exists():
        return
    with np.load(SPACE, allow_pickle=False) as data:
        centre = np.asarray(data["centre"], dtype=np.float32)
    last = 0
    while batch := list(rows.filter(pk__gt=last).order_by("pk")[:BATCH]):
        vectors = np.vstack([np.frombuffer(bytes(row.vector), dtype=np.float16).astype(np.float32) for row in batch])
        vectors -= centre
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        now = timezone.now()  # matching processes read the rows changed since their last look
        for row, vector in zip(batch, vectors, strict=True):
            row.vector, row.model, row.updated_at = vector.astype(np.float16).tobytes(), NEW_MODEL, now
        ClaimEmbedding.objects.using(schema_editor.connection.alias).bulk_update(
            batch, ["vector", "model", "updated_at"], batch_size=BATCH
        )
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_language_neutral_vectors")]

    operations = [migrations.RunPython(centred_vectors, migrations.RunPython.noop, elidable=True)]
