"""The daemon's structured log lines: logfmt text and JSON carry the same fields."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from typing import Literal

import pytest

from monitor.logging_setup import configure_logging, formatter_for


def _record(message: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("feed body is not XML")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(
        "monitor.worker", logging.WARNING, __file__, 1, message, args, exc_info
    )
    record.__dict__.update(extra)
    return record


def test_json_line_has_the_standard_fields_then_the_extra_ones() -> None:
    line = formatter_for("json").format(_record("polled %s", "feed-1", feed=7, status="ok"))
    fields = json.loads(line)
    assert list(fields) == ["ts", "level", "logger", "msg", "feed", "status"]
    assert fields["level"] == "warning"
    assert fields["logger"] == "monitor.worker"
    assert fields["msg"] == "polled feed-1"
    assert (fields["feed"], fields["status"]) == (7, "ok")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields["ts"])


def test_text_line_quotes_values_with_spaces_quotes_or_newlines() -> None:
    line = formatter_for("text").format(
        _record("feed failed", url="https://example.org/a b", note='say "hi"', plain="ok")
    )
    assert line.startswith("ts=")
    assert ' level=warning logger=monitor.worker msg="feed failed" ' in line
    assert 'url="https://example.org/a b"' in line
    assert 'note="say \\"hi\\""' in line
    assert line.endswith("plain=ok")
    assert "\n" not in line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_exception_is_one_field_on_the_same_line(log_format: Literal["text", "json"]) -> None:
    line = formatter_for(log_format).format(_record("poll failed", exc=True, feed=3))
    assert "\n" not in line
    if log_format == "json":
        fields = json.loads(line)
        assert list(fields)[-2:] == ["feed", "exc"]
        assert "ValueError: feed body is not XML" in fields["exc"]
    else:
        assert line.index("feed=3") < line.index("exc=")
        assert "ValueError: feed body is not XML" in line


def test_configure_logging_replaces_handlers_and_quiets_the_http_client() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    noisy = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "apscheduler")}
    stream = io.StringIO()
    try:
        configure_logging("json", stream=stream)
        configure_logging("json", stream=stream)
        assert len(root.handlers) == 1
        logging.getLogger("monitor.test").info("started", extra={"workers": 2})
        logging.getLogger("httpx").info("HTTP Request: GET https://example.org")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)
    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["msg"] for line in lines] == ["started"]
    assert json.loads(lines[0])["workers"] == 2
