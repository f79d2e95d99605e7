"""Alembic environment: online migrations only, one transaction per run."""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from handoff.store import queue_schema
from handoff.store.migrate import CONNECT_ARGS

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
engine = create_engine(
    url, poolclass=NullPool, connect_args=context.config.attributes.get(CONNECT_ARGS, {})
)
with engine.connect() as connection:
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        # Two processes migrating at once (two `handoff up`s) take turns.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7245001)")
        context.run_migrations()
        # The queue library's schema follows its pinned version, in the same transaction.
        queue_schema.upgrade(connection.connection.driver_connection)
engine.dispose()
