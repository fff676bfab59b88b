"""Migrations: they agree with the models, run both ways, are idempotent, refuse newer schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import monitor
from monitor.db import migrate
from monitor.db.models import Base
from monitor.errors import DatabaseError

MODEL_TABLES = {
    "feeds",
    "items",
    "articles",
    "story_clusters",
    "entities",
    "claims",
    "mentions",
    "evidence",
    "claim_events",
    "outbox_events",
    "channel_state",
    "deliveries",
}


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_creates_the_schema_the_models_describe(fresh_engine: Engine) -> None:
    assert migrate.current_revision(fresh_engine) is None
    migrate.upgrade(fresh_engine)
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()
    assert _tables(fresh_engine) == MODEL_TABLES | {"alembic_version"}
    assert _schema_diff(fresh_engine) == []


def test_compare_metadata_notices_a_difference(fresh_engine: Engine) -> None:
    # The agreement test above must be able to fail: drop an index and it must be reported.
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_articles_fp_band2"))
    diff = _schema_diff(fresh_engine)
    assert [entry[0] for entry in diff] == ["add_index"]  # type: ignore[index]


def test_downgrade_to_base_and_upgrade_again(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    migrate.downgrade(fresh_engine, "base")
    assert migrate.current_revision(fresh_engine) is None
    assert _tables(fresh_engine) <= {"alembic_version"}
    migrate.upgrade(fresh_engine)
    assert _schema_diff(fresh_engine) == []


def test_upgrade_is_idempotent_and_keeps_data(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO feeds (url, source, active, next_check_at, created_at) "
                "VALUES ('https://example.org/feed', 'cli', true, :t, :t)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
    migrate.upgrade(fresh_engine)
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM feeds")).scalar_one() == 1
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()


def test_a_failed_upgrade_leaves_the_database_untouched(fresh_engine: Engine) -> None:
    """RELIABILITY row 57: the upgrade is one transaction, DDL included, on both databases."""
    with fresh_engine.begin() as connection:
        connection.execute(text("CREATE TABLE items (clash INTEGER)"))  # the last table 0001 makes
    with pytest.raises(DatabaseError, match="database upgrade failed"):
        migrate.upgrade(fresh_engine)
    assert _tables(fresh_engine) == {"items"}  # feeds, articles, ... rolled back
    assert migrate.current_revision(fresh_engine) is None


def test_a_newer_unknown_revision_is_refused_clearly(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_future'"))
    with pytest.raises(DatabaseError) as caught:
        migrate.upgrade(fresh_engine)
    message = str(caught.value)
    assert "'9999_from_future'" in message
    assert "newer monitor" in message
    assert monitor.__version__ in message
    # Nothing was changed by the refused upgrade.
    assert migrate.current_revision(fresh_engine) == "9999_from_future"


def test_sqlite_foreign_keys_are_back_on_after_migrating(tmp_path: Path) -> None:
    from monitor.db.engine import create_engine_for

    engine = create_engine_for(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        engine.dispose()


def test_head_revision_is_the_latest_migration() -> None:
    assert migrate.head_revision() == "0004"


def _scripts(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "env.py").write_text("")
    return root


def test_script_location_prefers_the_bundled_copy(tmp_path: Path) -> None:
    package = tmp_path / "site" / "monitor"
    bundled = _scripts(package / "bundled" / "alembic")
    _scripts(tmp_path / "site" / "alembic")
    assert migrate.find_script_location(package) == bundled


def test_script_location_falls_back_to_the_repository(tmp_path: Path) -> None:
    package = tmp_path / "repo" / "monitor"
    package.mkdir(parents=True)
    repo_scripts = _scripts(tmp_path / "repo" / "alembic")
    assert migrate.find_script_location(package) == repo_scripts


def test_script_location_missing_is_a_database_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="migration scripts not found"):
        migrate.find_script_location(tmp_path / "monitor")


def test_script_location_of_this_checkout_has_the_migrations() -> None:
    location = migrate.script_location()
    assert (location / "env.py").is_file()
    assert list((location / "versions").glob("0001_*.py"))
    # No __init__.py: a package named alembic would shadow the library.
    assert not (location / "__init__.py").exists()
    assert not (location / "versions" / "__init__.py").exists()
