"""Schema migrations: Alembic configured in code (no alembic.ini); upgrades run in one transaction.

Does database I/O (and reads the migration scripts from disk). To write the next migration,
change the models, then with a connection to a database at head run
`alembic.command.revision(alembic_config(connection), "what", autogenerate=True, rev_id="0002")`,
review the file it writes under alembic/versions/, and `ruff format` it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

import monitor
from monitor.db.engine import is_sqlite
from monitor.errors import DatabaseError

# Any constant: PostgreSQL sessions upgrading at once take turns on this advisory lock.
_PG_MIGRATION_LOCK = 0x6D6F6E69746F72


def find_script_location(package_dir: Path) -> Path:
    """The migration scripts for the `monitor` package installed at `package_dir`.

    Wheels carry a copy at monitor/bundled/alembic; editable installs and checkouts use the
    repository's alembic/ beside the package.
    """
    for candidate in (package_dir / "bundled" / "alembic", package_dir.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise DatabaseError(f"migration scripts not found beside {package_dir}; reinstall monitor")


def script_location() -> Path:
    return find_script_location(Path(monitor.__file__).resolve().parent)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code; `connection`, if given, is the one env.py migrates."""
    config = Config()
    # Config values go through ConfigParser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(script_location()).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise DatabaseError("no migration scripts found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read the schema revision: {_first_line(exc)}") from exc


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision, all in one transaction (a no-op when current).

    Raises DatabaseError when the database is at a revision this code does not know (written by
    a newer monitor), or when the upgrade fails; a failed upgrade leaves the schema untouched.
    """
    _run(engine, "head", upgrading=True)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema back to `revision` ('base': no tables), in one transaction."""
    _run(engine, revision, upgrading=False)


def _run(engine: Engine, target: str, *, upgrading: bool) -> None:
    try:
        with (
            engine.connect() as connection,
            _sqlite_foreign_keys_off(connection),
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            config = alembic_config(connection)
            _refuse_unknown_revision(connection, ScriptDirectory.from_config(config))
            if upgrading:
                command.upgrade(config, target)
            else:
                command.downgrade(config, target)
            if is_sqlite(connection):
                _check_sqlite_foreign_keys(connection)
    except (SQLAlchemyError, CommandError) as exc:
        action = "upgrade" if upgrading else "downgrade"
        raise DatabaseError(f"database {action} failed: {_first_line(exc)}") from exc


def _refuse_unknown_revision(connection: Connection, script: ScriptDirectory) -> None:
    known = {rev.revision for rev in script.walk_revisions()}
    for revision in MigrationContext.configure(connection).get_current_heads():
        if revision not in known:
            raise DatabaseError(
                f"the database schema is at revision {revision!r}, which this version of "
                f"monitor ({monitor.__version__}, newest revision {script.get_current_head()!r}) "
                "does not know: a newer monitor has upgraded it. Run that newer version, or "
                "restore a backup taken before the upgrade."
            )


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating (a batch table copy would fire ON DELETE
    CASCADE), back on afterwards. The pragma is a no-op inside a transaction, so it is sent on
    the raw connection before BEGIN."""
    if not is_sqlite(connection):
        yield
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid = broken[0][0], broken[0][1]
        raise DatabaseError(
            f"migration left {len(broken)} broken foreign key(s), e.g. {table} row {rowid}"
        )


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    message = str(original if original is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
