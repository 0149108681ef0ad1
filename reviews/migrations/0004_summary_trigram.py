"""A trigram index on verdict summaries, for text search (PostgreSQL only; see claims 0002)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return  # the extension could not be created: search works without the index
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS verdictversion_summary_trgm "
        "ON reviews_verdictversion USING gin (UPPER(summary) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS verdictversion_summary_trgm")


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_verdict_published_index"), ("claims", "0002_claim_text_trigram")]
    operations = [migrations.RunPython(create, drop)]
