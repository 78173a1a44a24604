# The admin's order search matches part of a reference or an e-mail address (UPPER(...) LIKE
# '%word%'), which no b-tree index serves: at 100,000 orders it read every row. On PostgreSQL a
# trigram index each makes it an index scan (issue 10, "Admin at scale"). Other databases, and a
# PostgreSQL where pg_trgm may not be created (no privilege), keep the scan: the app works the same.

from django.db import migrations

INDEXES = {
    "secu_order_reference_trgm": "reference",
    "secu_order_email_trgm": "email",
}


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SAVEPOINT secu_trgm")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # no privilege to create it: the search scans, as before
            cursor.execute("ROLLBACK TO SAVEPOINT secu_trgm")
            return
        cursor.execute("RELEASE SAVEPOINT secu_trgm")
        for name, column in INDEXES.items():
            # The expression Django's icontains compiles to, so the planner can use it.
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "secu_marketplace_order" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("secu_marketplace", "0002_admin_list_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
