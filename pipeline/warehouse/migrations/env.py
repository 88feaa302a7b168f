"""Alembic environment: runs on the connection newsmon hands over (or on sqlalchemy.url from alembic.ini)."""

from typing import cast

from alembic import context
from sqlalchemy import create_engine

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
else:
    # alembic.ini sets it; were it missing, create_engine would refuse the None with its own error
    engine = create_engine(cast(str, config.get_main_option("sqlalchemy.url")))
    with engine.begin() as conn:
        context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
