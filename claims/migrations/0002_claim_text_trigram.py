"""Trigram indexes so that substring search over claim texts does not scan every claim (PostgreSQL only).

Django's ``icontains`` becomes ``UPPER(col) LIKE UPPER('%word%')``, which a GIN index on
``UPPER(col) gin_trgm_ops`` serves. Creating the pg_trgm extension needs a privileged role;
where it cannot be created the search still works, only more slowly.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "claim_text_trgm": "claims_claim (UPPER(text) gin_trgm_ops)",
    "claim_claimant_trgm": "claims_claim (UPPER(claimant) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:
        logger.warning("pg_trgm is not available: text search will scan claims")
        return
    for name, target in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target.split(' ', 1)[0]} USING gin {target.split(' ', 1)[1]}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
