"""What the read API needs from the database to be fast (PostgreSQL only; SQLite keeps the slower paths).

1. A version number of everything the read API shows, bumped by the database itself.

``reviews_published_state`` holds one row whose ``version`` takes a new value (from a
sequence, so a value is never reused, not even after a rollback) in the same transaction
as any change that a published verdict's payload, page or search result shows: verdicts,
their published versions, public corrections and retractions, the rating scale, the
claims behind them (text, claimant, dates, language, status), their tags, citations and
cited sources (URL, title, archived copy), and the names of authors and editors.

Statement-level triggers do it, so that queryset updates and raw SQL (the fetch
pipeline's, an admin's) count too, and a statement touching many rows bumps once. Each
trigger looks at the rows it changed (transition tables) and bumps only when one of them
is public, so the intake and the review queue do not invalidate the read API's caches.
``reviews.published.published_set_version`` reads the row; where it is missing (SQLite)
the API falls back to per-page fingerprints.

2. ``reviews_verdict.search_document``, a tsvector of the claim's text and claimant and the
published summary, kept current by triggers and indexed with GIN, for
``reviews.published.text_search``. The column is the database's, not the model's: Django
never reads or writes it.
"""

from django.conf import settings
from django.db import migrations

PUBLIC = "('published', 'retracted')"
PUBLIC_ACTIONS = "('correct', 'retract')"
# SQL below is assembled from this module's constants and model table names only.
PUBLIC_CLAIM = "EXISTS (SELECT 1 FROM claims_claim c WHERE c.id = {row}.claim_id AND c.status IN " + PUBLIC + ")"
CITED_BY_PUBLIC_CLAIM = (
    "EXISTS (SELECT 1 FROM claims_citation ci JOIN claims_claim c ON c.id = ci.claim_id"
    " WHERE ci.source_id = {row}.id AND c.status IN " + PUBLIC + ")"
)
PUBLISHED_VERSION = "EXISTS (SELECT 1 FROM reviews_verdict v WHERE v.published_version_id = {row}.id)"


# table -> (when a row is public, with {row} for the row; the columns readers see; the events watched).
# An insert or a delete bumps when a public row is among its rows; an update when the public rows'
# (id, columns) differ before and after. Set differences (EXCEPT) rather than a join of the two
# transition tables, which have no statistics: a nested loop over a 100,000-row update never ends.
WATCHED = {
    "reviews_verdict": (
        "{row}.published_version_id IS NOT NULL",
        ("published_version_id", "published_at", "updated_at", "retracted_at", "slug", "claim_id"),
        ("insert", "update", "delete"),
    ),
    "reviews_verdictversion": (  # a new version shows only once a verdict points to it
        PUBLISHED_VERSION,
        ("rating_id", "summary", "analysis", "evidence", "author_id", "approved_by_id", "number"),
        ("update", "delete"),
    ),
    "reviews_workflowevent": (
        "{row}.public AND {row}.action IN " + PUBLIC_ACTIONS,
        ("public", "action", "comment", "created_at", "claim_id"),
        ("insert", "update", "delete"),
    ),
    "reviews_rating": ("TRUE", ("slug", "label", "value", "definition", "active"), ("insert", "update", "delete")),
    "claims_claim": (
        "{row}.status IN " + PUBLIC,
        ("status", "text", "claimant", "claim_date", "appeared_at", "language"),
        ("insert", "update", "delete"),
    ),
    "claims_source": (CITED_BY_PUBLIC_CLAIM, ("url", "title", "fetched_at"), ("update", "delete")),
    "claims_citation": (PUBLIC_CLAIM, ("claim_id", "source_id"), ("insert", "update", "delete")),
    "claims_claim_tags": (PUBLIC_CLAIM, ("claim_id", "tag_id"), ("insert", "update", "delete")),
    "claims_tag": ("TRUE", ("name",), ("update", "delete")),
    "{user}": ("TRUE", ("username", "first_name", "last_name"), ("update",)),
}

BUMP = [
    "CREATE SEQUENCE IF NOT EXISTS reviews_published_version_seq",
    "CREATE TABLE IF NOT EXISTS reviews_published_state (id smallint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)",
    "INSERT INTO reviews_published_state (id, version)"
    " VALUES (1, nextval('reviews_published_version_seq')) ON CONFLICT (id) DO NOTHING",
    """CREATE OR REPLACE FUNCTION reviews_published_bump() RETURNS void LANGUAGE sql AS $$
    UPDATE reviews_published_state SET version = nextval('reviews_published_version_seq') WHERE id = 1
$$""",
]


# Full-text search over what text search has always read: the claim's text and claimant and the
# published version's summary, in the 'simple' configuration (lower-cased words, no stemming, no
# stop words: claims come in many languages). Kept current by row triggers; indexed with GIN.
SEARCH = [
    "ALTER TABLE reviews_verdict ADD COLUMN IF NOT EXISTS search_document tsvector",
    """CREATE OR REPLACE FUNCTION reviews_verdict_search_document(claim bigint, version bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT to_tsvector('simple', c.text || ' ' || c.claimant || ' ' || COALESCE(vv.summary, ''))
        FROM claims_claim c LEFT JOIN reviews_verdictversion vv ON vv.id = version WHERE c.id = claim
    $$""",
    """CREATE OR REPLACE FUNCTION reviews_verdict_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_document := CASE WHEN NEW.published_version_id IS NOT NULL
            THEN reviews_verdict_search_document(NEW.claim_id, NEW.published_version_id) END;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER reviews_verdict_search BEFORE INSERT OR UPDATE OF claim_id, published_version_id"
    " ON reviews_verdict FOR EACH ROW EXECUTE FUNCTION reviews_verdict_search_row()",
    """CREATE OR REPLACE FUNCTION claims_claim_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE reviews_verdict v SET search_document = reviews_verdict_search_document(v.claim_id, v.published_version_id)
        WHERE v.claim_id = NEW.id AND v.published_version_id IS NOT NULL;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER claims_claim_search AFTER UPDATE OF text, claimant ON claims_claim FOR EACH ROW"
    " WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.claimant IS DISTINCT FROM NEW.claimant)"
    " EXECUTE FUNCTION claims_claim_search_changed()",
    """CREATE OR REPLACE FUNCTION reviews_verdictversion_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE reviews_verdict v SET search_document = reviews_verdict_search_document(v.claim_id, v.published_version_id)
        WHERE v.published_version_id = NEW.id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER reviews_verdictversion_search AFTER UPDATE OF summary ON reviews_verdictversion FOR EACH ROW"
    " WHEN (OLD.summary IS DISTINCT FROM NEW.summary) EXECUTE FUNCTION reviews_verdictversion_search_changed()",
    "UPDATE reviews_verdict SET search_document = reviews_verdict_search_document(claim_id, published_version_id)"
    " WHERE published_version_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS verdict_search_document ON reviews_verdict USING gin (search_document)",
]


def function_sql(table: str, public: str, columns: tuple[str, ...], events: tuple[str, ...]) -> str:
    def rows(transition: str, alias: str) -> str:
        selected = ", ".join(f"{alias}.{column}" for column in ("id", *columns))
        return f"SELECT {selected} FROM {transition} {alias} WHERE {public.format(row=alias)}"

    branches = ["IF TG_OP = 'TRUNCATE' THEN changed := TRUE;"]
    if "insert" in events:
        branches.append(f"ELSIF TG_OP = 'INSERT' THEN changed := EXISTS ({rows('new_rows', 'n')});")
    if "delete" in events:
        branches.append(f"ELSIF TG_OP = 'DELETE' THEN changed := EXISTS ({rows('old_rows', 'o')});")
    if "update" in events:
        branches.append(
            f"ELSIF TG_OP = 'UPDATE' THEN changed := EXISTS ({rows('new_rows', 'n')} EXCEPT {rows('old_rows', 'o')})"
            f" OR EXISTS ({rows('old_rows', 'o')} EXCEPT {rows('new_rows', 'n')});"
        )
    body = "\n        ".join([*branches, "END IF;"])
    return f"""
CREATE OR REPLACE FUNCTION {table}_published_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE changed boolean := FALSE;
    BEGIN
        {body}
        IF changed THEN PERFORM reviews_published_bump(); END IF;
        RETURN NULL;
    END
$$;
"""


def triggers_sql(table: str, events: tuple[str, ...]) -> list[str]:
    function = f"{table}_published_changed()"
    transitions = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    statements = [
        f"CREATE TRIGGER {table}_published_truncate AFTER TRUNCATE ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}"
    ]
    for event in events:
        statements.append(
            f"CREATE TRIGGER {table}_published_{event} AFTER {event.upper()} ON {table}"
            f" {transitions[event]} FOR EACH STATEMENT EXECUTE FUNCTION {function}"
        )
    return statements


def watched(apps) -> dict[str, tuple]:
    user_table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    return {table.format(user=user_table): conditions for table, conditions in WATCHED.items()}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BUMP:
        schema_editor.execute(statement)
    for statement in SEARCH:
        schema_editor.execute(statement)
    for table, (public, columns, events) in watched(apps).items():
        schema_editor.execute(function_sql(table, public, columns, events))
        for statement in triggers_sql(table, events):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in watched(apps):
        for event in ("truncate", "insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_published_{event} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_published_changed()")
    schema_editor.execute("DROP FUNCTION IF EXISTS reviews_published_bump()")
    schema_editor.execute("DROP TRIGGER IF EXISTS reviews_verdictversion_search ON reviews_verdictversion")
    schema_editor.execute("DROP TRIGGER IF EXISTS claims_claim_search ON claims_claim")
    schema_editor.execute("DROP TRIGGER IF EXISTS reviews_verdict_search ON reviews_verdict")
    for function in ("reviews_verdictversion_search_changed", "claims_claim_search_changed", "reviews_verdict_search_row"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    schema_editor.execute("DROP FUNCTION IF EXISTS reviews_verdict_search_document(bigint, bigint)")
    schema_editor.execute("ALTER TABLE reviews_verdict DROP COLUMN IF EXISTS search_document")
    schema_editor.execute("DROP TABLE IF EXISTS reviews_published_state")
    schema_editor.execute("DROP SEQUENCE IF EXISTS reviews_published_version_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_summary_trigram"),
        ("claims", "0002_claim_text_trigram"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [migrations.RunPython(create, drop)]
