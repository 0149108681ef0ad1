"""Indexes that serve the review queue in its exact order (``reviews.selectors.queue_new``).

``claim_take_queue`` holds the new claims in the queue's order (priority desc, created_at, id),
so that taking the next claim reads index entries in order and stops at the first one it may
lock, instead of reading a whole run of equal (priority, created_at) keys to sort on ``id``.
``claim_take_queue_family`` does the same per language family (``split_part(lower(language),
'-', 1)``, the expression of ``reviews.selectors.LanguageFamily``): a fact-checker working in
English reads only English claims, however many claims in other languages wait ahead of them.

Both are partial (``status = 'new'``): a claim leaves them when it is taken. They are built
concurrently on PostgreSQL, so that a deployment does not block intake while they are built.
SQLite gets the first one only (it has no ``split_part``).
"""

from django.db import migrations

QUEUE = "claim_take_queue"
FAMILY = "claim_take_queue_family"
WHERE = "WHERE status = 'new'"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    concurrently = "CONCURRENTLY " if vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {QUEUE} ON claims_claim (priority DESC, created_at, id) {WHERE}"
    )
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {FAMILY} ON claims_claim"
            f" (split_part(lower(language), '-', 1), priority DESC, created_at, id) {WHERE}"
        )


def drop(apps, schema_editor):
    for name in (FAMILY, QUEUE):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("reviews", "0005_published_state"),
        ("claims", "0004_articles"),
    ]
    operations = [migrations.RunPython(create, drop)]
