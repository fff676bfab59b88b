"""Alembic environment for monitor: runs the migrations on a connection handed in by the app.

`monitor.db.migrate` configures Alembic in code (there is no alembic.ini) and passes an open
connection in `config.attributes["connection"]`; the migrations join its transaction. Given only a
`sqlalchemy.url` option instead, this opens its own engine (online) or writes SQL (offline).
Does database I/O.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from monitor.db.engine import create_engine_for
from monitor.db.models import Base

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later migrations copy and swap tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection or sqlalchemy.url given to the alembic environment")
    engine = create_engine_for(url)
    try:
        with engine.connect() as own_connection:
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
