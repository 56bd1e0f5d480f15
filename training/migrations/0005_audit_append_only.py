"""The audit trail is append-only in PostgreSQL too (等保 2.0 8.1.4.3).

Triggers refuse every UPDATE of an entry, and every DELETE of an entry younger than the
minimum retention; the nightly retention task deletes only older ones. The one UPDATE let
through is Django's ``on_delete=SET_NULL`` when an account is deleted: it clears ``user_id``
and changes nothing else (the entry keeps the user name). TRUNCATE is left to the table's
owner (test databases are flushed with it). SQLite gets nothing: the ORM guard applies.
"""

from django.db import migrations

# Equal to settings.AUDIT_RETENTION_MINIMUM_DAYS (a test holds the two together).
MINIMUM_RETENTION_DAYS = 180

FUNCTION = "training_auditentry_append_only"
TRIGGERS = ("training_auditentry_no_update", "training_auditentry_no_early_delete")


def _table(apps) -> str:
    return apps.get_model("training", "AuditEntry")._meta.db_table


def create_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                IF OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
                   AND to_jsonb(NEW) - 'user_id' = to_jsonb(OLD) - 'user_id' THEN
                    RETURN NEW;  -- the account was deleted; the entry keeps its user name
                END IF;
                RAISE EXCEPTION 'the audit trail is append-only: UPDATE of entry % refused', OLD.id;
            END IF;
            IF OLD.at > now() - interval '{MINIMUM_RETENTION_DAYS} days' THEN
                RAISE EXCEPTION 'the audit trail is append-only: entry % is younger than {MINIMUM_RETENTION_DAYS} days',
                    OLD.id;
            END IF;
            RETURN OLD;
        END;
        $$
    """, params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGERS[0]} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        params=None,
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGERS[1]} BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        params=None,
    )


def drop_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    for trigger in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}", params=None)
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0004_grants_and_audit"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
