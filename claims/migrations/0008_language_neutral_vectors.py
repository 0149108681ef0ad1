"""Stored claim vectors become language-neutral without running the model again.

The matching vectors are now the model's vectors less the directions that say which language a
text is in (``claims/matching/language_directions.npz``). A vector of the old kind holds all it
takes: the projection is applied to it here, so an upgraded desk matches every claim at once
instead of waiting for the sweep to embed them all again. Claims keep their ``matched`` flag
(their earlier matches stand). Going back leaves the rows as they are: older code sees another
model's vectors and embeds those claims again.
"""

from pathlib import Path

import numpy as np
from django.db import migrations

from claims.migrations._vectors import convert_vectors

OLD_MODEL = "multilingual-e5-small-q4"
NEW_MODEL = "multilingual-e5-small-q4-neutral32"
DIRECTIONS = Path(__file__).resolve().parent.parent / "matching" / "language_directions.npz"


def neutral_vectors(apps, schema_editor):
    with np.load(DIRECTIONS, allow_pickle=False) as data:
        directions = np.asarray(data["directions"], dtype=np.float32)
    convert_vectors(apps, schema_editor, OLD_MODEL, NEW_MODEL, lambda v: v - (v @ directions.T) @ directions)


class Migration(migrations.Migration):
    dependencies = [("claims", "0007_tip_notifications")]

    operations = [migrations.RunPython(neutral_vectors, migrations.RunPython.noop, elidable=True)]
