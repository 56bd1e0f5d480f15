"""Fast bulk inserts for generated rows (the district generator, full roll-ups)."""

from django.db import connection


class BulkWriter:
    """Writes rows into one table: COPY on PostgreSQL, executemany elsewhere.

    Columns are model field columns, quoted by the backend; values are parameters, never
    spliced into SQL.
    """

    BATCH = 20_000

    def __init__(self, model, fields: list[str]):
        self.model = model
        self.columns = [model._meta.get_field(name).column for name in fields]
        self.rows: list[tuple] = []
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.column_sql = ", ".join(quote(column) for column in self.columns)
        self.count = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({self.column_sql}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({self.column_sql}) VALUES ({placeholders})", self.rows
                )
        self.count += len(self.rows)
        self.rows = []
