"""A cursor for the few hot statements that PostgreSQL should plan once per connection."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def prepared_cursor():
    """A cursor whose statements PostgreSQL prepares after their second use on a kept connection.

    Django's cursors bind parameters on the client, so psycopg never prepares what they run (and
    the ORM keeps working behind a transaction-pooling PgBouncer). A server-binding cursor on the
    same connection lets psycopg prepare a statement once ``prepare_threshold`` is reached
    (``DATABASE_PREPARED_STATEMENTS``), which skips planning for the QR check-in's two statements.
    Queries are still logged and counted as Django's own. Other databases get the usual cursor.
    """
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    with connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw) as cursor:
        yield cursor
