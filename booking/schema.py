"""Migration operations for the bookings table on SQLite, the embedded database of `make run`.

SQLite adds a NOT NULL column by rebuilding the table from the model's state, indexes included, and the
bookings table has a PostgreSQL-only index (the trigram name search, migration 0008) that SQLite cannot
build. Columns are therefore added to it in place on SQLite (ALTER TABLE ... ADD COLUMN, with the default
SQLite keeps for existing rows); on PostgreSQL this is Django's own AddField.
"""

from django.db import migrations


class AddFieldInPlace(migrations.AddField):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        quote = schema_editor.quote_name
        null = "NULL" if field.null else f"NOT NULL DEFAULT {schema_editor.quote_value(field.get_default())}"
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} ADD COLUMN {quote(field.column)} "
            f"{field.db_type(schema_editor.connection)} {null}"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        quote = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} DROP COLUMN {quote(field.column)}")
