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

from claims.migrations._vectors import convert_vectors

OLD_MODEL = "multilingual-e5-small-q4-neutral32"
NEW_MODEL = "multilingual-e5-small-q4-neutral32-centred"
SPACE = Path(__file__).resolve().parent.parent / "matching" / "language_directions.npz"


def centred_vectors(apps, schema_editor):
    with np.load(SPACE, allow_pickle=False) as data:
        centre = np.asarray(data["centre"], dtype=np.float32)
    convert_vectors(apps, schema_editor, OLD_MODEL, NEW_MODEL, lambda v: v - centre)


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_language_neutral_vectors")]

    operations = [migrations.RunPython(centred_vectors, migrations.RunPython.noop, elidable=True)]
