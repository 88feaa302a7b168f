"""The relational warehouse: engines, migrations, views, idempotent loads and trend queries."""
