"""Shared test configuration: fixtures live in their own modules, loaded here as plugins."""

pytest_plugins = [
    "tests.fixtures_paths",
    "tests.fixtures_http",
    "tests.fixtures_db",
    "tests.fixtures_cli",
    "tests.fixtures_pipeline",
]
