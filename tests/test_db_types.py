"""Pure helpers of the db package: column type conversions, hashing, chunking, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect

from monitor.db.articles import hamming_distance, to_signed64
from monitor.db.chunking import chunks
from monitor.db.hashing import sha256_hex
from monitor.db.types import UTCDateTime, clean_text

PLUS_2 = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("plain", "plain"),
        ("a\x00b\x00", "ab"),
        ("lone \ud800 high", "lone \ufffd high"),
        ("lone \udfff low", "lone \ufffd low"),
        ("emoji 🚀 and 日本", "emoji 🚀 and 日本"),
        ("\r\n\t\x01\x7f", "\r\n\t\x01\x7f"),  # other control characters are kept
    ],
)
def test_clean_text(value: str, expected: str) -> None:
    assert clean_text(value) == expected


@pytest.mark.parametrize(
    "dialect",
    [SQLiteDialect_pysqlite(), PGDialect_psycopg()],  # type: ignore[no-untyped-call]
)
def test_utc_datetime_binds(dialect: Dialect) -> None:
    column = UTCDateTime()
    local = datetime(2026, 1, 1, 14, 0, tzinfo=PLUS_2)
    bound = column.process_bind_param(local, dialect)
    assert bound is not None
    if dialect.name == "sqlite":
        assert bound == datetime(2026, 1, 1, 12, 0)  # naive UTC text in the file
    else:
        assert bound == local and bound.tzinfo == UTC
    assert column.process_bind_param(None, dialect) is None
    with pytest.raises(ValueError, match="naive datetime"):
        column.process_bind_param(datetime(2026, 1, 1), dialect)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2026, 1, 1, 12, 0), datetime(2026, 1, 1, 12, 0, tzinfo=UTC)),
        (datetime(2026, 1, 1, 14, 0, tzinfo=PLUS_2), datetime(2026, 1, 1, 12, 0, tzinfo=UTC)),
        (None, None),
    ],
)
def test_utc_datetime_results_are_aware_utc(
    raw: datetime | None, expected: datetime | None
) -> None:
    result = UTCDateTime().process_result_value(raw, SQLiteDialect_pysqlite())
    assert result == expected
    if result is not None:
        assert result.tzinfo == UTC


def test_sha256_hex_hashes_any_string() -> None:
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("\ud800") != sha256_hex("\ufffd")
    assert sha256_hex("é") != sha256_hex("e\u0301")


@pytest.mark.parametrize(
    ("n", "size", "expected"),
    [(0, 3, []), (3, 3, [3]), (7, 3, [3, 3, 1]), (1, 500, [1])],
)
def test_chunks(n: int, size: int, expected: list[int]) -> None:
    parts = list(chunks(list(range(n)), size))
    assert [len(p) for p in parts] == expected
    assert [x for p in parts for x in p] == list(range(n))


def test_chunks_refuses_a_zero_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        list(chunks([1], 0))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (1, 1),
        (2**63 - 1, 2**63 - 1),
        (2**63, -(2**63)),
        (2**64 - 1, -1),
        (-1, -1),
        (-(2**63), -(2**63)),
    ],
)
def test_to_signed64(value: int, expected: int) -> None:
    assert to_signed64(value) == expected


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1])
def test_to_signed64_refuses_values_over_64_bits(value: int) -> None:
    with pytest.raises(ValueError, match="64 bits"):
        to_signed64(value)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(0, 0, 0), (0, 1, 1), (0, -1, 64), (2**64 - 1, -1, 0), (0b1010, 0b0101, 4)],
)
def test_hamming_distance(a: int, b: int, expected: int) -> None:
    assert hamming_distance(a, b) == expected
